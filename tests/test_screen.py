"""The vectorised level-shift screen: honest under persistent noise, powerful on real shifts."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.scoring.screen import screen_level_shifts


def ar1(rng, rows: int, days: int, phi: float) -> np.ndarray:
    noise = rng.standard_normal((rows, days))
    series = np.empty_like(noise)
    series[:, 0] = noise[:, 0] / np.sqrt(1 - phi * phi)
    for t in range(1, days):
        series[:, t] = phi * series[:, t - 1] + noise[:, t]
    return series


@pytest.mark.parametrize("phi", [0.0, 0.5, 0.8])
def test_no_change_rarely_passes_the_screen(phi):
    rng = np.random.default_rng(11)
    series = ar1(rng, 4000, 365, phi)
    series[rng.random(series.shape) < 0.05] = np.nan  # missing days
    result = screen_level_shifts(series, direction=-1)
    # At p < 0.01 about 1 % of series with no change may pass; persistence must not inflate that.
    assert (result.p_value < 0.01).mean() < 0.02


def test_a_sustained_shift_is_found_at_its_date():
    rng = np.random.default_rng(3)
    series = rng.standard_normal((500, 365))
    series[:, 250:] -= 1.0
    result = screen_level_shifts(series, direction=-1)
    assert (result.p_value < 0.001).mean() > 0.95
    assert np.median(result.split) == 250
    assert np.allclose(np.nanmedian(result.after - result.before), -1.0, atol=0.1)


def test_a_shift_in_the_other_direction_is_not_reported():
    rng = np.random.default_rng(5)
    series = rng.standard_normal((300, 200))
    series[:, 120:] += 1.5  # rank got worse: not what the screen looks for
    result = screen_level_shifts(series, direction=-1)
    assert (result.p_value < 0.01).mean() < 0.02


@pytest.mark.parametrize("day", [179, 120])
def test_one_noisy_day_never_makes_a_shift(day):
    rng = np.random.default_rng(8)
    clean = rng.standard_normal((2000, 180)) * 0.2
    noisy = clean.copy()
    noisy[:, day] -= 25.0  # one absurd day (a glitch in the feed, a one-day spike)
    before = screen_level_shifts(clean, direction=-1)
    after = screen_level_shifts(noisy, direction=-1)
    unremarkable = before.p_value > 0.05
    assert (after.p_value[unremarkable] < 0.001).sum() == 0
    assert (after.split != 179).all()


def test_short_or_empty_series_are_not_judged():
    series = np.full((3, 40), np.nan)
    series[1, :10] = 1.0
    series[2] = np.arange(40.0)
    result = screen_level_shifts(series, direction=-1, min_before=28, min_after=7)
    assert list(result.split[:2]) == [-1, -1]
    assert (result.p_value[:2] == 1.0).all()
