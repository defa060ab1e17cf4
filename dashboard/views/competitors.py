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
def _trend(version: str, category: str, as_of: dt.date, focus: str) -> tuple[go.Figure, list[str]]:
    view = _view(version, category, as_of)
    rivals = competitors.rivals_that_lost(view.shifts, focus, figures.RIVALS_DRAWN)
    return figures.rank_trend_figure(view.trends, competitors.seller_names(view), focus, rivals, view.events,
                                     widgets.signal_colors()), rivals


@st.cache_resource(show_spinner=False, max_entries=64)
def _figures(version: str, category: str, as_of: dt.date) -> dict[str, go.Figure]:
    view = _view(version, category, as_of)
    drawn = {}
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
                 placeholder="", column_config={
                     "link": st.column_config.LinkColumn("Flagged seller", display_text=r"seller_id=([^&]+)"),
                     "seller_name": "Name", "score": st.column_config.NumberColumn("Score", format="%.1f",
                                                                              help=widgets.SCORE_SENTENCE),
                     "changepoint_date": st.column_config.DateColumn("Change point"),
                     "signals": st.column_config.MultiselectColumn(
                         "Signals", options=list(widgets.signal_colors()),
                         color=list(widgets.signal_colors().values()))})

    st.subheader("Rank over time")
    names = competitors.seller_names(view)
    focus = st.selectbox("Flagged seller drawn", flagged, index=0, key="rank_focus",
                         format_func=lambda s: f"{names.get(s, s)} ({s})",
                         help="The flagged seller against the rivals that lost most ground around its change "
                              f"points (at most {figures.RIVALS_DRAWN}).")
    figure, rivals = _trend(version, category, as_of, focus)
    st.plotly_chart(figure, config={"displaylogo": False}, key="rank_trend")
    st.caption(f"Thick orange line: {names.get(focus, focus)}; dotted: "
               + (f"the {len(rivals)} rival{'s' if len(rivals) != 1 else ''} that lost most ground around its "
                  "change points" if rivals else "no rival lost ground around its change points")
               + " (dashed verticals, in the finding's signal colour). Each line is the seller's best product in "
               "this category, weekly, as a share of the category's ranked products: top 1% is better than top "
               "10%.")

    st.subheader("Who gained and who lost")
    if "shifts" not in drawn:
        st.caption("No rival was ranked in both windows around these change points.")
    else:
        st.plotly_chart(drawn["shifts"], config={"displaylogo": False})
        st.caption("Each bar: a rival's typical rank after a flagged seller's change point against before (the "
                   f"{competitors.WINDOW_DAYS} days each side); red, to the right: it lost ground; green: it gained. "
                   "Rivals that lost most often come first.")
    with st.expander("Each change point's biggest gainers and losers"):
        shifts = view.shifts.assign(
            link=[widgets.seller_url(s, as_of) for s in view.shifts["seller_id"]],
            around=[f"{names.get(s, s)} ({s})" for s in view.shifts["event_seller_id"]],
            seller_name=view.shifts["seller_name"].fillna(""))
        st.dataframe(shifts[["around", "event_date", "link", "seller_name", "direction", "rank_factor"]],
                     hide_index=True, placeholder="",
                     column_config={
                         "around": st.column_config.TextColumn("Around the change point of", width="medium"),
                         "event_date": st.column_config.DateColumn("Change point"),
                         "link": st.column_config.LinkColumn("Seller", display_text=r"seller_id=([^&]+)"),
                         "seller_name": "Name", "direction": "Moved",
                         "rank_factor": st.column_config.NumberColumn("Rank after / before", format="%.2f",
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
    targeting = view.targeting.assign(
        seller=[widgets.seller_url(s, as_of) for s in view.targeting["seller_id"]],
        rival=[widgets.seller_url(s, as_of) for s in view.targeting["rival_id"]],
        seller_name=view.targeting["seller_name"].fillna(""), rival_name=view.targeting["rival_name"].fillna(""),
        signal_badge=[[s] for s in view.targeting["signal"]],
        q=[figures.format_p(q) for q in view.targeting["q_value"]])
    link = r"seller_id=([^&]+)"
    st.dataframe(targeting[["seller", "seller_name", "rival", "rival_name", "signal_badge", "first_date", "q",
                            "significant", "findings"]], hide_index=True, placeholder="", column_config={
        "seller": st.column_config.LinkColumn("Suspected seller", display_text=link),
        "seller_name": "Name", "rival": st.column_config.LinkColumn("Rival", display_text=link),
        "rival_name": "Rival's name",
        "signal_badge": widgets.signals_column("Signal", help="The signal's title is in the legend above."),
        "findings": st.column_config.NumberColumn("Findings", width="small"),
        "first_date": st.column_config.DateColumn("First change point", width="small"),
        "q": st.column_config.TextColumn("q", help=widgets.Q_HELP, width="small"),
        "significant": st.column_config.CheckboxColumn("Significant", width="small")})
