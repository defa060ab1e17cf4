"""Watchlist (home): a scoring run's sellers, most suspicious first.

Every filter is a query parameter of this page (``?category=...&flagged=true&...``), so a pasted link
reopens the same view. Filtering and paging run in DuckDB; only the page shown is fetched.

Sellers the team cleared are not shown as flagged again while their evidence has not grown
(``analytics.feedback``); the page says how many it hides and can show them, marked. Selecting a row
opens the seller's case box under the table (``?selected=ID``) with a link to the seller's page.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import partial

import pandas as pd
import streamlit as st

from analytics import cases, feedback, seller_view, watchlist
from dashboard import state, widgets
from dashboard.case_panel import case_panel

# Rows tall enough for three lines: Streamlit wraps a cell's text only in rows taller than 4rem, and the
# reasons need it (tests/test_browser.py clicks the first row by this height).
ROW_HEIGHT = 80
ROWS_VISIBLE = 12  # rows shown before the table scrolls (a page holds watchlist.PAGE_SIZE)
REASONS_MIN_WIDTH = 280  # px: about three lines of 40 characters without scrolling sideways
TABLE_WIDTH = 890  # px of columns that fit the main area at 1400 px wide, beside the selection boxes
FILTER_KEYS = ("category", "country", "city", "signal", "score", "flagged", "flagged_since", "page", "show_cleared")

db = state.require_database()


@st.cache_data(show_spinner=False)
def _headline(version: str, as_of: dt.date, cleared: pd.DataFrame) -> watchlist.Headline:
    with db.cursor() as con:
        return watchlist.headline(con, as_of, cleared=cleared)


@st.cache_data(show_spinner=False)
def _options(version: str, as_of: dt.date) -> watchlist.FilterOptions:
    with db.cursor() as con:
        return watchlist.filter_options(con, as_of)


@st.cache_data(show_spinner=False, max_entries=256)
def _page(version: str, as_of: dt.date, filters: watchlist.Filters, page: int, cleared: pd.DataFrame,
          show_cleared: bool) -> watchlist.Page:
    sizes = widgets.category_sizes(version, as_of)
    with db.cursor() as con:
        return watchlist.page(con, as_of, filters, page, sizes=sizes, cleared=cleared, show_cleared=show_cleared)


@st.cache_data(show_spinner=False, max_entries=256)
def _profile(version: str, seller_id: str) -> seller_view.Profile | None:
    with db.cursor() as con:
        return seller_view.profile(con, seller_id)


# Keyed by the analysts' store's own version too: a case opened or cleared (in the box below, or by
# anyone else) shows in the numbers and the hiding on the next run.
@st.cache_data(show_spinner=False, max_entries=64)
def _cases(version: str, analyst_version: str, as_of: dt.date) -> tuple[pd.DataFrame, int]:
    """The run's cleared sellers (``feedback.cleared_review``) and how many cases are open."""
    with db.cursor() as con:
        cleared = feedback.cleared_review(con, as_of, db=db.path)
    return cleared, len(cases.list_cases(db=db.path, statuses=cases.OPEN_STATUSES))


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
                              bind="query-params", help="The signals' plain-words titles are above the table, beside their badges.")
        top = max(1.0, float(round(options.score_max + 0.5)))
        low, high = st.slider("Score", 0.0, top, (0.0, top), step=0.5, key="score", bind="query-params",
                              help=widgets.SCORE_SENTENCE + " Built from q-values, so comparable between runs.")
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


def _cleared_notice(headline: watchlist.Headline) -> bool:
    """Say how many cleared sellers the run flags again on the same evidence, with a toggle that shows
    them; True when they are shown."""
    n = headline.cleared_hidden
    if not n:
        return False
    text, toggle = st.columns([5, 1], vertical_alignment="center")
    show = toggle.toggle("Show them", key="show_cleared", bind="query-params", help=feedback.REFLAG_RULE)
    their, were = ("their", "they were") if n != 1 else ("its", "it was")
    sellers = f"{n} cleared seller{'s' if n != 1 else ''}"
    if show:
        text.info(f"{sellers} shown, marked in the column *Cleared before*: the run flags "
                  f"{'them' if n != 1 else 'it'} again, but {their} evidence has not grown since {were} cleared.")
    else:
        text.info(f"{sellers} hidden: {their} evidence has not grown since {were} cleared. "
                  "The numbers above leave them out.")
    return show


def _select(key: str, seller_ids: list[str]) -> None:
    """The selected row's seller goes into the URL (``?selected=ID``), so a pasted link reopens its box."""
    rows = st.session_state[key].selection.rows
    if rows:
        st.query_params["selected"] = seller_ids[rows[0]]
    else:
        st.query_params.pop("selected", None)


def _selected_seller(version: str, seller_id: str, as_of: dt.date, latest: dt.date,
                     result: watchlist.Page) -> None:
    """The case box of the selected seller, and the way to its page."""
    profile = _profile(version, seller_id)
    if profile is None:
        st.warning(f"There is no seller with id `{seller_id}` in this database (from the link's `selected`).")
        return
    st.subheader(f"{profile.seller_name} ({seller_id})")
    row = result.rows[result.rows["seller_id"] == seller_id]
    if not row.empty:
        st.markdown(f"**Why:** {row['reasons'].iloc[0]}")
    params = {"seller_id": seller_id, **({"as_of": as_of.isoformat()} if as_of != latest else {})}
    st.page_link(widgets.SELLER_PAGE, label="Open the seller's page: chart, evidence, rivals",
                 icon=":material/person_search:", query_params=params)
    case_panel(seller_id, as_of=as_of, key="watchlist")


