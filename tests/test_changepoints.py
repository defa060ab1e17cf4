"""analytics.changepoints: detect, step_test, segments and the benchmark metrics.

Synthetic series are seeded, so every assertion is deterministic. "Most seeds" claims are
checked over 20 seeds; the false-alarm rates they allow are about twice the rates measured over
200-300 seeds (5 % nominal), so they fail on a real regression, not on chance.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy.signal import lfilter

from analytics.changepoints import (
    BinarySegmentation,
    NotEnoughPoints,
    Segment,
    detect,
    segments,
    step_test,
)
from analytics.changepoints.benchmark import ar1_without_change, false_alarm_rate
from analytics.changepoints.inference import sup_wald_pvalue
from analytics.changepoints.metrics import covering, f_measure
from analytics.changepoints.signal import as_signal

N = 365
SEEDS = range(20)


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def ar1(seed: int, phi: float, n: int = N) -> np.ndarray:
    return lfilter([1.0], [1.0, -phi], rng(seed).standard_normal(n))


def step(at: int, size: float, n: int = N) -> np.ndarray:
    return size * (np.arange(n) >= at)


def near(found: list[int], expected: list[int], tolerance: int = 5) -> bool:
    return len(found) == len(expected) and all(
        abs(f - e) <= tolerance for f, e in zip(found, expected))


def seeds_with_changes(make, **options) -> int:
    return sum(bool(detect(make(seed), **options)) for seed in SEEDS)


# --- detect: known answers ----------------------------------------------------------------


@pytest.mark.parametrize("model", ["trend", "level"])
def test_one_step_is_found_where_it_is(model):
    hits = sum(near(detect(rng(s).standard_normal(N) + step(200, 2.0), model=model), [200])
               for s in SEEDS)
    assert hits >= 17


@pytest.mark.parametrize("model", ["trend", "level"])
def test_several_steps_are_all_found(model):
    def series(seed):
        return rng(seed).standard_normal(N) + step(120, 2.0) - step(240, 2.5)

    hits = sum(near(detect(series(s), model=model), [120, 240]) for s in SEEDS)
    assert hits >= 16


def test_a_step_near_the_end_of_a_year_is_visible():
    found = detect(rng(3).standard_normal(N) + step(335, 2.5))
    assert near(found, [335])


@pytest.mark.parametrize("model", ["trend", "level"])
def test_white_noise_has_no_change_in_most_seeds(model):
    assert seeds_with_changes(lambda s: rng(s).standard_normal(N), model=model) <= 3


@pytest.mark.parametrize("model", ["trend", "level"])
def test_autocorrelated_noise_has_no_change_in_most_seeds(model):
    # AR(1) with phi 0.7 wanders in long swells; independent-noise tests call each one a break
    assert seeds_with_changes(lambda s: ar1(s, 0.7), model=model) <= 3


@pytest.mark.parametrize("model", ["trend", "level"])
def test_at_most_five_percent_of_ar1_series_without_a_change_get_a_change_point(model):
    # the false-alarm budget: 5,000 seeded stationary AR(1) series, phi uniform in [0.5, 0.9], a
    # year of daily points each (about 4.2 % for trend, 4.5 % for level; the rate's standard error
    # at this size is 0.3 points, so the test fails on a real loss of calibration, not on chance).
    # Any change point needs the first test to pass, so max_breaks=1 gives the same answer, faster.
    null = ar1_without_change(5000, seed=7)
    assert false_alarm_rate(lambda y: detect(y, model=model, max_breaks=1), null) <= 0.05


def test_a_step_in_autocorrelated_noise_is_found_where_it_is():
    def series(seed):
        return ar1(seed, 0.7) + step(230, 3.0 / math.sqrt(1 - 0.7**2))  # three noise SDs

    hits = sum(any(abs(f - 230) <= 5 for f in detect(series(s))) for s in SEEDS)
    assert hits >= 16


def test_a_change_in_growth_of_a_random_walk_is_found_where_it_is():
    # integrated noise: no level test can tell a break from the wander, the growth rate can
    def series(seed):
        return np.cumsum(rng(seed).standard_normal(N) + 0.5 * (np.arange(N) >= 180))

    def hits(**options):
        return sum(any(abs(f - 180) <= 15 for f in detect(series(s), **options)) for s in SEEDS)

    assert hits() >= 13
    assert hits(integrated=None) <= hits() - 3  # levels and slopes alone miss more of them


def test_a_sudden_step_in_persistent_noise_is_found_where_it_is():
    # phi 0.9 wanders by 2.3 innovation SDs on its own; a step of 6 that arrives in one day is
    # small against the wander but all but impossible as one innovation
    def series(seed):
        return ar1(seed, 0.9) + step(250, 6.0)

    def hits(**options):
        return sum(any(abs(f - 250) <= 3 for f in detect(series(s), **options)) for s in SEEDS)

    assert hits() >= 15
    assert hits(jumps=0) <= 10  # the break tests alone, weighing it against the wander


@pytest.mark.parametrize("period", [28, 30, 45])
def test_a_regular_cycle_of_jumps_is_not_a_change(period):
    # a payday sawtooth: a jump up every `period` days, a slow decline in between
    def series(seed):
        t = np.arange(N)
        return 1.0 - (t % period) / period + 0.05 * rng(seed).standard_normal(N)

    assert seeds_with_changes(series) <= 2


def test_the_naive_independent_noise_test_is_fooled_by_the_same_noise():
    from analytics.changepoints.benchmark import naive_baseline

    fooled = sum(bool(naive_baseline(ar1(s, 0.7))) for s in SEEDS)
    assert fooled >= 12


def test_a_linear_trend_is_not_a_change():
    def series(seed):
        return 0.05 * np.arange(N) + ar1(seed, 0.5)

    assert seeds_with_changes(series) <= 3
    assert detect(0.02 * np.arange(N) + rng(0).standard_normal(N)) == []


def test_a_trend_with_a_step_gives_the_step_only():
    found = detect(0.02 * np.arange(N) + rng(1).standard_normal(N) + step(150, 2.5))
    assert near(found, [150])


def test_heavy_tailed_noise_keeps_the_step_and_adds_nothing():
    def noise(seed):
        return rng(seed).standard_t(3, N)

    assert seeds_with_changes(noise) <= 3
    hits = sum(near(detect(noise(s) + step(200, 2.0)), [200]) for s in SEEDS)
    assert hits >= 16


def test_missing_values_are_gaps_not_zeros():
    values = 10.0 + rng(4).standard_normal(N)
    values[100:140] = np.nan  # a 40-day gap: as zeros it would be two huge breaks
    values[250:253] = np.nan
    assert detect(values) == []


def test_a_break_inside_a_gap_is_reported_where_the_new_level_is_first_seen():
    values = rng(5).standard_normal(N) + step(200, 3.0)
    values[190:210] = np.nan
    assert detect(values) == [210]


def test_a_step_between_gappy_stretches_is_found():
    values = rng(6).standard_normal(N) + step(180, 2.5)
    for start in (30, 90, 160, 250, 300):
        values[start:start + 8] = np.nan
    assert near(detect(values), [180])


def test_nile_flow_drops_once_in_1899():
    volume = sm.datasets.nile.load_pandas().data["volume"].to_numpy()
    assert detect(volume) == [28]
    assert detect(volume, model="level") == [28]


# --- detect: contract and options -----------------------------------------------------------


def test_result_is_sorted_python_ints_inside_the_series():
    values = rng(7).standard_normal(N) + step(100, 3.0) + step(260, -3.0)
    found = detect(values)
    assert found == sorted(found) and all(type(i) is int and 0 < i < N for i in found)


def test_accepts_lists_and_pandas_series_with_missing_values():
    values = list(rng(8).standard_normal(120) + step(60, 3.0, 120))
    as_series = pd.Series(values, dtype="Float64")
    as_series.iloc[10:14] = pd.NA
    assert near(detect(values), [60])
    assert near(detect(as_series), [60])


def test_options_are_keyword_only():
    with pytest.raises(TypeError):
        detect(rng(0).standard_normal(50), "level")


def test_max_breaks_keeps_the_most_significant():
    values = rng(9).standard_normal(N) + step(120, 1.5) + step(240, 4.0)
    assert near(detect(values, max_breaks=1), [240])


def test_a_weekly_cycle_can_be_removed_first():
    weekly = np.tile([0.0, 0.2, 0.1, 0.0, 0.3, 2.5, 3.0], N // 7 + 1)[:N]
    values = weekly + 0.5 * rng(10).standard_normal(N) + step(200, 1.5)
    assert near(detect(values, period=7), [200])


@pytest.mark.parametrize("values", [[1.0] * 9, [np.nan] * 40, [1.0, np.nan] * 9])
def test_too_short_to_judge_is_a_domain_error(values):
    with pytest.raises(NotEnoughPoints) as error:
        detect(values)
    assert isinstance(error.value, ValueError)


def test_min_size_decides_what_is_too_short():
    with pytest.raises(NotEnoughPoints):
        detect(rng(0).standard_normal(30), min_size=20)


@pytest.mark.parametrize("values", [np.ones((10, 2)), [1.0, np.inf] * 10, ["a", "b"]])
def test_malformed_input_is_refused(values):
    with pytest.raises(ValueError):
        detect(values)


def test_unknown_model_is_refused():
    with pytest.raises(ValueError, match="unknown model"):
        detect(rng(0).standard_normal(50), model="wiggle")


def test_search_is_usable_on_its_own_like_a_ruptures_estimator():
    signal = as_signal(rng(11).standard_normal(200) + step(80, 3.0, 200))
    search = BinarySegmentation("level", min_size=10).fit(signal)
    assert near(search.predict(), [80])
    assert search.tests_[0].p_value < 1e-6


# --- step_test ------------------------------------------------------------------------------


def test_an_unexplained_step_has_a_tiny_p_value():
    values = 5.0 + 0.8 * ar1(12, 0.5) + step(200, 2.0)
    result = step_test(values, 200)
    assert result.p_value < 1e-6
    assert result.step == pytest.approx(2.0, abs=0.5)
    assert result.after - result.before == pytest.approx(result.step)


def test_a_step_the_price_cut_explains_has_a_large_p_value():
    r = rng(13)
    log_price = np.log(20.0) - 0.3 * (np.arange(N) >= 200) + 0.05 * r.standard_normal(N)
    ad_spend = r.gamma(2.0, 5.0, N)
    sales = 10.0 - 6.0 * log_price + 0.05 * ad_spend + lfilter([1], [1, -0.5], r.standard_normal(N))
    naive = step_test(sales, 200)
    net = step_test(sales, 200, exog=pd.DataFrame({"log_price": log_price, "ads": ad_spend}))
    assert naive.p_value < 1e-6  # the jump is real...
    assert net.p_value > 0.1  # ...but the price cut accounts for it
    assert abs(net.step) < abs(naive.step) / 2


def test_a_regressor_that_is_the_step_itself_leaves_nothing_to_test():
    values = rng(14).standard_normal(100) + step(50, 2.0, 100)
    result = step_test(values, 50, exog=step(50, 1.0, 100))
    assert result.p_value == 1.0 and math.isnan(result.step)


def test_step_test_matches_statsmodels_ols_with_hac():
    r = rng(15)
    exog = r.standard_normal((N, 2))
    values = exog @ [1.0, -2.0] + step(150, 0.7) + ar1(16, 0.6)
    result = step_test(values, 150, exog=exog, hac_lags=6)
    design = np.column_stack([np.ones(N), step(150, 1.0), exog - exog.mean(axis=0)])
    fit = sm.OLS(values, design).fit(cov_type="HAC",
                                     cov_kwds={"maxlags": 6, "use_correction": True})
    assert result.before == pytest.approx(fit.params[0])
    assert result.step == pytest.approx(fit.params[1])
    assert result.std_error == pytest.approx(fit.bse[1])
    assert result.effect_size == pytest.approx(fit.params[1] / math.sqrt(fit.mse_resid))


def test_without_regressors_levels_are_the_two_means():
    values = np.r_[np.full(10, 1.0), np.full(10, 3.0)] + rng(17).standard_normal(20) * 0.1
    result = step_test(values, 10)
    assert result.before == pytest.approx(values[:10].mean())
    assert result.after == pytest.approx(values[10:].mean())


def test_step_test_drops_rows_with_missing_values():
    values = rng(18).standard_normal(100) + step(50, 1.0, 100)
    values[5:10] = np.nan
    price = np.ones(100) + 0.1 * rng(19).standard_normal(100)
    price[60] = np.nan
    assert step_test(values, 50, exog=price).n_used == 94


def test_step_test_needs_points_on_both_sides():
    values = np.r_[rng(20).standard_normal(30), np.nan, np.nan]
    with pytest.raises(NotEnoughPoints):
        step_test(values, 30)
    with pytest.raises(ValueError):
        step_test(values, 0)
    with pytest.raises(ValueError):
        step_test(values, 10, exog=np.ones((5, 1)))


# --- segments -------------------------------------------------------------------------------


def test_segments_give_each_piece_its_mean_level():
    values = [1.0, 3.0, np.nan, 10.0, 12.0, np.nan, np.nan]
    first, second, last = segments(values, [2, 5])
    assert (first, second) == (Segment(0, 2, 2.0, 2), Segment(2, 5, 11.0, 2))
    assert (last.start, last.end, last.n_observed) == (5, 7, 0) and math.isnan(last.mean)
    assert segments(values, []) == [Segment(0, 7, 6.5, 4)]


def test_segments_follow_detect():
    values = rng(21).standard_normal(N) + step(200, 3.0)
    pieces = segments(values, detect(values))
    assert len(pieces) == 2 and pieces[0].start == 0 and pieces[-1].end == N
    assert pieces[1].mean - pieces[0].mean == pytest.approx(3.0, abs=0.4)


@pytest.mark.parametrize("breakpoints", [[0], [7], [3, 9]])
def test_segments_refuse_breakpoints_outside_the_series(breakpoints):
    with pytest.raises(ValueError):
        segments(np.ones(7), breakpoints)


# --- statistics and benchmark metrics ------------------------------------------------------


def test_sup_wald_p_value_reproduces_andrews_critical_values():
    # Andrews (1993), one coefficient, 15 % trimming: 10 %, 5 %, 1 % critical values
    assert sup_wald_pvalue(7.17, 1, 0.15) == pytest.approx(0.10, abs=0.01)
    assert sup_wald_pvalue(8.68, 1, 0.15) == pytest.approx(0.05, abs=0.005)
    assert sup_wald_pvalue(12.16, 1, 0.15) == pytest.approx(0.01, abs=0.002)
    assert sup_wald_pvalue(0.0, 1, 0.15) == 1.0


def test_f1_and_cover_follow_the_tcpd_definitions():
    # examples from TCPDBench's metrics documentation
    assert f_measure({1: [10, 20], 2: [11, 20], 3: [10], 4: [0, 5]}, [10, 20])[0] == 1.0
    assert f_measure({1: [], 2: [10], 3: [50]}, [10])[0] == pytest.approx(0.9090909090909091)
    assert f_measure({1: [], 2: [10], 3: [50]}, [])[0] == pytest.approx(0.8)
    assert covering({1: [10, 20], 2: [10], 3: [0, 5]}, [10, 20], 45) == pytest.approx(
        0.7962962962962963)
    assert covering({1: [], 2: [10], 3: [40]}, [10], 45) == pytest.approx(0.7954144620811286)
    assert covering({1: [], 2: [10], 3: [40]}, [], 45) == pytest.approx(0.8189300411522634)
