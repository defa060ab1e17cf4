"""Watchlist (home): a scoring run's sellers, most suspicious first.

Every filter is a query parameter of this page (``?category=...&flagged=true&...``), so a pasted link
reopens the same view. Filtering and paging run in DuckDB; only the page shown is fetched.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from analytics import cases, store, watchlist
from dashboard import state, widgets

ROW_HEIGHT = 38  # tests/test_browser.py clicks the first row by this height
ROWS_VISIBLE = 25  # rows shown before the table scrolls (a page holds watchlist.PAGE_SIZE)
FILTER_KEYS = ("category", "country", "city", "signal", "score", "flagged", "flagged_since", "page")

db = state.require_database()


@st.cache_data(show_spinner=False)
def _runs(version: str) -> list[dt.date]:
    with db.cursor() as con:
        return watchlist.runs(con)


@st.cache_data(show_spinner=False)
def _overview(version: str, as_of: dt.date) -> tuple[watchlist.Headline, watchlist.FilterOptions]:
    with db.cursor() as con:
        return watchlist.headline(con, as_of), watchlist.filter_options(con, as_of)


@st.cache_data(show_spinner=False, max_entries=256)
def _page(version: str, as_of: dt.date, filters: watchlist.Filters, page: int) -> watchlist.Page:
    sizes = widgets.category_sizes(version, as_of)
    with db.cursor() as con:
        return watchlist.page(con, as_of, filters, page, sizes=sizes)


@st.cache_data(show_spinner=False, ttl=15)
def _open_cases(analyst_db: str) -> int:
    # The analysts' store changes as people work, not with the marketplace database: a short ttl.
    return len(cases.list_cases(db=analyst_db, statuses=cases.OPEN_STATUSES))


def _clear_filters() -> None:
    for key in FILTER_KEYS:
        st.session_state.pop(key, None)


def _filters(options: watchlist.FilterOptions) -> watchlist.Filters:
    with st.sidebar:
        st.header("Filters")
        category = st.selectbox("Category", options.categories(), index=None, key="category",
                                placeholder="any category", bind="query-params")
        country = st.selectbox("Country", options.countries(category), index=None, key="country",
                               placeholder="any country", bind="query-params")
        city = st.selectbox("City", options.cities(country, category), index=None, key="city",
                            placeholder="any city", bind="query-params")
        # No format_func on URL-bound widgets: the URL would carry the label instead of the value.
        signal = st.selectbox("Signal fired", options.signals, index=None, key="signal", placeholder="any signal",
                              bind="query-params", help="The signals' plain-words titles are above the table.")
        top = max(1.0, float(round(options.score_max + 0.5)))
        low, high = st.slider("Score", 0.0, top, (0.0, top), step=0.5, key="score", bind="query-params",
                              help="Higher = more suspicious; built from the findings' q-values, so "
                                   "comparable between runs.")
        flagged = st.toggle("Flagged only", key="flagged", bind="query-params",
                            help="A seller is flagged when at least one core signal is significant after "
                                 "false-discovery control.")
        since = st.date_input("First flagged on or after", value=None, key="flagged_since", bind="query-params",
                              min_value=options.flagged_dates[0] if options.flagged_dates else None,
                              help="The earliest stored run that flagged the seller.")
        st.button("Clear filters", on_click=_clear_filters, width="stretch")
    return watchlist.Filters(
        category=category, country=country, city=city, signal=signal,
        score_min=low if low > 0 else None, score_max=high if high < top else None,
        flagged_only=bool(flagged), flagged_since=since)


runs = _runs(state.db_version())
st.title("Watchlist")
if not runs:
    widgets.no_run_yet()
with st.sidebar:
    as_of = widgets.run_picker(runs)
headline, options = _overview(state.db_version(), as_of)
filters = _filters(options)

with st.sidebar:
    page_no = st.number_input("Page", min_value=1, value=1, step=1, key="page", bind="query-params")
result = _page(state.db_version(), as_of, filters, int(page_no))

previous = f"since the run of {headline.previous_as_of}" if headline.previous_as_of else "(first run)"
cols = st.columns(5)
cols[0].metric("Sellers scored", f"{headline.sellers_scored:,}")
cols[1].metric("Flagged", f"{headline.sellers_flagged:,}")
cols[2].metric("Newly flagged", f"{headline.newly_flagged:,}", help=f"Flagged now, not flagged {previous}.")
cols[3].metric("Open cases", f"{_open_cases(str(store.analyst_db_path(db.path))):,}", help="Cases that are new, being investigated or escalated.")
cols[4].metric("Matching the filters", f"{result.total_matching:,}")
st.caption(f"Run of **{as_of}**; newly flagged counts sellers not flagged {previous}. "
           "Select a row to open the seller's evidence.")
widgets.signal_legend()

if result.total_matching == 0:
    st.info("No seller in this run matches these filters. Widen them, or clear them all.")
    st.button("Clear filters", key="clear_empty", on_click=_clear_filters)
    st.stop()

rows = result.rows.assign(link=[widgets.seller_url(s) for s in result.rows["seller_id"]])
names = widgets.signal_titles()
table = st.dataframe(
    rows,
    hide_index=True,
    key="watchlist_table",
    on_select="rerun",
    selection_mode="single-row",
    row_height=ROW_HEIGHT,
    height=(min(len(rows), ROWS_VISIBLE) + 1) * ROW_HEIGHT + 3,
    column_order=["score_rank", "link", "seller_name", "score", "flagged", "signals", "rank_trend", "reasons",
                  "category", "country", "city", "first_flagged_on"],
    column_config={
        "score_rank": st.column_config.NumberColumn("#", width="small"),
        "link": st.column_config.LinkColumn("Seller", display_text=r"seller_id=([^&]+)", width=150,
                                            help="Opens the seller's page (a link you can paste into notes)."),
        "seller_name": st.column_config.TextColumn("Name", width=180),
        "score": st.column_config.NumberColumn("Score", format="%.1f", width="small"),
        "flagged": st.column_config.CheckboxColumn("Flagged", width="small"),
        "signals": st.column_config.MultiselectColumn(
            "Signals fired", options=list(widgets.signal_colors()), color=list(widgets.signal_colors().values()),
            width="medium"),
        "reasons": st.column_config.TextColumn("Top reasons", width="large"),
        "rank_trend": st.column_config.LineChartColumn(
            "Relative rank, weekly", width="medium",
            help="The best product's standing in its category week by week (up = better)."),
        "category": st.column_config.TextColumn("Category"),
        "country": st.column_config.TextColumn("Country", width="small"),
        "city": st.column_config.TextColumn("City"),
        "first_flagged_on": st.column_config.DateColumn("First flagged"),
    },
)
st.caption(f"Page {result.page} of {result.pages} ({len(rows)} rows shown of {result.total_matching:,}); "
           "change pages in the sidebar.")

if table.selection.rows:
    chosen = rows.iloc[table.selection.rows[0]]["seller_id"]
    st.session_state["watchlist_query"] = {k: st.query_params.get_all(k) for k in st.query_params}
    params = {"seller_id": chosen}
    if as_of != runs[0]:
        params["as_of"] = as_of.isoformat()
    st.switch_page(widgets.SELLER_PAGE, query_params=params)
