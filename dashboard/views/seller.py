"""Seller detail: ``/seller?seller_id=ID[&as_of=DATE]``.

Who the seller is, what the chosen run said and why, one chart of everything that moved with every
change point drawn, a chart of what each finding was tested on (``analytics.finding_series``), the
evidence, the rivals around it, shared reviewers and staff access.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analytics import figures, finding_series, seller_view
from dashboard import state, widgets
from dashboard.case_panel import case_panel

db = state.require_database()


@st.cache_data(show_spinner=False, max_entries=128)
def _overview(version: str, seller_id: str, as_of: dt.date | None) -> seller_view.Overview:
    with db.cursor() as con:
        return seller_view.overview(con, seller_id, as_of)


# A resource, not data: st.cache_data would pickle the figure, and plotly re-validates a figure read
# back from a dict (over a second for this one); the cached figure is only ever read.
@st.cache_resource(show_spinner=False, max_entries=64)
def _chart(version: str, seller_id: str, as_of: dt.date, product_id: str | None,
           evidence: pd.DataFrame) -> tuple[go.Figure, pd.DataFrame]:
    """The figure and the change points it draws."""
    start = widgets.first_day(version)
    with db.cursor() as con:
        chart = seller_view.chart(con, seller_id, as_of, product_id, evidence, start=start)
    figure = figures.seller_figure(chart.daily, chart.changepoints, chart.segments, chart.evidence_marks,
                                  product_label=product_id)
    return figure, chart.changepoints


@st.cache_resource(show_spinner=False, max_entries=64)
def _finding_charts(version: str, seller_id: str, as_of: dt.date,
                    evidence: pd.DataFrame) -> list[tuple[finding_series.FindingSeries, go.Figure]]:
    """Each finding's own chart: what its test measured (``analytics.finding_series``), significant first."""
    with db.cursor() as con:
        found = finding_series.all_finding_series(con, seller_id, as_of, evidence)
    return [(s, figures.finding_figure(s)) for s in found]


@st.cache_data(show_spinner=False, max_entries=128)
def _surroundings(version: str, seller_id: str, as_of: dt.date, evidence: pd.DataFrame) -> seller_view.Surroundings:
    with db.cursor() as con:
        return seller_view.surroundings(con, seller_id, as_of, evidence)


def _back_link() -> None:
    st.page_link(widgets.WATCHLIST_PAGE, label="Back to the watchlist", icon=":material/arrow_back:",
                 query_params=st.session_state.get("watchlist_query") or None)


def _before_after(frame: pd.DataFrame, fmt: str = ",.3g") -> list[str]:
    return [f"{b:{fmt}} \u2192 {a:{fmt}}" if pd.notna(b) and pd.notna(a) else ""
            for b, a in zip(frame["before"], frame["after"])]


version = state.db_version()
runs = widgets.runs(version)
_back_link()
top = st.columns([2, 1])
with top[0]:
    seller_id = (st.text_input("Seller id", key="seller_id", bind="query-params",
                               placeholder="e.g. a seller id from the watchlist") or "").strip()
with top[1]:
    as_of = widgets.run_picker(runs) if runs else None

if not seller_id:
    st.title("Seller")
    st.info("Type a seller id above, or pick a seller on the watchlist.")
    st.stop()

core = _overview(version, seller_id, as_of)
profile = core.profile
if profile is None:
    st.title("Seller")
    st.error(f"There is no seller with id `{seller_id}` in this database. Check the link, or find the seller "
             "on the watchlist.")
    st.stop()

st.title(f"{profile.seller_name}")
place = ", ".join(p for p in (profile.city, profile.country) if p)
st.caption(f"`{profile.seller_id}` \u00b7 {place} \u00b7 registered {profile.registered_on} \u00b7 "
           f"primary category {profile.primary_category} \u00b7 {profile.products} product"
           f"{'s' if profile.products != 1 else ''} in {', '.join(profile.categories) or 'no category'}")

if as_of is None:
    widgets.no_run_yet()
verdict = core.verdict
if verdict is None:
    st.warning(f"The run of {as_of} did not score this seller (it scores sellers registered by its as-of day; "
               f"this one registered on {profile.registered_on}). Pick a later run.")
    st.stop()

