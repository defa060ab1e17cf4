"""Harvested reviewers where the trace is spread out: a buyer who sends its leaked reviewers a few a
week for months never bursts, but over its whole history its new reviewers are far more often people
who had reviewed its rivals first than its category's are (issue 11: power where the trace is)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.test_signals_reviews import START, Market, findings, scored, significant


@pytest.fixture(scope="module")
def drip_market(tmp_path_factory):
    """K04 gets 5-star reviews from 36 customers who had reviewed its rivals, two a week from day 30
    on (no week stands out); G02 goes viral and G20 launches (honest look-alikes)."""
    m = Market(seed=9)
    for week in range(18):
        m.harvest("PK04", 30 + 6 * week, 2)
    m.viral("PG02", 90, 5)
    m.launch("G20", "Garden", 60, 1.5)
    path = tmp_path_factory.mktemp("drip") / "market.duckdb"
    return scored(m.build(path))


def test_a_slow_drip_of_harvested_reviewers_is_found_over_the_whole_history(drip_market):
    run = drip_market
    assert significant(run, "harvested_reviewers") == {"K04"}
    row = findings(run, "harvested_reviewers").loc["K04"]
    assert "over its whole history" in row["detail"]
    assert row["changepoint_date"] <= START + dt.timedelta(days=60)
    assert run.scores.set_index("seller_id").loc["K04", "flagged"]
    assert not run.scores.set_index("seller_id").loc[["G02", "G20"], "flagged"].any()


def test_every_seller_with_new_reviewers_gets_a_p_value(drip_market):
    tested = drip_market.tests
    harvested = tested[tested["signal"] == "harvested_reviewers"]
    assert harvested["p_value"].between(0, 1).all()
    assert len(harvested) >= 40


def test_with_no_harvest_the_p_values_stay_honest(tmp_path):
    # The whole-history component and the simulation-calibrated scan must not turn ordinary overlap
    # (customers reviewing several products of a category) into evidence.
    run = scored(Market(seed=17).build(tmp_path / "market.duckdb"))
    harvested = run.tests[run.tests["signal"] == "harvested_reviewers"]
    assert len(harvested) >= 35
    assert (harvested["p_value"] < 0.05).mean() <= 0.10
    assert not significant(run, "harvested_reviewers")
