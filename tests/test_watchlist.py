"""The watchlist's data: ranking, headline numbers, every filter, paging and the rank sparkline, on the
hand-made marketplace (tests/dashboard_market.py) scored by the real engine."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analytics import store, watchlist
from analytics.watchlist import Filters
from tests import dashboard_market as market

LAST = market.LAST_DAY


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    # The dashboard's own configuration: DuckDB refuses a second connection to a file with another one,
    # and the pages' tests (same process) keep theirs open.
    connection = store.connect_read_only(market.shared(tmp_path_factory))
    yield connection
    connection.close()


def ids(page: watchlist.Page) -> list[str]:
    return list(page.rows["seller_id"])


def test_runs_newest_first_and_headline_counts_new_flags(con):
    assert watchlist.runs(con) == [LAST, market.EARLY_RUN]
    head = watchlist.headline(con, LAST)
    assert (head.sellers_scored, head.sellers_flagged, head.newly_flagged) == (30, 2, 1)
    assert head.previous_as_of == market.EARLY_RUN
    first = watchlist.headline(con, market.EARLY_RUN)
    # The early run did not score the seller registered after it; with no run before it, all its flags are new.
    assert (first.sellers_scored, first.sellers_flagged, first.newly_flagged, first.previous_as_of) == (29, 1, 1, None)


def test_most_suspicious_first_with_reasons_signals_and_trend(con):
    page = watchlist.page(con, LAST)
    assert page.total_matching == 30 and page.pages == 1
    assert ids(page)[:2] == [market.BUYER, market.LATE]
    top = page.rows.iloc[0]
    assert top["flagged"] and top["score"] > page.rows.iloc[1]["score"]
    assert {"reinstatement", "rank_jump"} <= set(top["signals"])
    assert "lifted after" in top["reasons"]
    assert top["first_flagged_on"].date() == market.EARLY_RUN
    assert list(page.rows["score_rank"]) == sorted(page.rows["score_rank"])


def test_rank_sparkline_rises_when_the_buyer_jumps(con):
    trend = watchlist.page(con, LAST).rows.set_index("seller_id")["rank_trend"]
    buyer = np.asarray(trend[market.BUYER])
    victim = np.asarray(trend[market.VICTIM])
    assert len(buyer) == 18  # weeks from Monday 2025-12-29 to the week of 2026-04-30
    assert buyer[-4:].mean() > buyer[:8].mean() + 1.0  # up = better
    assert victim[-4:].mean() < victim[:8].mean() - 0.5


@pytest.mark.parametrize("filters, expected", [
    (Filters(category="garden"), lambda r: set(r["category"]) == {"garden"} and market.BUYER not in set(r["seller_id"])),
    (Filters(country="DE"), lambda r: set(r["country"]) == {"DE"} and len(r) == 10),
    (Filters(country="CN", city="Shenzhen"), lambda r: set(r["city"]) == {"Shenzhen"} and len(r) == 10),
    (Filters(signal="reinstatement"), lambda r: set(r["seller_id"]) == {market.BUYER, market.LATE}),
    (Filters(signal="rank_jump"), lambda r: list(r["seller_id"]) == [market.BUYER]),
    (Filters(flagged_only=True), lambda r: list(r["seller_id"]) == [market.BUYER, market.LATE]),
    (Filters(flagged_since=LAST), lambda r: list(r["seller_id"]) == [market.LATE]),
    (Filters(score_max=0.5), lambda r: (r["score"] <= 0.5).all() and len(r) > 20),
])
def test_each_filter_narrows_the_rows(con, filters, expected):
    page = watchlist.page(con, LAST, filters)
    assert expected(page.rows), page.rows[["seller_id", "category", "country", "city", "score"]]
    assert page.total_matching == len(page.rows)


def test_score_range_keeps_the_sellers_inside_it(con):
    scores = watchlist.page(con, LAST).rows.set_index("seller_id")["score"]
    between = (scores[market.BUYER] + scores[market.LATE]) / 2
    assert ids(watchlist.page(con, LAST, Filters(score_min=between))) == [market.BUYER]
    assert market.BUYER not in ids(watchlist.page(con, LAST, Filters(score_max=between)))


def test_a_filter_that_matches_nothing_gives_an_empty_page(con):
    page = watchlist.page(con, LAST, Filters(country="DE", flagged_only=True))
    assert page.rows.empty and page.total_matching == 0 and page.pages == 1


def test_paging_happens_in_the_database_and_a_stale_page_shows_the_last(con):
    second = watchlist.page(con, LAST, page=2, page_size=7)
    assert second.pages == 5 and second.total_matching == 30
    assert list(second.rows["score_rank"]) == list(range(8, 15))
    stale = watchlist.page(con, LAST, page=99, page_size=7)
    assert stale.page == 5 and list(stale.rows["score_rank"]) == [29, 30]


def test_filter_options_offer_what_the_run_holds(con):
    options = watchlist.filter_options(con, LAST)
    assert options.categories() == ["garden", "kitchen"]
    assert options.countries() == ["CN", "DE", "US"]
    assert options.cities("DE") == ["Berlin"]
    assert {"reinstatement", "rank_jump"} <= set(options.signals)
    assert options.score_max > 10
    assert options.flagged_dates == [market.EARLY_RUN, LAST]


def test_an_earlier_run_is_read_as_it_was(con):
    early = watchlist.page(con, market.EARLY_RUN, Filters(flagged_only=True))
    assert ids(early) == [market.BUYER]
    assert "S029" not in ids(watchlist.page(con, market.EARLY_RUN))
    assert watchlist.page(con, dt.date(2020, 1, 1)).total_matching == 0


def cleared(**hidden: bool) -> pd.DataFrame:
    """A ``feedback.cleared_review`` by hand: seller -> hidden (cleared on the evidence it still has)."""
    return pd.DataFrame({
        "seller_id": list(hidden), "case_id": range(1, len(hidden) + 1), "cleared_at": pd.Timestamp("2026-04-01"),
        "cleared_by": "ana", "clear_reason": "honest promotion", "hidden": list(hidden.values()),
        "why": ["cleared in case #1; the evidence has not grown since" if h else "new signal since clearing: x"
                for h in hidden.values()]})


def test_a_seller_cleared_on_the_same_evidence_is_left_out_and_counted_apart(con):
    review = cleared(**{market.BUYER: True, market.LATE: False, "S010": True})  # S010 is not flagged
    head = watchlist.headline(con, LAST, cleared=review)
    assert (head.sellers_flagged, head.cleared_hidden, head.cleared_hidden_new) == (2, 1, 0)
    shown = head.shown()
    assert (shown.sellers_scored, shown.sellers_flagged, shown.newly_flagged) == (30, 1, 1)
    assert head.shown(show_cleared=True) == head

    flagged = watchlist.page(con, LAST, Filters(flagged_only=True), cleared=review)
    assert ids(flagged) == [market.LATE] and flagged.total_matching == shown.sellers_flagged
    assert flagged.rows["cleared_note"].iloc[0].startswith("re-flagged after clearing")
    everyone = watchlist.page(con, LAST, cleared=review)
    assert everyone.total_matching == 29 and market.BUYER not in ids(everyone)
    quiet = everyone.rows.set_index("seller_id").loc["S010"]  # cleared, not flagged: listed, with the note
    assert quiet["cleared_hidden"] and quiet["cleared_note"].endswith("has not grown since")

    shown_too = watchlist.page(con, LAST, Filters(flagged_only=True), cleared=review, show_cleared=True)
    assert ids(shown_too) == [market.BUYER, market.LATE]
    assert shown_too.rows["cleared_hidden"].tolist() == [True, False]