cols = st.columns([1, 1, 1, 3])
cols[0].metric("Score", f"{verdict.score:.1f}", help=widgets.SCORE_SENTENCE)
cols[1].metric("Place in the run", f"#{verdict.score_rank:,}", help=f"of {verdict.sellers_scored:,} sellers scored")
cols[2].metric("Flagged", "yes" if verdict.flagged else "no")
with cols[3]:
    st.markdown("**Signals fired**  \n" + (widgets.signal_chips(verdict.signals) or "none"), unsafe_allow_html=True)
st.markdown(f"**Reasons (run of {as_of}):** {verdict.reasons}")
case_panel(seller_id, as_of=as_of)  # open, show or edit this seller's case

with st.expander(f"Account events up to {as_of} ({len(core.events)})", expanded=not core.events.empty):
    if core.events.empty:
        st.caption("No suspension, appeal, reinstatement or closure on record.")
    else:
        st.dataframe(core.events.fillna({"reason": ""}), hide_index=True, placeholder="", column_config={
            "ts": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm"),
            "event": "Event", "reason": "Reason"})

# --- the chart ---------------------------------------------------------------------------------------
st.subheader("What moved, and when")
product_id = None
if not core.products.empty:
    product_id = st.selectbox("Product drawn in the rank and price panels", list(core.products["product_id"]),
                              index=0, key="product", bind="query-params",
                              help="Products with findings come first, then the best ranked. Reviews, removals "
                                   "and the rating cover all of the seller's products.")
    shown = core.products.set_index("product_id").loc[product_id]
    title = shown["title"] if isinstance(shown["title"], str) and shown["title"] else "untitled"
    st.caption(f"{product_id}: {title} \u00b7 {shown['category']} \u00b7 launched "
               f"{shown['launched_on']:%Y-%m-%d} \u00b7 {shown['findings']} finding"
               f"{'s' if shown['findings'] != 1 else ''} in this run")
figure, changepoints = _chart(version, seller_id, as_of, product_id, core.evidence)
st.plotly_chart(figure, config={"displaylogo": False})
st.caption("Diamonds and dotted orange lines: change points that `analytics.changepoints.detect` finds in each "
           "series drawn, with the fitted level before and after. Dashed lines through every panel: the run's "
           "findings, in their signal's colour (thin grey dots: tested, not significant). Grey dashes: the rank that price and ad spend alone explain "
           "(the run's per-category model).")
if changepoints.empty:
    st.caption("No change point found in the series drawn.")
else:
    table = changepoints.assign(change=_before_after(changepoints))
    st.dataframe(table[["label", "date", "change"]], hide_index=True, placeholder="", column_config={
        "label": "Series", "date": st.column_config.DateColumn("Change point"),
        "change": "Level before \u2192 after"})

# --- each finding's own evidence ----------------------------------------------------------------------
finding_charts = _finding_charts(version, seller_id, as_of, core.evidence) if not core.evidence.empty else []


def _draw_findings(charts) -> None:
    for series, fig in charts:
        st.plotly_chart(fig, config={"displaylogo": False}, key=f"finding-{series.signal}")
        st.caption(series.caption)


if finding_charts:
    st.subheader("What each finding was tested on")
    shown = [c for c in finding_charts if c[0].significant]
    _draw_findings(shown)
    rest = [c for c in finding_charts if not c[0].significant]
    if rest:
        with st.expander(f"Not significant ({len(rest)}): tested, but not a finding", expanded=not shown):
            _draw_findings(rest)

# --- evidence ---------------------------------------------------------------------------------------
st.subheader("Evidence")
if core.evidence.empty:
    st.caption(f"The run of {as_of} found nothing about this seller.")
else:
    evidence = core.evidence.assign(change=_before_after(core.evidence),
                                    p=[figures.format_p(v) for v in core.evidence["p_value"]],
                                    q=[figures.format_p(v) for v in core.evidence["q_value"]])
    st.dataframe(
        evidence[["signal", "changepoint_date", "measure", "change", "effect", "p", "q", "significant",
                  "detail", "product_id", "related_seller_id"]],
        hide_index=True, placeholder="", row_height=84,  # tall enough for Streamlit to wrap the measure
        column_config={
            "signal": widgets.signals_column("Signal", width=110),
            "changepoint_date": st.column_config.DateColumn("Date"),
            "change": "Before \u2192 after",
            "effect": st.column_config.NumberColumn("Effect", format="%.2f"),
            "p": st.column_config.TextColumn("p", help=widgets.P_HELP),
            "q": st.column_config.TextColumn("q", help=widgets.Q_HELP),
            "significant": st.column_config.CheckboxColumn("Significant"),
            "measure": st.column_config.TextColumn("Measure", width=300),
            "product_id": "Product",
            "related_seller_id": "Rival",
            "detail": st.column_config.TextColumn("Detail", width="large"),
        })

