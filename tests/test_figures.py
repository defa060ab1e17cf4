"""The figure builders, judged by what a person looking at the chart would notice: how many lines, how
many tick labels, an axis with nothing on it, a title cut off, a p-value of 2e-300."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analytics import competitors, figures, seller_view


def daily_frame(days: int = 120, *, start: str = "2026-01-01", rank=None, ads=None, empty_days: int = 0) -> pd.DataFrame:
    dates = pd.date_range(start, periods=days, freq="D")
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"date": dates})
    frame["sales_rank"] = rank if rank is not None else np.exp(rng.normal(np.log(150), 0.05, days))
    frame["rank_explained"] = frame["sales_rank"] * 1.01
    frame["price"] = 20.0
    frame["ad_spend"] = ads if ads is not None else 0.0
    for stars in range(1, 6):
        frame[f"stars_{stars}"] = rng.poisson(0.3, days)
    for remover in ("customer", "automated", "staff"):
        frame[f"removed_{remover}"] = 0
    frame["posted"] = frame[[f"stars_{s}" for s in range(1, 6)]].sum(axis=1)
    frame["removed"] = 0
    frame["visible_rating"] = 4.5
    if empty_days:  # the seller registered later than the marketplace's first day
        frame.loc[: empty_days - 1, frame.columns != "date"] = np.nan
    return frame


def draw(daily: pd.DataFrame, **kwargs):
    changepoints, segments = seller_view.changepoints_of(daily)
    marks = pd.DataFrame({"signal": ["rank_jump"], "title": ["Sales-rank jump"], "color": ["#3182bd"],
                          "date": [daily["date"].iloc[len(daily) // 2].date()]})
    return figures.seller_figure(daily, changepoints, segments, marks, **kwargs)


def rank_axis_labels(fig) -> list[str]:
    low_end, high_end = fig.layout.yaxis.range
    lo, hi = 10 ** min(low_end, high_end), 10 ** max(low_end, high_end)
    return [text for value, text in zip(fig.layout.yaxis.tickvals, fig.layout.yaxis.ticktext) if lo <= value <= hi]


@pytest.mark.parametrize("rank", [np.linspace(140, 160, 120), np.linspace(10, 40, 120), np.linspace(3, 3000, 120),
                                  np.full(120, 57.0)])
def test_the_log_rank_axis_has_at_least_three_labels_for_any_range(rank):
    fig = draw(daily_frame(rank=rank))
    assert fig.layout.yaxis.type == "log"
    labels = rank_axis_labels(fig)
    assert len(labels) >= 3, labels
    assert len(labels) <= 10, labels  # and not a crowd either
    assert all("e" not in label for label in labels)  # "150", "1,000": no "1e+3"


def test_no_ad_spend_means_no_ad_spend_axis():
    fig = draw(daily_frame(ads=0.0))
    assert not any("ad spend" in (t.name or "") for t in fig.data)
    assert not any(fig.layout[k].title.text == "ad spend" for k in fig.layout if k.startswith("yaxis"))
    assert any(a.text.startswith("Price (no ad spend") for a in fig.layout.annotations)
    with_ads = draw(daily_frame(ads=np.r_[np.zeros(60), np.full(60, 12.0)]))
    assert any((t.name or "").startswith("ad spend") for t in with_ads.data)


def test_the_date_axis_starts_where_the_sellers_data_does():
    daily = daily_frame(empty_days=30)
    fig = draw(daily)
    start = pd.Timestamp(fig.layout.xaxis.range[0])
    assert start == daily["date"].iloc[30]


def test_meeting_mode_is_large_type_fits_a_1080_screen_and_keeps_titles_whole():
    label = "A very long product title that would run off the plot on a projector (B0LONGTITLE1)"
    fig = draw(daily_frame(), product_label=label, projector=True)
    assert fig.layout.font.size >= 20
    assert fig.layout.height <= 1080
    assert fig.layout.yaxis.tickfont.size >= 18  # the theme's small ticks are overridden
    titles = [a.text for a in fig.layout.annotations]
    assert all(len(t) <= 90 for t in titles), titles  # a clipped "ales rank of ..." came from titles this long
    assert titles[0].startswith("Sales rank of ")


def test_a_change_point_with_no_visible_change_is_not_listed():
    assert not seller_view.visible_change(140.0, 140.4)  # "140 -> 140"
    assert seller_view.visible_change(140.0, 155.0)
    assert seller_view.visible_change(4.49, 4.28)
    rank = np.r_[np.full(60, 140.0), np.linspace(140.0, 141.0, 60)]  # a slope change, no level change
    changepoints, _ = seller_view.changepoints_of(daily_frame(rank=rank))
    shown = changepoints.assign(change=[f"{b:,.3g} -> {a:,.3g}" for b, a in
                                        zip(changepoints["before"], changepoints["after"])])
    assert not any(b == a for b, a in zip(shown["before"].map("{:,.3g}".format), shown["after"].map("{:,.3g}".format)))


def competitor_frames(sellers: int = 40):
    weeks = pd.date_range("2026-01-05", periods=30, freq="W-MON")
    ids = [f"S{i:02d}" for i in range(sellers)]
    trends = pd.DataFrame([(s, w, 2.0 + i * 0.05) for i, s in enumerate(ids) for w in weeks],
                          columns=["seller_id", "week", "standing"])
    events = pd.DataFrame({"seller_id": ["S00", "S01"], "seller_name": ["Flagged A", "Flagged B"], "score": [9.0, 8.0],
                           "changepoint_date": [dt.date(2026, 3, 2), dt.date(2026, 4, 6)],
                           "signals": [["sabotage"], ["rank_jump"]]})
    shifts = pd.DataFrame([("S00", dt.date(2026, 3, 2), s, f"Rival {s}", False, 1.1 + i / 10, 1, "lost")
                           for i, s in enumerate(ids[2:])],
                          columns=["event_seller_id", "event_date", "seller_id", "seller_name", "is_event_seller",
                                   "rank_factor", "products", "direction"])
    return trends, events, shifts


def test_the_competitors_rank_chart_draws_the_flagged_seller_against_a_few_rivals():
    trends, events, shifts = competitor_frames(40)
    rivals = competitors.rivals_that_lost(shifts, "S00", figures.RIVALS_DRAWN)
    assert rivals[0] == "S39"  # the one that lost most comes first
    fig = figures.rank_trend_figure(trends, {"S00": "Flagged A"}, "S00", rivals, events, {"sabotage": "#8c564b"})
    assert 2 <= len(fig.data) <= 1 + figures.RIVALS_DRAWN  # not 40 lines and a legend bigger than the plot
    assert fig.data[0].name == "Flagged A (flagged)" and fig.data[0].line.width > fig.data[1].line.width
    assert len(fig.layout.shapes) == 1  # only this seller's change point
    assert fig.layout.yaxis.type == "log" and len(fig.layout.yaxis.tickvals) >= 3
    assert all(t.startswith("top ") for t in fig.layout.yaxis.ticktext)
    assert len(fig.layout.yaxis.title.text) <= 40  # an axis title that fits beside the plot


def test_the_targeting_graph_keeps_long_names_inside_the_figure():
    edges = pd.DataFrame({"seller_id": ["A1"], "seller_name": ["A seller with a rather long trading name Ltd"],
                          "rival_id": ["R1"], "rival_name": ["A rival with an even longer trading name GmbH"],
                          "signal": ["sabotage"], "significant": [True]})
    fig = figures.targeting_graph(edges, {"sabotage": "#8c564b"}, {"sabotage": "Rivals attacked"})
    labels = [text for trace in fig.data if trace.text is not None for text in trace.text]
    assert labels and all(len(t) <= 40 for t in labels)
    assert all(trace.cliponaxis is False for trace in fig.data if trace.text is not None)
    swatches = [t for t in fig.data if t.showlegend is not False and t.name]
    assert swatches and all(t.line.width >= 2 for t in swatches)  # the legend shows the signal's colour


@pytest.mark.parametrize("value, shown", [
    (2e-300, "< 1e-16"), (0.0, "< 1e-16"), (1e-16, "1e-16"), (6.1e-11, "6.1e-11"), (1.7e-6, "1.7e-6"),
    (0.00031, "3.1e-4"), (0.012, "0.012"), (0.64, "0.64"), (1.0, "1"), (float("nan"), ""), (None, ""),
])
def test_p_and_q_values_are_shown_with_a_floor(value, shown):
    assert figures.format_p(value) == shown


def test_the_gains_and_losses_bars_leave_room_for_their_labels_both_ways():
    summary = pd.DataFrame({"seller_id": ["A", "B"], "seller_name": ["Lost Ltd", "Gained Ltd"],
                            "times_lost": [2, 0], "times_gained": [0, 2], "rank_factor": [2.0, 0.5]})
    fig = figures.shifts_figure(summary)
    low, high = fig.layout.xaxis.range
    assert low < -1 and high > 1  # beyond both bars (log2: -1 and +1), so "x0.50" is not drawn on the names


def test_a_level_line_starts_where_its_series_has_data():
    daily = daily_frame(days=200)
    daily.loc[:99, ["sales_rank", "rank_explained", "price"]] = np.nan  # the product launched on day 100
    daily.loc[100:, "price"] = np.r_[np.full(50, 20.0), np.full(50, 30.0)]
    fig = draw(daily)
    launch = daily["date"].iloc[100]
    levels = [t for t in fig.data if t.name == "level between change points"]
    assert levels
    price_levels = [t for t in levels if t.yaxis == fig.data[[d.name for d in fig.data].index("price")].yaxis]
    starts = [x for t in price_levels for x in t.x if x is not None]
    assert starts and min(pd.Timestamp(x) for x in starts) >= launch


def test_level_and_change_point_are_named_once_so_short_panels_legends_do_not_collide():
    daily = daily_frame(days=200)
    daily["price"] = np.r_[np.full(100, 20.0), np.full(100, 30.0)]
    daily["visible_rating"] = np.r_[np.full(100, 4.2), np.full(100, 4.7)]
    fig = draw(daily, projector=True)
    named = [t.name for t in fig.data if t.showlegend is not False and t.name]
    assert named.count(figures.CHANGEPOINT_NAME) == 1
    assert named.count("level between change points") == 1
