"""`detect`: the library's front door (CONTRACT section 4)."""

from __future__ import annotations

import math

import numpy as np
from scipy.ndimage import median_filter
from statsmodels.tsa.seasonal import STL

from analytics.changepoints.costs import Cost
from analytics.changepoints.exceptions import NotEnoughPoints
from analytics.changepoints.jumps import sudden_shifts
from analytics.changepoints.noise import INTEGRATED_AR, ar1_coefficient
from analytics.changepoints.search import BinarySegmentation
from analytics.changepoints.signal import Signal, as_signal

#: Huber-type clipping: residuals from a running median beyond this many robust SDs are pulled in
CLIP_SDS = 3.0
#: A short running median follows a genuine level shift within half a window (5 points)
CLIP_WINDOW = 11
#: Default trimming: no segment shorter than this share of the observed points (11 for a year of
#: daily values), nor than `MIN_SEGMENT` points. The test's p-value accounts for the trimming, so
#: short segments need stronger evidence; on simulated noise the false-alarm rate stays near 5 %
#: from 5-point to 55-point minimums, while a long minimum hides the most recent weeks of a series
#: (a step 30 days before the end of a year is found only below 30). Of 3, 5 and 8 % (5 % is Bai &
#: Perron's smallest recommended value for their tests), the benchmark's leave-one-out run picks
#: 3 % in every fold; on the benchmark's 1,000 seeded AR(1) series without a change it flags 2.5 %
#: (trend) and 3.6 % (level), and beside a real 3-SD step it adds a spurious break in 9 % (5 %: 10 %).
TRIM = 0.03
MIN_SEGMENT = 5
#: Share of `alpha` spent on sudden shifts (see `jumps`); the break tests get the rest, so the
#: family-wise level stays `alpha`. A tenth: a sudden shift must beat the largest of n Gaussian
#: innovations at level alpha / 10 (4.3 robust SDs for a year of daily data), which a real step
#: of a few noise SDs in persistent noise does and the noise itself almost never does.
JUMP_SHARE = 0.1


def clip_outliers(signal: Signal, *, window: int = CLIP_WINDOW) -> Signal:
    """Pull isolated spikes in towards a running median, keeping level shifts intact.

    Heavy-tailed noise (one day's glitch, a record week) otherwise drags a segment mean far
    enough to look like a break. A running median follows a genuine shift within half a window,
    so only points that stand out from their own neighbourhood are clipped.
    """
    y = signal.values
    if y.size < 3:
        return signal
    centre = median_filter(y, size=window, mode="nearest")
    deviation = y - centre
    sd = 1.4826 * np.median(np.abs(deviation - np.median(deviation)))
    if sd == 0:
        return signal
    clipped = centre + np.clip(deviation, -CLIP_SDS * sd, CLIP_SDS * sd)
    return Signal(clipped, signal.positions, signal.length)


def remove_seasonality(signal: Signal, period: int) -> Signal:
    """Subtract a robust STL seasonal component (statsmodels) of the given period.

    A regular cycle (weekdays, months) looks like strong persistence to the noise estimate and
    hides real breaks; level shifts stay in STL's trend, so they survive the adjustment.
    Missing points are bridged by interpolation for STL only and stay missing.
    """
    if period < 2 or signal.n < 2 * period:
        raise ValueError(f"period {period} needs at least {2 * period} observed values")
    grid = np.arange(signal.length)
    filled = np.interp(grid, signal.positions, signal.values)
    seasonal = STL(filled, period=period, robust=True).fit().seasonal
    return Signal(signal.values - seasonal[signal.positions], signal.positions, signal.length)


def default_min_size(n_observed: int) -> int:
    return max(MIN_SEGMENT, math.ceil(TRIM * n_observed))


def increments(signal: Signal) -> Signal:
    """Growth per step between consecutive observed points (a gap of k steps is spread evenly),
    placed at the earlier point: a change in growth from point i on starts a new segment at i."""
    steps = np.diff(signal.positions)
    return Signal(np.diff(signal.values) / steps, signal.positions[:-1], signal.length)


