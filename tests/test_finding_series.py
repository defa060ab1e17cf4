"""Each finding's own chart (issue 12, section 2): ``analytics.finding_series`` gives what the finding's
test measured (the series, the change point, the levels before and after, the band its reference
expects) and ``figures.finding_figure`` draws any of them; a finding that is not significant is drawn
as such."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analytics import figures, finding_series, seller_view, store
from tests import dashboard_market as market

LAST = market.LAST_DAY


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    connection = store.connect_read_only(market.shared(tmp_path_factory))
    yield connection
    connection.close()


def one(con, seller_id: str, signal: str, as_of=LAST) -> tuple[finding_series.FindingSeries, dict]:
    evidence = seller_view.evidence(con, seller_id, as_of)
    row = evidence[evidence["signal"] == signal].iloc[0]
    series = finding_series.finding_series(con, seller_id, as_of, row)
    assert series is not None
    return series, row


def test_review_removals_draws_the_weekly_staff_removals_against_the_prediction(con):
    series, row = one(con, market.BUYER, "review_removals")
    assert series.significant and series.color == "#9467bd" and series.kind == "bars"
    assert series.change_date == finding_series._date(row["changepoint_date"])
    # the wipe: nothing removed by staff before, a burst in the week of the change
    assert series.before < series.after
    change_week = [i for i, d in enumerate(series.x) if d <= series.change_date][-1]
    assert series.values[change_week] == series.values.max() > 0
    # the prediction summed over the weeks is the run's (effect = log((observed + .5) / (predicted + .5))),
    # and the band holds it every week, while the wipe's week lies far above the band
    predicted = (series.values.sum() + 0.5) / np.exp(row["effect"]) - 0.5
    assert series.expected.sum() == pytest.approx(max(predicted, 0.0))
    assert np.all(series.band_low <= series.expected + 1e-9) and np.all(series.expected <= series.band_high + 1e-9)
    assert series.values[change_week] > series.band_high[change_week]
    assert "band" in series.caption


def test_the_figure_draws_the_series_band_expected_line_and_change_in_the_signal_colour(con):
    series, _ = one(con, market.BUYER, "review_removals")
    fig = figures.finding_figure(series)
    names = [t.name for t in fig.data]
    assert "this seller" in names and "ordinary band" in names
    assert any(t.name == "removals per week before / after" for t in fig.data)
    bars = next(t for t in fig.data if t.name == "this seller")
    assert bars.marker.color == series.color
    assert "(finding, q" in fig.layout.title.text
    assert any(s.type == "line" and s.x0 == series.change_date for s in fig.layout.shapes)


def test_a_finding_that_is_not_significant_is_drawn_grey_and_says_so(con):
    series, _ = one(con, market.BUYER, "review_removals")
    series.significant, series.q_value = False, 0.17
    fig = figures.finding_figure(series)
    assert "not significant, q = 0.17" in fig.layout.title.text
    drawn = next(t for t in fig.data if (t.name or "").startswith("this seller"))
    assert drawn.name == "this seller (not significant)" and drawn.marker.color == figures.NOT_SIGNIFICANT_COLOR


def test_every_finding_series_of_a_seller_puts_the_significant_first(con):
    evidence = seller_view.evidence(con, market.BUYER, LAST)
    # The buyer's findings are all significant here: mark the first one not, as a weaker run would.
    evidence = evidence.copy()
    demoted = evidence["signal"].iat[0]
    evidence.loc[evidence.index[0], ["significant", "q_value"]] = [False, 0.5]
    found = finding_series.all_finding_series(con, market.BUYER, LAST, evidence)
    assert found and found[0].significant
    assert [s.significant for s in found] == [True] * (len(found) - 1) + [False]
    assert found[-1].signal == demoted
    only = finding_series.all_finding_series(con, market.BUYER, LAST, evidence, significant_only=True)
    assert all(s.significant for s in only) and len(only) == len(found) - 1


def test_reinstatement_draws_each_episodes_hours_against_its_reasons_ordinary_durations(con):
    series, row = one(con, market.BUYER, "reinstatement")
    assert series.significant and series.kind == "points" and series.log_y and series.color == "#d62728"
    assert series.change_date == finding_series._date(row["changepoint_date"])
    # the quick lifts lie below the reason's middle half, whose median the band holds
    assert len(series.values) >= 2 and np.all(series.values < series.band_low)
    assert np.all((series.band_low <= series.expected) & (series.expected <= series.band_high))
    assert series.after < series.before  # hours: ordinary -> this one
    assert any(d.date() == series.change_date for d in series.x)
    assert "middle half" in series.caption


def test_an_ordinary_reinstatement_is_marked_not_significant_and_lies_in_its_band(con):
    evidence = seller_view.evidence(con, "S010", LAST)
    row = evidence[evidence["signal"] == "reinstatement"].iloc[0]
    assert not row["significant"]
    series = finding_series.finding_series(con, "S010", LAST, row)
    assert not series.significant
    assert "not significant" in figures.finding_figure(series).layout.title.text
    assert np.any((series.band_low <= series.values) & (series.values <= series.band_high))


def test_harvested_reviewers_draws_the_weekly_rival_first_share_against_the_category(con):
    series, row = one(con, market.BUYER, "harvested_reviewers")
    assert series.significant and series.color == "#e377c2"
    assert series.change_date == finding_series._date(row["changepoint_date"])
    assert series.before < series.after
    # the harvest's weeks stand far above everyone else's share and its band; before them the seller
    # was ordinary
    weeks = np.array(series.x)
    during = (weeks >= series.change_date - dt.timedelta(days=7)) & (weeks <= series.after_end)
    assert np.nanmax(series.values[during]) == 1.0
    assert np.any(series.values[during] > series.band_high[during])
    shown = np.isfinite(series.expected)
    assert np.all((series.band_low[shown] <= series.expected[shown]) & (series.expected[shown] <= series.band_high[shown]))
    assert np.nanmax(series.values[weeks < series.change_date - dt.timedelta(days=14)]) < 0.5
    assert "unverified" in series.value_label  # the evidence's marker: praise without a verified purchase


def test_rank_jump_draws_the_products_rank_against_what_price_and_ads_explain(con):
    series, row = one(con, market.BUYER, "rank_jump")
    assert series.significant and series.color == "#1f77b4" and series.log_y and series.reverse_y
    assert series.change_date == finding_series._date(row["changepoint_date"]) == market.RISE_DATE
    assert series.after < series.before  # a better (smaller) rank
    days = np.array(series.x)
    after = days >= series.change_date + dt.timedelta(days=3)
    # after the jump the rank is better than the whole band price and ads allow; before, mostly inside it
    assert np.all(series.values[after] < series.band_low[after])
    before = days < series.change_date
    inside = (series.band_low[before] <= series.values[before]) & (series.values[before] <= series.band_high[before])
    assert inside.mean() > 0.85
    assert np.all((series.band_low <= series.expected) & (series.expected <= series.band_high))
    fig = figures.finding_figure(series)
    low, high = fig.layout.yaxis.range
    assert low > high  # better ranks up


def test_review_burst_draws_reviews_per_day_against_the_weeks_before(con):
    """The test market has no burst finding; the buyer's harvest is a burst of reviews, so an evidence row
    as review_burst writes it (rates before and during, the span in the detail) is drawn from the data."""
    row = {"signal": "review_burst", "changepoint_date": dt.date(2026, 3, 4), "before": 0.5, "after": 1.2,
           "significant": True, "q_value": 0.001,
           "detail": "17 reviews between 2026-03-04 and 2026-03-17 (1.2 a day against 0.5 before); ..."}
    series = finding_series.finding_series(con, market.BUYER, LAST, row)
    assert series.significant and series.color == "#bcbd22" and series.kind == "bars"
    assert series.change_date == dt.date(2026, 3, 4) and series.after_end == dt.date(2026, 3, 17)
    assert series.before < series.after
    drawn = np.isfinite(series.expected)
    assert np.all(series.expected[drawn] == 0.5)
    assert np.all((series.band_low[drawn] <= 0.5) & (0.5 <= series.band_high[drawn]))
    assert series.x[0] <= dt.date(2026, 3, 4) - dt.timedelta(days=84) and series.x[-1] <= LAST
    days = np.array(series.x)
    assert series.values[(days >= dt.date(2026, 3, 4)) & (days <= dt.date(2026, 3, 17))].sum() > 0


def test_sabotage_draws_rivals_one_star_reviews_by_the_sellers_fans_against_ordinary_reviewers(tmp_path):
    """A small market: six accounts give the buyer B0 5 stars and its rival B1 1 star in one week of March;
    four hundred ordinary reviewers review everyone."""
    from tests.builders import build_db

    start = dt.date(2026, 1, 1)
    sellers = pd.DataFrame({"seller_id": ["B0", "B1", "B2"], "seller_name": ["Buyer", "Rival", "Other"],
                            "country": "CN", "registered_on": dt.date(2025, 1, 1), "primary_category": "kitchen"})
    products = pd.DataFrame({"product_id": ["Q0", "Q1", "Q2"], "seller_id": ["B0", "B1", "B2"],
                             "category": "kitchen", "launched_on": dt.date(2025, 6, 1)})
    rng = np.random.default_rng(5)
    reviews = [{"product_id": f"Q{rng.integers(0, 3)}", "reviewer_id": f"C{rng.integers(0, 400):03d}",
                "rating": int(rng.integers(1, 6)), "created_at": pd.Timestamp(start) + pd.Timedelta(hours=7 * i),
                "verified_purchase": True} for i in range(400)]
    attack = dt.date(2026, 3, 10)
    for k in range(6):
        reviews.append({"product_id": "Q0", "reviewer_id": f"Z{k}", "rating": 5, "verified_purchase": False,
                        "created_at": pd.Timestamp(attack) - pd.Timedelta(days=20 - k)})
        reviews.append({"product_id": "Q1", "reviewer_id": f"Z{k}", "rating": 1, "verified_purchase": False,
                        "created_at": pd.Timestamp(attack) + pd.Timedelta(hours=5 * k)})
    reviews = pd.DataFrame(reviews).assign(review_id=lambda f: [f"R{i:04d}" for i in range(len(f))])
    path = build_db(tmp_path / "sabotage.duckdb", sellers=sellers, products=products, reviews=reviews)
    row = {"signal": "sabotage", "changepoint_date": attack, "significant": True, "q_value": 1e-6,
           "related_seller_id": "B1"}
    with store.connect_read_only(path) as connection:
        series = finding_series.finding_series(connection, "B0", dt.date(2026, 4, 30), row)
    assert series.significant and series.color == "#8c564b" and series.change_date == attack
    week = attack - dt.timedelta(days=attack.weekday())
    at = series.x.index(week)
    assert series.values[at] >= 6 and series.values[at] > series.band_high[at]  # the attack, far above the band
    assert series.values.sum() - series.values[at] <= 3  # the buyer's fans seldom 1-star rivals otherwise
    assert np.all((series.band_low <= series.expected) & (series.expected <= series.band_high))
    assert series.before < series.after


def test_sales_intel_draws_the_price_against_the_aimed_listing_and_the_look_ups(tmp_path):
    """A small market: B1's Q1 sells at 20 all along; employee E1 pulls its sales figures on day 30, and B0
    cuts Q0's price from 30 to 18 on day 40 (10 % under Q1)."""
    from tests.builders import build_db

    start = dt.date(2026, 1, 1)
    days = pd.date_range(start, periods=90, freq="D")
    sellers = pd.DataFrame({"seller_id": ["B0", "B1"], "seller_name": ["Buyer", "Rival"], "country": "CN",
                            "registered_on": dt.date(2025, 1, 1), "primary_category": "kitchen"})
    products = pd.DataFrame({"product_id": ["Q0", "Q1"], "seller_id": ["B0", "B1"], "category": "kitchen",
                             "launched_on": dt.date(2025, 6, 1)})
    cut = start + dt.timedelta(days=40)
    daily = pd.concat([
        pd.DataFrame({"product_id": "Q0", "date": days.date, "units_sold": 5,
                      "price": np.where(np.arange(90) < 40, 30.0, 18.0)}),
        pd.DataFrame({"product_id": "Q1", "date": days.date, "units_sold": 50, "price": 20.0})])
    looked = pd.Timestamp(start + dt.timedelta(days=30)) + pd.Timedelta(hours=22)
    access = pd.DataFrame({"employee_id": ["E1", "E2"], "ts": [looked, looked], "action": ["view_sales", "view_account"],
                           "seller_id": ["B1", "B1"], "product_id": ["Q1", None]})
    path = build_db(tmp_path / "intel.duckdb", sellers=sellers, products=products, product_daily=daily,
                    access_log=access)
    row = {"signal": "sales_intel", "changepoint_date": cut, "significant": True, "q_value": 1e-4,
           "product_id": "Q0", "related_seller_id": "B1",
           "detail": f"cut the price of Q0 on {cut} priced 10% under B1's Q1; employee E1 looked up that rival's "
                     "figures 10 days before, in a category their own work had touched 0 times in 900 earlier logged actions"}
    with store.connect_read_only(path) as connection:
        series = finding_series.finding_series(connection, "B0", start + dt.timedelta(days=89), row)
    assert series.significant and series.color == "#17becf" and series.change_date == cut
    assert series.events == [looked.date()]  # the look-up, before the cut; the account view is not one
    assert series.before == 30.0 and series.after == 18.0
    at = series.x.index(cut)
    assert series.band_low[at] <= series.values[at] <= series.band_high[at]  # priced into the aimed window
    assert series.values[at - 1] > series.band_high[at - 1]  # not before the cut
    fig = figures.finding_figure(series)
    assert any(t.name == series.events_label for t in fig.data)


def test_staff_access_draws_sessions_on_the_sellers_side_against_its_usual_week(con):
    """E7 removed the buyer's reviews in one session on 2026-03-05, a week before its rank rose: the
    window the signal counts (21 days before the change) holds it, the rest of the log nothing."""
    row = {"signal": "staff_access", "changepoint_date": market.RISE_DATE, "significant": True, "q_value": 0.01}
    series = finding_series.finding_series(con, market.BUYER, LAST, row)
    assert series.color == "#7f7f7f" and series.kind == "bars"
    assert series.change_date == market.RISE_DATE - dt.timedelta(days=21) and series.change_label == "window from"
    assert series.values.sum() == 1  # one employee, one day, one kind: one session (four log lines)
    week = dt.date(2026, 3, 2)
    assert series.values[series.x.index(week)] == 1
    assert series.before == 0 and series.after > 0
    assert np.all((series.band_low <= series.expected) & (series.expected <= series.band_high))
    assert "window from" in str(figures.finding_figure(series).layout.annotations[0].text)