# --- rivals, reviewers, staff -------------------------------------------------------------------------
near = _surroundings(version, seller_id, as_of, core.evidence)
link_column = st.column_config.LinkColumn("Seller", display_text=r"seller_id=([^&]+)")
st.subheader("Rivals affected")
if not core.links.empty:
    st.markdown("**Findings that name another seller**")
    links = core.links.assign(link=[widgets.seller_url(s, as_of) for s in core.links["other_seller_id"]],
                              q=[figures.format_p(v) for v in core.links["q_value"]])
    st.dataframe(links[["direction", "link", "other_seller_name", "signal", "changepoint_date", "q",
                        "detail"]], hide_index=True, placeholder="",
                 column_config={"direction": "Direction", "link": link_column, "other_seller_name": "Name",
                                "signal": "Signal", "changepoint_date": st.column_config.DateColumn("Date"),
                                "q": st.column_config.TextColumn("q", help=widgets.Q_HELP),
                                "detail": st.column_config.TextColumn("Detail", width="large")})
if not near.rise_dates:
    st.caption("No dated finding to look around, so no rival is compared.")
elif near.rivals.empty:
    st.caption(f"No rival in the seller's categories lost rank (x{seller_view.RIVAL_MIN_RANK_FACTOR} or worse) "
               f"or took a 1-star burst in the {seller_view.RIVAL_WINDOW_DAYS} days after "
               f"{', '.join(map(str, near.rise_dates))}.")
else:
    st.caption(f"Rivals in the same categories whose sales rank worsened by x{seller_view.RIVAL_MIN_RANK_FACTOR} "
               f"or more, or who took a burst of 1-star reviews, in the {seller_view.RIVAL_WINDOW_DAYS} days after "
               "this seller's change points, compared with the days before. A lead, not a finding.")
    rivals = near.rivals.assign(link=[widgets.seller_url(s, as_of) for s in near.rivals["rival_id"]])
    st.dataframe(rivals[["link", "rival_name", "rise_date", "rank_factor", "one_star_before", "one_star_after"]],
                 hide_index=True, placeholder="", column_config={
                     "link": link_column, "rival_name": "Name",
                     "rise_date": st.column_config.DateColumn("Around"),
                     "rank_factor": st.column_config.NumberColumn("Rank worsened x", format="%.2f"),
                     "one_star_before": st.column_config.NumberColumn("1-star before"),
                     "one_star_after": st.column_config.NumberColumn("1-star after")})

st.subheader("Reviewers shared with rivals")
if near.reviewers.empty:
    st.caption("No reviewer of this seller also reviewed a rival in the same categories.")
else:
    total = int(near.reviewers["shared_reviewers"].iloc[0])
    first = int(near.reviewers["reviewed_rivals_first"].sum())
    st.caption(f"{total:,} reviewers (pseudonymous ids) reviewed both this seller and a rival in the same "
               f"categories; of those shown, {first} reviewed a rival first. Harvested reviewer lists show up as "
               "many who came from one rival and praised this seller.")
    st.dataframe(near.reviewers.drop(columns="shared_reviewers"), hide_index=True, placeholder="", column_config={
        "reviewer_id": "Reviewer", "reviews_of_seller": "Reviews of seller",
        "avg_rating_to_seller": st.column_config.NumberColumn("Avg stars to seller", format="%.1f"),
        "reviews_of_rivals": "Reviews of rivals",
        "avg_rating_to_rivals": st.column_config.NumberColumn("Avg stars to rivals", format="%.1f"),
        "reviewed_rivals_first": st.column_config.CheckboxColumn("Rival first"),
        "rivals_reviewed": "Rivals", "rivals": st.column_config.ListColumn("Rival ids")})

st.subheader("Staff access")
if not near.access_loaded:
    st.caption("No staff access log is loaded (it is an optional table of the export).")
elif near.access.empty:
    st.caption(f"No staff member touched this seller's data up to {as_of}.")
else:
    st.dataframe(near.access, hide_index=True, placeholder="", column_config={
        "ts": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm"),
        "employee_id": "Employee", "action": "Action", "product_id": "Product",
        "other_sellers_touched": st.column_config.NumberColumn(
            "Other sellers this employee touched", help="Up to the run's day, across the whole access log.")})