def noise_ar(search: BinarySegmentation, signal: Signal) -> float:
    """Bias-corrected AR(1) coefficient of the residuals of the best single split of the whole
    series: the noise that the first test of `search` measures."""
    search.prepare(signal)
    return ar1_coefficient(search.split_residuals(0, signal.n), n_segments=2,
                           params_per_segment=search.cost.n_params)


def detect(values, *, model: str | Cost = "trend", alpha: float = 0.05,
           min_size: int | None = None, max_breaks: int | None = None,
           robust: bool = True, period: int | None = None,
           integrated: float | None = INTEGRATED_AR, jumps: float = JUMP_SHARE) -> list[int]:
    """Sorted indices `i` (0 < i < len(values)) at which a new segment begins.

    values: 1-D numbers, NaN = missing (never treated as zero). A break that falls in a run of
        missing values is reported at the first observed point after it.
    model: "trend" (default: each segment has its own level and slope, so a steady trend is not
        a change) or "level" (each segment has its own mean).
    alpha: family-wise significance level of the break tests (sup-Wald with an AR(1) long-run
        variance; spent across segments in proportion to their length) and the test for
        sudden shifts together.
    min_size: fewest observed points in a segment; default 3 % of the observed points, at
        least 5 (11 for a year of daily values). No break is reported closer than this to
        either end of the series.
    max_breaks: keep at most this many breaks, most significant first; None = no limit.
    robust: clip isolated outliers (heavy tails) before searching.
    period: remove a seasonal cycle of this many points first (e.g. 7 for daily data with a
        weekly pattern); None = no seasonal adjustment.
    integrated: trend model only: when the noise's AR(1) coefficient (bias-corrected, from the
        residuals of the best single split) reaches this, the noise is a random walk in all but
        name and no level test can separate a break from its wander; the breaks reported are then
        changes in the growth rate (the mean of the increments), where a random walk is plain
        noise. None = always test levels and slopes (`noise.INTEGRATED_AR` explains the 0.99).
    jumps: share of `alpha` spent on finding sudden shifts, a new level that arrives in one
        step far beyond the noise's innovations (see `jumps`); 0 = none. Not used on the
        integrated path, where every step is an innovation.

    Raises `NotEnoughPoints` (a ValueError) when fewer than `2 * min_size` values are observed,
    and ValueError for input that is not a 1-D numeric series.
    """
    signal = as_signal(values)
    explicit_size = None if min_size is None else int(min_size)
    min_size = default_min_size(signal.n) if min_size is None else int(min_size)
    if signal.n < 2 * min_size:
        raise NotEnoughPoints(f"{signal.n} observed values (of {signal.length}); at least "
                              f"{2 * min_size} are needed for two segments of {min_size}")
    if period is not None:
        signal = remove_seasonality(signal, period)
    if robust:
        signal = clip_outliers(signal)
    if not 0 <= jumps < 1:
        raise ValueError(f"jumps must be in [0, 1), got {jumps}")
    search = BinarySegmentation(model, alpha=alpha * (1 - jumps), min_size=min_size,
                                max_breaks=max_breaks)
    if integrated is not None and search.cost.name == "trend":
        if noise_ar(search, signal) >= integrated:
            growth = increments(signal)
            if robust:
                growth = clip_outliers(growth)
            size = default_min_size(growth.n) if explicit_size is None else explicit_size
            if growth.n < 2 * size:
                return []
            return BinarySegmentation("level", alpha=alpha, min_size=size,
                                      max_breaks=max_breaks).fit(growth).predict()
    breaks = [t.split for t in search.fit(signal).tests_]
    if jumps > 0 and (max_breaks is None or len(breaks) < max_breaks):
        shifts = sudden_shifts(search.cost, signal.n, breaks, min_size=min_size,
                               alpha=alpha * jumps)
        breaks += shifts if max_breaks is None else shifts[:max_breaks - len(breaks)]
    return sorted(signal.to_original(b) for b in breaks)
