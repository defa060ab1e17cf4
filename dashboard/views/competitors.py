"""Competitors: for one category, who gained and who lost around the flagged sellers' change points,
their ranks over time, and the seller -> rival graph of targeting evidence. ``?focus=CATEGORY``."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analytics import competitors, figures
from dashboard import state, widgets

db = state.require_database()


@st.cache_data(show_spinner=False)
def _categories(version: str, as_of: dt.date) -> pd.DataFrame:
    with db.cursor() as con:
        return competitors.categories(con, as_of)


@st.cache_data(show_spinner=False, max_entries=64)
def _view(version: str, category: str, as_of: dt.date) -> competitors.CategoryView:
    sizes = widgets.category_sizes(version, as_of)
    with db.cursor() as con:
        return competitors.category_view(con, category, as_of, sizes=sizes)


# Figures are resources, not data: a pickled figure is re-validated by plotly when read back.
@st.cache_resource(show_spinner=False, max_entries=64)
def _figures(version: str, category: str, as_of: dt.date) -> dict[str, go.Figure]:
    view = _view(version, category, as_of)
    names = dict(zip(view.shifts["seller_id"], view.shifts["seller_name"]))
    names.update(dict(zip(view.events["seller_id"], view.events["seller_name"])))
    flagged = list(dict.fromkeys(view.events["seller_id"]))
    drawn = {}
    if not view.events.empty:
        drawn["trend"] = figures.rank_trend_figure(view.trends, names, flagged, view.events,
                                                   widgets.signal_colors())
    summary = competitors.summary(view.shifts)
    if not summary.empty:
        drawn["shifts"] = figures.shifts_figure(summary)
    if not view.targeting.empty:
        drawn["targeting"] = figures.targeting_graph(view.targeting, widgets.signal_colors(),
                                                     widgets.signal_titles())
    return drawn


version = state.db_version()
runs = widgets.runs(version)
st.title("Competitors")
if not runs:
    widgets.no_run_yet()

top = st.columns([2, 1])
with top[1]:
    as_of = widgets.run_picker(runs)
categories = _categories(version, as_of)
if categories.empty:
    st.info("No product categories are loaded yet: ingest an export first.")
    st.stop()
options = list(categories["category"])
with top[0]:
    # Not "category": that is the watchlist's filter, and a widget key shared between pages carries the
    # watchlist's "any category" (None) over to here.
    category = st.selectbox("Category", options, index=0, key="focus", bind="query-params",
                            help="Categories with the most flagged sellers come first.") or options[0]
chosen = categories.set_index("category").loc[category]
st.caption(f"{category}: {chosen['sellers_flagged']:,} flagged of {chosen['sellers']:,} sellers listing in it.")

view = _view(version, category, as_of)
drawn = _figures(version, category, as_of)


def _gains_and_losses() -> None:
    if view.events.empty:
        st.info(f"The run of {as_of} flags no seller with a dated finding in {category}, so there is no change "
                "point to compare rivals around. Pick another category (the list starts with those that have "
                "flagged sellers).")
        return

    flagged = list(dict.fromkeys(view.events["seller_id"]))
    st.caption(f"Run of **{as_of}** \u00b7 {len(flagged)} flagged seller{'s' if len(flagged) != 1 else ''} with "
               f"{len(view.events)} change point{'s' if len(view.events) != 1 else ''} in {category} "
               f"(the {competitors.EVENT_SELLERS} most suspicious at most). Rank moves compare the "
               f"{competitors.WINDOW_DAYS} days after each change point with the {competitors.WINDOW_DAYS} days before: "
               "leads for the analyst, not findings.")
    widgets.signal_legend()

    events = view.events.assign(link=[widgets.seller_url(s, as_of) for s in view.events["seller_id"]])
    st.dataframe(events[["link", "seller_name", "score", "changepoint_date", "signals"]], hide_index=True,
                 column_config={
                     "link": st.column_config.LinkColumn("Flagged seller", display_text=r"seller_id=([^&]+)"),
                     "seller_name": "Name", "score": st.column_config.NumberColumn("Score", format="%.1f"),
                     "changepoint_date": st.column_config.DateColumn("Change point"),
                     "signals": st.column_config.MultiselectColumn(
                         "Signals", options=list(widgets.signal_colors()),
                         color=list(widgets.signal_colors().values()))})

    st.subheader("Rank over time")
    st.plotly_chart(drawn["trend"], config={"displaylogo": False})
    st.caption("Solid lines: the flagged sellers; dotted: rivals that lost ground around their change points "
               "(dashed verticals, in the finding's signal colour). Each line is the seller's best product in "
               "this category.")

    st.subheader("Who gained and who lost")
    if "shifts" not in drawn:
        st.caption("No rival was ranked in both windows around these change points.")
    else:
        st.plotly_chart(drawn["shifts"], config={"displaylogo": False})
    with st.expander("Each change point's biggest gainers and losers"):
        shifts = view.shifts.assign(link=[widgets.seller_url(s, as_of) for s in view.shifts["seller_id"]])
        st.dataframe(shifts[["event_seller_id", "event_date", "link", "direction", "rank_factor"]], hide_index=True,
                     column_config={
                         "event_seller_id": "Around", "event_date": st.column_config.DateColumn("Change point"),
                         "link": st.column_config.LinkColumn("Seller", display_text=r"seller_id=([^&]+)"),
                         "direction": "Moved",
                         "rank_factor": st.column_config.NumberColumn("Rank x", format="%.2f",
                                                                      help="< 1 gained, > 1 lost")})


_gains_and_losses()

st.subheader("Targeting graph")
if view.targeting.empty:
    st.caption(f"No finding in the run of {as_of} names a rival in {category} (evidence.related_seller_id). "
               "Signals that point at a rival (sabotage, harvested reviewers) fill this graph.")
else:
    st.caption("Left: sellers whose findings name a rival; right: the rivals. Thick arrows: significant "
               "findings; colours: the signal.")
    st.plotly_chart(drawn["targeting"], config={"displaylogo": False})
    st.dataframe(view.targeting, hide_index=True, column_config={
        "q_value": st.column_config.NumberColumn("q", format="%.2g"),
        "first_date": st.column_config.DateColumn("First change point")})
