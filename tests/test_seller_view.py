"""The seller page's data and figure: profile, verdict, the chart's series and change points, rivals
hurt, shared reviewers and staff access, each as of a run and never past it. Plus the competitor view
and the pure chart builders."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from analytics import competitors, figures, seller_view, signals, store
from tests import dashboard_market as market
from tests.builders import build_db

LAST = market.LAST_DAY
BUYER, VICTIM = market.BUYER, market.VICTIM


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    # The dashboard's own configuration: DuckDB refuses a second connection to a file with another one,
    # and the pages' tests (same process) keep theirs open.
    connection = store.connect_read_only(market.shared(tmp_path_factory))
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def buyer(con):
    found = seller_view.evidence(con, BUYER, LAST)
    return found, seller_view.chart(con, BUYER, LAST, "P000", found)


def test_profile_and_verdict_of_a_known_seller_and_none_for_an_unknown_one(con):
    profile = seller_view.profile(con, BUYER)
    assert (profile.country, profile.city, profile.primary_category, profile.products) == \
        ("CN", "Shenzhen", "kitchen", 1)
    assert seller_view.profile(con, "NO-SUCH-SELLER") is None
    verdict = seller_view.verdict(con, BUYER, LAST)
    assert verdict.flagged and verdict.score_rank == 1 and verdict.sellers_scored == 30
    assert {"reinstatement", "rank_jump"} <= set(verdict.signals)
    # A seller registered after a run was not scored by it.
    assert seller_view.verdict(con, "S029", market.EARLY_RUN) is None
    assert seller_view.verdict(con, "S029", LAST) is not None


def test_account_events_stop_at_the_run(con):
    early = seller_view.account_events(con, BUYER, dt.date(2026, 3, 1))
    late = seller_view.account_events(con, BUYER, LAST)
    assert list(early["event"]) == ["suspended", "reinstated"]  # the February episode only
    assert len(late) == 7


def test_evidence_is_strongest_first_with_titles(con, buyer):
    found, _ = buyer
    assert list(found["q_value"]) == sorted(found["q_value"])
    rank_jump = found[found["signal"] == "rank_jump"].iloc[0]
    assert rank_jump["title"] == signals.by_name()["rank_jump"].TITLE
    assert rank_jump["changepoint_date"].date() == market.RISE_DATE
    assert rank_jump["after"] < rank_jump["before"]


def test_chart_series_cover_the_date_axis_and_the_panels(con, buyer):
    _, chart = buyer
    daily = chart.daily
    assert daily["date"].min().date() == market.START and daily["date"].max().date() == LAST
    assert len(daily) == market.DAYS
    assert daily["removed_staff"].sum() == 8  # the bought deletions
    assert daily["stars_5"].sum() >= 12  # the harvested burst
    assert daily["sales_rank"].notna().all() and daily["rank_explained"].notna().all()
    assert daily["visible_rating"].dropna().between(1, 5).all()


def test_rank_change_point_is_found_with_levels_before_and_after(buyer):
    _, chart = buyer
    rank = chart.changepoints[chart.changepoints["series"] == "sales_rank"]
    assert not rank.empty
    nearest = rank.iloc[(pd.to_datetime(rank["date"]) - pd.Timestamp(market.RISE_DATE)).abs().argmin()]
    assert abs((nearest["date"] - market.RISE_DATE).days) <= 3
    assert nearest["after"] < nearest["before"] / 3  # a much better (smaller) rank
    levels = chart.segments[chart.segments["series"] == "sales_rank"]
    assert len(levels) == len(rank) + 1
    marks = chart.evidence_marks.set_index("signal")
    assert marks.loc["rank_jump", "date"] == market.RISE_DATE
    assert marks.loc["rank_jump", "color"] == signals.by_name()["rank_jump"].COLOR


def test_chart_never_looks_past_its_day(con):
    no_findings = seller_view.evidence(con, BUYER, LAST).iloc[0:0]
    before_removals = dt.date(2026, 3, 4)  # the staff removals happen on 5-6 March
    early = seller_view.chart(con, BUYER, before_removals, "P000", no_findings).daily.set_index("date")
    later = seller_view.chart(con, BUYER, dt.date(2026, 3, 10), "P000", no_findings).daily.set_index("date")
    assert early.index.max().date() == before_removals
    assert early["removed_staff"].sum() == 0 and later["removed_staff"].sum() == 8
    # What was visible on 4 March does not change when later removals become known.
    day = pd.Timestamp(before_removals)
    assert early.loc[day, "visible_reviews"] == later.loc[day, "visible_reviews"]
    assert later["visible_reviews"].min() < early.loc[day, "visible_reviews"]


def test_rivals_hurt_as_the_buyer_rose(con, buyer):
    found, _ = buyer
    dates = seller_view.rise_dates(found)
    assert market.RISE_DATE in dates
    rivals = seller_view.rivals_affected(con, BUYER, LAST, dates)
    victim = rivals[(rivals["rival_id"] == VICTIM) & (rivals["rise_date"].dt.date == market.RISE_DATE)].iloc[0]
    assert victim["rank_factor"] > 3
    assert victim["one_star_after"] >= 15 > victim["one_star_before"]
    assert rivals.iloc[0]["rival_id"] == VICTIM
    assert seller_view.rivals_affected(con, BUYER, LAST, []).empty


def test_shared_reviewers_put_the_harvest_first_with_pseudonymous_ids_only(con):
    shared = seller_view.shared_reviewers(con, BUYER, LAST)
    # Ordinary customers who happened to review a rival first may sit among them, but not above many.
    harvested = shared.head(15)
    harvested = harvested[harvested["reviewer_id"].str.startswith("H")]
    assert len(harvested) == 12
    assert harvested["reviewed_rivals_first"].all()
    assert (harvested["avg_rating_to_seller"] == 5).all()
    assert harvested["rivals"].map(list).map(lambda r: r == [VICTIM]).all()
    assert not {"seller_name", "email", "name"} & set(shared.columns)


def test_staff_access_up_to_the_run(con):
    assert seller_view.access_log_loaded(con)
    late = seller_view.staff_access(con, BUYER, LAST)
    assert list(late["employee_id"]) == ["E2"] + ["E7"] * 4
    assert late.set_index("employee_id").loc["E7", "other_sellers_touched"].iloc[0] == 1  # the victim
    early = seller_view.staff_access(con, BUYER, market.EARLY_RUN)
    assert set(early["employee_id"]) == {"E7"}


def test_no_access_log_is_told_apart_from_no_access(tmp_path):
    db = build_db(tmp_path / "bare.duckdb", sellers=pd.DataFrame({
        "seller_id": ["A"], "seller_name": ["a"], "country": ["US"], "registered_on": [dt.date(2025, 1, 1)],
        "primary_category": ["x"]}))
    with store.connect_read_only(db) as bare:
        assert not seller_view.access_log_loaded(bare)
        assert seller_view.overview(bare, "A", None).verdict is None


def test_competitors_view_finds_the_victim_losing_around_the_buyers_change_points(con):
    cats = competitors.categories(con, LAST)
    assert set(cats["category"]) == {"garden", "kitchen"}
    view = competitors.category_view(con, "kitchen", LAST)
    assert market.RISE_DATE in set(view.events["changepoint_date"].dt.date)
    summary = competitors.summary(view.shifts)
    assert summary.iloc[0]["seller_id"] == VICTIM and summary.iloc[0]["rank_factor"] > 3
    own = view.shifts[view.shifts["is_event_seller"]]
    assert (own["direction"] == "gained").any()
    assert {BUYER, VICTIM} <= set(view.trends["seller_id"])


def test_seller_figure_draws_aligned_panels_change_points_and_findings(buyer):
    _, chart = buyer
    fig = figures.seller_figure(chart.daily, chart.changepoints, chart.segments, chart.evidence_marks,
                               product_label="P000")
    names = [t.name for t in fig.data]
    assert figures.CHANGEPOINT_NAME in names
    markers = [t for t in fig.data if t.name == figures.CHANGEPOINT_NAME]
    assert sum(len(t.x) for t in markers) == len(chart.changepoints)
    low_end, high_end = fig.layout.yaxis.range  # best (lowest) rank at the top: the range runs high to low
    assert high_end < low_end and fig.layout.yaxis.type == "log"
    assert all(fig.layout[f"xaxis{i}"].matches == "x5" for i in ("", 2, 3, 4))  # one shared date axis
    colors = {s.line.color for s in fig.layout.shapes}
    assert signals.by_name()["rank_jump"].COLOR in colors
    assert any(name.startswith("finding: ") for name in names)


def test_targeting_graph_draws_one_arrow_per_edge_in_the_signal_colour():
    edges = pd.DataFrame({
        "seller_id": ["A", "A", "B"], "seller_name": ["a", "a", "b"], "rival_id": ["R", "S", "R"],
        "rival_name": ["r", "s", "r"], "signal": ["rank_jump", "reinstatement", "rank_jump"],
        "findings": [1, 2, 1], "first_date": [dt.date(2026, 1, 1)] * 3, "q_value": [0.01, 0.2, 0.03],
        "significant": [True, False, True]})
    colors = {"rank_jump": "#111111", "reinstatement": "#222222"}
    fig = figures.targeting_graph(edges, colors, {})
    arrows = [a for a in fig.layout.annotations if a.showarrow]
    assert len(arrows) == 3
    assert sorted(a.arrowcolor for a in arrows) == ["#111111", "#111111", "#222222"]


def test_a_finding_that_is_not_significant_is_not_drawn_as_a_finding(con):
    """S010's reinstatement was tested (q = 0.83): the chart marks its date thin and grey, named "not
    significant", and the buyer's significant findings stay "finding: ..." in their colour."""
    found = seller_view.evidence(con, "S010", LAST)
    chart = seller_view.chart(con, "S010", LAST, "P010", found)
    assert not chart.evidence_marks["significant"].any()
    fig = figures.seller_figure(chart.daily, chart.changepoints, chart.segments, chart.evidence_marks)
    names = [t.name for t in fig.data if t.name]
    assert "not significant: " + signals.by_name()["reinstatement"].TITLE in names
    assert not any(n.startswith("finding:") for n in names)
    found = seller_view.evidence(con, BUYER, LAST)
    buyer = seller_view.chart(con, BUYER, LAST, "P000", found)
    fig = figures.seller_figure(buyer.daily, buyer.changepoints, buyer.segments, buyer.evidence_marks)
    assert "finding: " + signals.by_name()["rank_jump"].TITLE in [t.name for t in fig.data]