def _table(result: watchlist.Page, selected: str | None) -> None:
    rows = result.rows.assign(link=[widgets.seller_url(s) for s in result.rows["seller_id"]])
    noted = rows["cleared_note"].notna()
    rows["cleared_note"] = rows["cleared_note"].where(noted, "")
    ids = list(rows["seller_id"])
    badges = widgets.badges_width(rows["signals"])
    name_width = 150 if badges <= 260 else 110  # many badges on a row: names wrap instead
    reasons_width = max(REASONS_MIN_WIDTH, TABLE_WIDTH - 44 - name_width - 62 - badges)
    # A selection is a row number: keyed by the sellers listed, a table that lists others (a filter, a
    # page, cleared sellers shown) starts afresh with the URL's seller selected, never a stranger's row.
    key = "watchlist_table_" + hashlib.sha1("\n".join(ids).encode()).hexdigest()[:12]
    st.dataframe(
        rows,
        hide_index=True,
        placeholder="",
        key=key,
        on_select=partial(_select, key, ids),
        selection_mode="single-row",
        selection_default={"selection": {"rows": [ids.index(selected)] if selected in ids else []}},
        row_height=ROW_HEIGHT,
        height=(min(len(rows), ROWS_VISIBLE) + 1) * ROW_HEIGHT + 3,
        # What a person reads first, without scrolling sideways at 1400 px: who, how suspicious, which
        # signals (every badge shown) and why (wrapped over three lines; click a cell for all of it).
        column_order=["score_rank", "seller_name", "score", "signals", "reasons", "link", "flagged",
                      *(["cleared_note"] if noted.any() else []),  # only when a cleared seller is listed
                      "rank_trend", "category", "country", "city", "first_flagged_on"],
        column_config={
            "score_rank": st.column_config.NumberColumn("#", width=44),
            "link": st.column_config.LinkColumn("Seller id", display_text=r"seller_id=([^&]+)", width=150,
                                                help="Opens the seller's page (a link you can paste into notes)."),
            "seller_name": st.column_config.TextColumn("Name", width=name_width),
            "score": st.column_config.NumberColumn("Score", format="%.1f", width=62, help=widgets.SCORE_SENTENCE),
            "flagged": st.column_config.CheckboxColumn("Flagged", width="small"),
            "cleared_note": st.column_config.TextColumn(
                "Cleared before", width="medium",
                help="For sellers the team cleared: why they stay cleared, or how their evidence grew since."),
            "signals": widgets.signals_column(width=badges, help="The signals significant in this run."),
            "reasons": st.column_config.TextColumn(
                "Why", width=reasons_width,
                help="The findings in plain words. Click a cell to read all of it; select the row for the "
                     "seller's case box with the full text."),
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


version = state.db_version()
runs = widgets.runs(version)
st.title("Watchlist")
if not runs:
    widgets.no_run_yet()
with st.sidebar:
    as_of = widgets.run_picker(runs)
options = _options(version, as_of)
filters = _filters(options)
with st.sidebar:
    page_no = st.number_input("Page", min_value=1, value=1, step=1, key="page", bind="query-params")
# The seller page's back link returns to this view, filters, page and selected seller included.
st.session_state["watchlist_query"] = {k: st.query_params.get_all(k) for k in st.query_params}

cleared, open_cases = _cases(version, state.analyst_version(), as_of)
headline = _headline(version, as_of, cleared)
numbers = st.container()  # drawn once it is known whether hidden cleared sellers are shown
show_cleared = _cleared_notice(headline)
result = _page(version, as_of, filters, int(page_no), cleared, show_cleared)
shown = headline.shown(show_cleared)

previous = f"since the run of {headline.previous_as_of}" if headline.previous_as_of else "(first run)"
with numbers:
    cols = st.columns(5)
    cols[0].metric("Sellers scored", f"{shown.sellers_scored:,}")
    cols[1].metric("Flagged", f"{shown.sellers_flagged:,}",
                   help="Cleared sellers flagged again on the same evidence are not counted while hidden.")
    cols[2].metric("Newly flagged", f"{shown.newly_flagged:,}", help=f"Flagged now, not flagged {previous}.")
    cols[3].metric("Open cases", f"{open_cases:,}", help="Cases that are new, being investigated or escalated.")
    cols[4].metric("Matching the filters", f"{result.total_matching:,}")
    st.caption(f"Run of **{as_of}**; newly flagged counts sellers not flagged {previous}. "
               "Select a row for the seller's case box and a link to its page.  \n" + widgets.SCORE_SENTENCE)
widgets.signal_legend()

selected = st.query_params.get("selected")
if result.total_matching:
    _table(result, selected)
else:
    st.info("No seller in this run matches these filters. Widen them, or clear them all.")
    st.button("Clear filters", key="clear_empty", on_click=_clear_filters)
if selected:
    _selected_seller(version, selected, as_of, runs[0], result)
