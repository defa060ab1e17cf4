"""The watchlist: one scoring run's sellers, most suspicious first, filtered and paged in DuckDB.

At 100,000 sellers the dashboard must never pull every row, so filtering, ordering and paging happen
in SQL (``watchlist_page.sql``) and only one page (plus a count) comes back. Sparklines are fetched
for that page's sellers only.

A seller the team cleared is not flagged again for the same evidence (``feedback.REFLAG_RULE``): given
``feedback.cleared_review``, the page leaves such a seller out while the run flags it (unless asked to
show it), the headline counts it apart, and every cleared seller shown carries a note saying why it
stays cleared or how its evidence grew.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields, replace

import numpy as np
import pandas as pd

from analytics import feedback, queries, seller_view, signals

PAGE_SIZE = 50


@dataclass(frozen=True)
class Filters:
    """What the analyst narrowed the watchlist to; ``None`` (or False) means "any"."""

    category: str | None = None
    country: str | None = None
    city: str | None = None
    signal: str | None = None
    score_min: float | None = None
    score_max: float | None = None
    flagged_only: bool = False
    flagged_since: dt.date | None = None  # first flagged on or after this day

    def params(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def active(self) -> bool:
        return self != Filters()


@dataclass(frozen=True)
class Headline:
    as_of: dt.date
    sellers_scored: int
    sellers_flagged: int
    newly_flagged: int  # flagged now, not flagged by the previous run
    previous_as_of: dt.date | None
    cleared_hidden: int = 0  # flagged, but cleared before on evidence that has not grown: hidden
    cleared_hidden_new: int = 0  # of those, newly flagged

    def shown(self, show_cleared: bool = False) -> Headline:
        """The counts as the watchlist shows them: without the hidden cleared sellers, unless shown."""
        if show_cleared:
            return self
        return replace(self, sellers_flagged=self.sellers_flagged - self.cleared_hidden,
                       newly_flagged=self.newly_flagged - self.cleared_hidden_new)


@dataclass(frozen=True)
class Page:
    rows: pd.DataFrame  # watchlist_page.sql's columns (without total_matching), cleared_hidden and
    #                     cleared_note (feedback.mark_cleared), rank_trend
    total_matching: int
    page: int  # 1-based, after clamping to the pages that exist
    pages: int


def runs(con) -> list[dt.date]:
    """The as-of dates of the stored scoring runs, newest first."""
    return [row[0] for row in con.execute("select as_of from score_runs order by as_of desc").fetchall()]


def same_evidence(cleared: pd.DataFrame | None) -> list[str]:
    """The sellers of ``feedback.cleared_review`` cleared on the evidence they still have."""
    if cleared is None or cleared.empty:
        return []
    return sorted(cleared.loc[cleared["hidden"].eq(True), "seller_id"])


def headline(con, as_of: dt.date, *, cleared: pd.DataFrame | None = None) -> Headline:
    """The run's numbers; ``cleared`` is ``feedback.cleared_review`` for the run (none: nothing hidden)."""
    row = con.execute(queries.load("watchlist_headline"),
                      {"as_of": as_of, "cleared_sellers": same_evidence(cleared)}).fetchone()
    scored, flagged, new, previous, hidden, hidden_new = row
    return Headline(as_of, int(scored), int(flagged), int(new or 0), previous, int(hidden), int(hidden_new))


@dataclass(frozen=True)
class FilterOptions:
    places: pd.DataFrame  # category, country, city, sellers
    signals: list[str]  # signal names, in reading order
    score_max: float
    flagged_dates: list[dt.date]  # runs up to as_of that flagged anyone

    def categories(self) -> list[str]:
        return sorted(self.places["category"].dropna().unique())

    def countries(self, category: str | None = None) -> list[str]:
        places = self.places if category is None else self.places[self.places["category"] == category]
        return sorted(places["country"].dropna().unique())

    def cities(self, country: str | None = None, category: str | None = None) -> list[str]:
        places = self.places
        if category is not None:
            places = places[places["category"] == category]
        if country is not None:
            places = places[places["country"] == country]
        return sorted(places["city"].dropna().unique())


def filter_options(con, as_of: dt.date) -> FilterOptions:
    places = con.execute(queries.load("watchlist_filter_options"), {"as_of": as_of}).df()
    known = [m.NAME for m in signals.all_signals()]
    fired = [r[0] for r in con.execute(
        "select distinct signal from evidence where as_of = $as_of order by signal", {"as_of": as_of}).fetchall()]
    score_max = con.execute("select coalesce(max(score), 0) from seller_scores where as_of = $as_of",
                            {"as_of": as_of}).fetchone()[0]
    flagged_dates = [r[0] for r in con.execute(
        "select distinct as_of from seller_scores where flagged and as_of <= $as_of order by as_of",
        {"as_of": as_of}).fetchall()]
    return FilterOptions(places, known + [s for s in fired if s not in known], float(score_max), flagged_dates)


def page(con, as_of: dt.date, filters: Filters = Filters(), page: int = 1, page_size: int = PAGE_SIZE,
         *, sizes: pd.DataFrame | None = None, with_trend: bool = True, cleared: pd.DataFrame | None = None,
         show_cleared: bool = False) -> Page:
    """One page of the filtered watchlist, with each seller's weekly relative-rank trend.

    ``sizes`` is ``seller_view.category_sizes(con, as_of)``, which callers keep per run (computed here
    when not given). ``cleared`` is ``feedback.cleared_review`` for the run: flagged sellers cleared on
    the same evidence are left out unless ``show_cleared``, and every cleared seller shown is marked.
    """
    sql = queries.load("watchlist_page")
    page = max(1, int(page))
    hidden = [] if show_cleared else same_evidence(cleared)
    params = {"as_of": as_of, "limit": page_size, "hidden_sellers": hidden, **filters.params()}
    rows = con.execute(sql, {**params, "offset": (page - 1) * page_size}).df()
    if rows.empty and page > 1:  # a stale page number from an old link: show the last page instead
        first = con.execute(sql, {**params, "offset": 0}).df()
        total = int(first["total_matching"].iloc[0]) if not first.empty else 0
        page = max(1, -(-total // page_size))
        rows = first if page == 1 else con.execute(sql, {**params, "offset": (page - 1) * page_size}).df()
    total = int(rows["total_matching"].iloc[0]) if not rows.empty else 0
    rows = rows.drop(columns="total_matching")
    rows["signals"] = [list(s) if s is not None else [] for s in rows["signals"]]
    rows = feedback.mark_cleared(rows, review=cleared if cleared is not None else feedback.no_cleared())
    if with_trend:
        sizes = seller_view.category_sizes(con, as_of) if sizes is None else sizes
        trend = rank_trends(con, list(rows["seller_id"]), as_of, sizes)
        rows["rank_trend"] = [trend.get(s, []) for s in rows["seller_id"]]
    return Page(rows, total, page, max(1, -(-total // page_size)))


def rank_trends(con, seller_ids: list[str], as_of: dt.date, sizes: pd.DataFrame) -> dict[str, list[float]]:
    """Per seller, the weekly relative rank of its best product, as "standing" (up = better).

    Standing is ``-ln(rank share)``: rank 1 of 1,000 reads 6.9, the median product 0.7.
    """
    weekly = seller_view.weekly_relative_rank(con, seller_ids, as_of, sizes)
    return {seller: list(np.round(-group["rel_rank"].to_numpy(float), 3))
            for seller, group in weekly.groupby("seller_id", sort=False)}
