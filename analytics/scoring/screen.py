"""Vectorised screen for one level shift in thousands of daily series at once.

Every series (a row of a series x days matrix, NaN = missing) is scanned for the single split that
best separates a "before" and an "after" level, in one direction. The statistic is the standardised
difference of means at the best split, scaled by a long-run (autocorrelation-robust) standard
deviation: residuals around the two levels are prewhitened with an AR(1) fit and then Newey-West
corrected, because real sales series are strongly persistent and independent-noise tests would find
changes everywhere. Its p-value accounts for the split having been searched for (the maximum of a
standardised Brownian bridge over the allowed range, Miller & Siegmund 1982), not only its size.

The screen is cheap (numpy over the whole matrix); what it passes is confirmed series by series with
statsmodels, where explanations such as price and ad spend enter the regression.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats


@dataclass(frozen=True)
class ScreenResult:
    """Per series (aligned with the matrix's rows); split = index of the first day "after"."""

    split: np.ndarray  # int, -1 where the series could not be judged
    before: np.ndarray  # level before the split
    after: np.ndarray  # level after the split
    statistic: np.ndarray  # standardised shift in the screened direction (>= 0 is that direction)
    p_value: np.ndarray  # one-sided, corrected for the searched split; 1.0 where not judged
    long_run_sd: np.ndarray
    n_before: np.ndarray
    n_after: np.ndarray


def row_nanmedian(values: np.ndarray) -> np.ndarray:
    """Each row's median ignoring NaN (NaN for a row with none), as a column. One sort (NaN sorts
    last): numpy's nanmedian goes through masked arrays for short rows, several times slower."""
    ordered = np.sort(values, axis=1)
    observed = np.count_nonzero(~np.isnan(values), axis=1)
    rows = np.arange(len(values))
    lower = ordered[rows, np.maximum((observed - 1) // 2, 0)]
    upper = ordered[rows, np.maximum(observed // 2, 0) - (observed == 0)]
    return np.where(observed > 0, 0.5 * (lower + upper), np.nan)[:, None]


def winsorise_rows(values: np.ndarray, *, mad_limit: float = 4.0) -> np.ndarray:
    """Clip each row at its median +- mad_limit robust standard deviations (one bad day stays one day)."""
    median = row_nanmedian(values)
    mad = 1.4826 * row_nanmedian(np.abs(values - median))
    mad = np.where(mad > 0, mad, np.nanstd(values, axis=1, keepdims=True))
    return np.clip(values, median - mad_limit * mad, median + mad_limit * mad)


def despike_rows(values: np.ndarray, *, window: int = 7, limit: float = 3.0) -> np.ndarray:
    """Hampel filter: clip each day to its local (rolling median) level +- ``limit`` robust sds.

    Unlike clipping around the whole series' median, this leaves a sustained shift intact and only
    tames days that stand out from the days around them.
    """
    local = pd.DataFrame(values.T).rolling(window, center=True, min_periods=3).median().to_numpy().T
    deviation = values - local
    spread = 1.4826 * row_nanmedian(np.abs(deviation))
    spread = np.where(spread > 0, spread, np.nanstd(deviation, axis=1, keepdims=True) + 1e-12)
    return np.where(np.isnan(values), np.nan,
                    local + np.clip(np.nan_to_num(deviation), -limit * spread, limit * spread))


def sup_bridge_p_value(statistic: np.ndarray, t0: np.ndarray, t1: np.ndarray) -> np.ndarray:
    """One-sided P(max over [t0, t1] of a standardised Brownian bridge > statistic).

    Miller & Siegmund's approximation for the maximally selected statistic, halved for one side;
    accurate in the tail that matters here and conservative (capped at 1) elsewhere.
    """
    c = np.maximum(statistic, 1e-9)
    log_lambda = np.log((t1 * (1 - t0)) / (t0 * (1 - t1)))
    phi = stats.norm.pdf(c)
    tail = 0.5 * (4 * phi / c + phi * (c - 1 / c) * log_lambda)
    # Never smaller than the plain one-split p-value: the search can only make a shift less surprising.
    return np.clip(np.maximum(tail, stats.norm.sf(c)), 0.0, 1.0)


def _long_run_sd(residuals: np.ndarray, valid: np.ndarray, *, max_phi: float = 0.95
                 ) -> tuple[np.ndarray, np.ndarray]:
    """AR(1)-prewhitened Newey-West long-run standard deviation of each row's residuals, and the AR(1)
    coefficient used to prewhiten."""
    e = np.where(valid, residuals, 0.0)
    pair = valid[:, 1:] & valid[:, :-1]
    lag0 = np.where(pair, e[:, :-1], 0.0)
    lag1 = np.where(pair, e[:, 1:], 0.0)
    del e
    # Row-wise dot products (einsum: no rows x days temporaries).
    phi = np.einsum("ij,ij->i", lag0, lag1) / np.maximum(np.einsum("ij,ij->i", lag0, lag0), 1e-12)
    phi = np.clip(phi, -max_phi, max_phi)
    u = lag1 - phi[:, None] * lag0  # zero wherever the pair is not observed
    del lag0, lag1
    n_pairs = np.maximum(pair.sum(axis=1), 1)
    n = u.shape[1]
    bandwidth = max(1, int(4 * (n / 100) ** (2 / 9)))
    variance = np.einsum("ij,ij->i", u, u) / n_pairs
    for lag in range(1, bandwidth + 1):
        weight = 1 - lag / (bandwidth + 1)
        variance += 2 * weight * np.einsum("ij,ij->i", u[:, lag:], u[:, :-lag]) / n_pairs
    variance = np.maximum(variance, 1e-12)
    return np.sqrt(variance) / (1 - phi), phi


def screen_level_shifts(
    values: np.ndarray,
    *,
    direction: int = 1,
    min_before: int = 14,
    min_after: int = 7,
    winsorise: bool = True,
    calibrate: bool = True,
    despike_below: float = 0.05,
) -> ScreenResult:
    """Find each row's most likely single level shift in ``direction`` (+1 up, -1 down).

    ``min_after`` observed days after the split are required, and rows that pass at
    ``despike_below`` are screened again after a Hampel filter (a rolling median is too slow for
    every row, and only candidates need it) and once more without their single most helpful day,
    keeping the larger p-value, so one wild day cannot make a shift;
    rows with fewer than ``min_before + min_after`` observed days are not judged.
    """
    first = _screen_in_blocks(values, direction=direction, min_before=min_before, min_after=min_after,
                              winsorise=winsorise, calibrate=calibrate)
    again = np.flatnonzero(first.p_value < despike_below)
    if despike_below <= 0 or again.size == 0:
        return first
    despiked = despike_rows(np.asarray(values, dtype=float)[again])
    options = dict(direction=direction, min_before=min_before, min_after=min_after, winsorise=False,
                   calibrate=calibrate)
    second = _screen_in_blocks(despiked, **options)
    # Leave out the single day after the split that helps the shift most: a shift that rests on one
    # day is not a shift.
    after = np.arange(despiked.shape[1])[None, :] >= np.maximum(second.split, 0)[:, None]
    helpfulness = np.where(after & ~np.isnan(despiked), direction * np.nan_to_num(despiked), -np.inf)
    without_best_day = despiked.copy()
    without_best_day[np.arange(len(again)), np.argmax(helpfulness, axis=1)] = np.nan
    third = _screen_in_blocks(without_best_day, **options)
    second = ScreenResult(**{**second.__dict__, "p_value": np.maximum(second.p_value, third.p_value)})
    merged = {}
    for name in ScreenResult.__dataclass_fields__:
        column = getattr(first, name).copy()
        column[again] = getattr(second, name)
        merged[name] = column
    return ScreenResult(**merged)


BLOCK_ROWS = 8192  # the scan keeps about a dozen rows x days work arrays: bound them, not the input


def _screen_in_blocks(values, **options) -> ScreenResult:
    values = np.asarray(values)
    if len(values) <= BLOCK_ROWS:
        return _screen(values, **options)
    parts = [_screen(values[start:start + BLOCK_ROWS], **options)
             for start in range(0, len(values), BLOCK_ROWS)]
    return ScreenResult(**{name: np.concatenate([getattr(part, name) for part in parts])
                           for name in ScreenResult.__dataclass_fields__})


def _screen(values, *, direction, min_before, min_after, winsorise, calibrate) -> ScreenResult:
    y = np.asarray(values, dtype=float)
    if y.ndim != 2:
        raise ValueError("values must be a 2-D series x days matrix")
    if winsorise:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # rows with no data at all
            y = winsorise_rows(y)
    valid = ~np.isnan(y)
    counts = np.cumsum(valid, axis=1)
    sums = np.cumsum(np.where(valid, y, 0.0), axis=1)
    n_total = counts[:, -1].astype(float)
    total = sums[:, -1]

    # Split before column k (k = 1..T-1): "before" is columns < k.
    n1 = counts[:, :-1].astype(float)
    s1 = sums[:, :-1]
    n2 = n_total[:, None] - n1
    s2 = total[:, None] - s1
    allowed = (n1 >= min_before) & (n2 >= min_after) & valid[:, 1:]  # split on an observed day
    with np.errstate(divide="ignore", invalid="ignore"):
        shift = s2 / n2 - s1 / n1
        weighted = direction * shift * np.sqrt(n1 * n2 / n_total[:, None])
    weighted = np.where(allowed, weighted, -np.inf)
    best = np.argmax(weighted, axis=1)
    judged = np.isfinite(weighted[np.arange(len(y)), best])

    rows = np.arange(len(y))
    split = np.where(judged, best + 1, -1)
    nb = np.where(judged, n1[rows, best], 0.0)
    na = np.where(judged, n2[rows, best], 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        before = np.where(judged, s1[rows, best] / nb, np.nan)
        after = np.where(judged, s2[rows, best] / na, np.nan)

    column = np.arange(y.shape[1])[None, :]
    fitted = np.where(column < split[:, None], before[:, None], after[:, None])
    sd, phi = _long_run_sd(y - fitted, valid & judged[:, None])
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = np.where(judged, weighted[rows, best] / sd, 0.0)

    t0 = np.clip(min_before / np.maximum(n_total, 1), 1e-3, 0.5)
    t1 = np.clip(1 - min_after / np.maximum(n_total, 1), 0.5, 1 - 1e-3)
    if calibrate:
        statistic = statistic / null_scale(phi, n_total, min_before=min_before, min_after=min_after)
    p = np.where(judged & (statistic > 0), sup_bridge_p_value(statistic, t0, t1), 1.0)
    return ScreenResult(split, before, after, statistic, p, sd, nb, na)


# --- calibration under a persistent null ----------------------------------------------------------
# The long-run variance of a short, strongly persistent series is underestimated, so the plain
# approximation above rejects too often when day-to-day persistence is high (with AR(1) noise of 0.95,
# about 20x too often at p = 0.001). The statistic is therefore divided by a scale found by simulating
# series with no change and the same persistence and length: the scale that puts the simulated 99th
# percentile where the approximation puts it. Never below 1, so calibration only ever makes the screen
# more cautious.

_PHI_GRID = np.array([0.0, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95])
_N_GRID = np.array([28, 45, 60, 90, 120, 180, 270, 365, 540, 730])
_SIMULATIONS = 800


def _bucket(values: np.ndarray, grid: np.ndarray) -> np.ndarray:
    return np.abs(values[:, None] - grid[None, :]).argmin(axis=1)


@functools.lru_cache(maxsize=None)
def _scale_for(phi: float, n: int, min_before: int, min_after: int) -> float:
    if n < min_before + min_after + 2:
        return 1.0
    rng = np.random.default_rng(20181)  # fixed: a run's p-values must not depend on chance
    noise = rng.standard_normal((_SIMULATIONS, n))
    series = np.empty_like(noise)
    series[:, 0] = noise[:, 0] / np.sqrt(max(1 - phi * phi, 1e-3))
    for t in range(1, n):
        series[:, t] = phi * series[:, t - 1] + noise[:, t]
    null = _screen(series, direction=1, min_before=min_before, min_after=min_after,
                   winsorise=False, calibrate=False)
    simulated_q99 = np.quantile(null.statistic, 0.99)
    t0 = np.array([min(max(min_before / n, 1e-3), 0.5)])
    t1 = np.array([max(min(1 - min_after / n, 1 - 1e-3), 0.5)])
    grid = np.linspace(1.0, 8.0, 701)
    p_on_grid = sup_bridge_p_value(grid, np.repeat(t0, grid.size), np.repeat(t1, grid.size))
    theoretical_q99 = grid[np.argmax(p_on_grid <= 0.01)]
    return float(max(1.0, simulated_q99 / theoretical_q99))


def null_scale(phi: np.ndarray, n_total: np.ndarray, *, min_before: int, min_after: int) -> np.ndarray:
    """Per row, the calibration scale for its estimated persistence and observed length."""
    phi_idx = _bucket(np.clip(np.nan_to_num(phi), 0.0, 0.95), _PHI_GRID)
    n_idx = _bucket(np.asarray(n_total, dtype=float), _N_GRID)
    scale = np.ones(len(phi_idx))
    for pi, ni in set(zip(phi_idx.tolist(), n_idx.tolist())):
        rows = (phi_idx == pi) & (n_idx == ni)
        scale[rows] = _scale_for(float(_PHI_GRID[pi]), int(_N_GRID[ni]), min_before, min_after)
    return scale
