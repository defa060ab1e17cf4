"""Small pieces several pages share: the stored runs and the run picker, links to a seller, signal
colours and names, and the per-run data every rank chart needs (kept once per database version and run)."""

from __future__ import annotations

import datetime as dt
import html
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from analytics import seller_view, signals, watchlist
from dashboard import state

WATCHLIST_PAGE = "views/watchlist.py"
SELLER_PAGE = "views/seller.py"
COMPETITORS_PAGE = "views/competitors.py"
NEUTRAL = "#7f7f7f"
# What the score is, in one sentence, wherever a score is shown (analytics/scoring/combine.py has the detail).
SCORE_SENTENCE = ("The score ranks flagged sellers first, by the sum of their significant signals' -log10 q "
                  "(plus a bonus when signals coincide); the unflagged come below, ranked by their strongest "
                  "evidence. Higher = more suspicious.")
P_HELP = ("How often honest behaviour would look at least this unusual for this seller alone. Shown down to "
          "1e-16; smaller values are '< 1e-16'.")
Q_HELP = ("The p-value corrected for testing every seller (Benjamini-Hochberg false-discovery rate): a finding "
          "counts when q is at or below its signal's level. Shown down to 1e-16.")


# Short names on the coloured badges, so a row's badges fit its column (the signal's name is the key
# everywhere else: filters, links, the evidence table's tooltip; the legend pairs badge and title).
SIGNAL_SHORT = {"reinstatement": "reinstated", "review_removals": "removals", "harvested_reviewers": "harvested",
                "review_burst": "burst", "rank_jump": "rank jump", "sabotage": "sabotage", "sales_intel": "sales intel",
                "staff_access": "staff"}


def signal_short(name: str) -> str:
    return SIGNAL_SHORT.get(name, name.replace("_", " "))


def badges_width(rows) -> int:
    """Pixels a column of signal badges needs for its widest row (short names, the table's font)."""
    widest = max((sum(7.4 * len(signal_short(n)) + 30 for n in names) for names in rows if names is not None),
                 default=0)
    return int(min(max(widest + 12, 90), 420))


def signals_column(label: str = "Signals fired", *, width=None, help: str | None = None):
    """A table column of the signals as coloured badges, with short names."""
    return st.column_config.MultiselectColumn(
        label, options=list(signal_colors()), color=list(signal_colors().values()), format_func=signal_short,
        width=width, help=help)


def signal_colors() -> dict[str, str]:
    return {m.NAME: m.COLOR for m in signals.all_signals()}


def signal_titles() -> dict[str, str]:
    return {m.NAME: m.TITLE for m in signals.all_signals()}


def seller_url(seller_id: str, as_of: dt.date | None = None) -> str:
    """The contract's deep link to a seller (CONTRACT section 2), relative so it works behind a prefix."""
    params = {"seller_id": seller_id}
    if as_of is not None:
        params["as_of"] = as_of.isoformat()
    return "seller?" + urlencode(params)


@st.cache_data(show_spinner=False)
def runs(version: str) -> list[dt.date]:
    """The stored scoring runs, newest first, for the database version ``version``."""
    with state.reader().cursor() as con:
        return watchlist.runs(con)


def run_picker(runs: list[dt.date], *, label: str = "Scoring run (as of)") -> dt.date:
    """Select the run to read (newest by default), bound to ``?as_of=DATE`` so links keep it."""
    options = [d.isoformat() for d in runs]
    chosen = st.selectbox(label, options, index=0, key="as_of", bind="query-params",
                          help="Each weekly run scored the data up to the end of that day and never looked past it.")
    return dt.date.fromisoformat(chosen or options[0])


def signal_chips(names) -> str:
    """HTML chips in each signal's colour (the same colours as on every chart)."""
    colors, titles = signal_colors(), signal_titles()
    chips = []
    for name in names:
        color = colors.get(name, NEUTRAL)
        chips.append(
            f'<span title="{html.escape(titles.get(name, name))}" style="background:{color};color:white;'
            f'border-radius:0.6em;padding:0.15em 0.6em;margin-right:0.4em;font-size:0.95em;'
            f'white-space:nowrap">{html.escape(signal_short(name))}</span>')
    return "".join(chips)


def signal_legend() -> None:
    """One line naming every signal in its colour, with its plain-words title."""
    colors = signal_colors()
    parts = [f"{signal_chips([m.NAME])}<span style='margin-right:1.2em'>{html.escape(m.TITLE)}</span>"
             for m in signals.all_signals() if m.NAME in colors]
    st.markdown("".join(parts), unsafe_allow_html=True)


def no_run_yet() -> None:
    st.info("No scoring run is stored in this database yet. Score it with `python -m analytics score` "
            "(or build the demo with `python -m analytics demo`), then reload this page.")
    st.stop()


@st.cache_data(show_spinner="Counting ranked products per category and day (once per run)...")
def category_sizes(version: str, as_of: dt.date) -> pd.DataFrame:
    """``seller_view.category_sizes`` for the run: one pass over product_daily, shared by every page."""
    with state.reader().cursor() as con:
        return seller_view.category_sizes(con, as_of)


@st.cache_data(show_spinner=False)
def first_day(version: str) -> dt.date | None:
    with state.reader().cursor() as con:
        return seller_view.first_day(con)
