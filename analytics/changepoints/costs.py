"""Segment models ("costs"): how well one straight piece fits a stretch of the series.

A cost is fitted once to a series, then answers the residual sum of squares (RSS) of any
segment in O(1) from cumulative sums, so that a search can try every split point of a segment
in one vectorised step. Segment bounds are half-open `[start, end)` in observed-point
coordinates (missing values already removed; time still comes from their real positions).

- `LevelCost`: each segment has its own mean (a step change in level).
- `TrendCost`: each segment has its own intercept and slope, so a steady trend is not a change,
  while a jump in level or a change in growth is.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from analytics.changepoints.signal import Signal


class Cost(ABC):
    """Residual sums of squares of a per-segment least-squares model."""

    #: number of coefficients that may change at a break (the degrees of freedom of a break test)
    n_params: int
    #: dimension of the Bessel process whose supremum is the test's null law (see `inference`)
    null_dimension: float
    name: str

    @abstractmethod
    def fit(self, signal: Signal) -> Cost:
        """Precompute cumulative sums for `signal`; returns self."""

    @abstractmethod
    def rss(self, start, end) -> np.ndarray:
        """RSS of segments `[start, end)`; `start`/`end` may be arrays (vectorised)."""

    @abstractmethod
    def residuals(self, start: int, end: int) -> np.ndarray:
        """Residuals of the model fitted to the one segment `[start, end)`."""

    def split_rss(self, start: int, end: int, min_size: int) -> tuple[np.ndarray, np.ndarray]:
        """Every admissible split `k` of `[start, end)` and the RSS of the two pieces it leaves."""
        splits = np.arange(start + min_size, end - min_size + 1)
        return splits, self.rss(start, splits) + self.rss(splits, end)


def _prefix(columns: list[np.ndarray]) -> np.ndarray:
    """Cumulative sums with a leading zero row: segment sums are `P[end] - P[start]`."""
    stacked = np.column_stack(columns)
    out = np.zeros((stacked.shape[0] + 1, stacked.shape[1]))
    np.cumsum(stacked, axis=0, out=out[1:])
    return out


def _standardise(values: np.ndarray) -> np.ndarray:
    # Cumulative sums of squares lose precision on large, offset values (populations, GDP);
    # residuals are only ever compared with each other, so a fixed affine rescaling is harmless.
    centre = np.median(values)
    scale = np.std(values) or 1.0
    return (values - centre) / scale


class LevelCost(Cost):
    """Piecewise-constant mean."""

    n_params = 1
    null_dimension = 1.0
    name = "level"

    def fit(self, signal: Signal) -> LevelCost:
        self._y = _standardise(signal.values)
        self._scale = np.std(signal.values) or 1.0
        self._p = _prefix([np.ones_like(self._y), self._y, self._y**2])
        return self

    def rss(self, start, end):
        s = self._p[end] - self._p[start]
        n, sy, syy = s[..., 0], s[..., 1], s[..., 2]
        return np.maximum(syy - sy**2 / n, 0.0) * self._scale**2

    def residuals(self, start, end):
        y = self._y[start:end]
        return (y - y.mean()) * self._scale


class TrendCost(Cost):
    """Piecewise-linear mean in time (each segment: its own intercept and slope)."""

    n_params = 2
    # A break in a time trend has a heavier-tailed sup-Wald law than Andrews' (Vogelsang 1997):
    # simulated (4,000 white-noise series of 1,000 points, trims 0.02-0.25), its 90/95/99 %
    # quantiles match Andrews' formula with dimension 2.05-2.5 rather than 2; 2.35 sits in the
    # middle and keeps the trend test near its nominal size.
    null_dimension = 2.35
    name = "trend"

    def fit(self, signal: Signal) -> TrendCost:
        self._y = _standardise(signal.values)
        self._scale = np.std(signal.values) or 1.0
        pos = signal.positions.astype(float)
        self._t = (pos - pos.mean()) / (pos.std() or 1.0)
        t, y = self._t, self._y
        self._p = _prefix([np.ones_like(y), t, t * t, y, t * y, y * y])
        return self

    def rss(self, start, end):
        s = self._p[end] - self._p[start]
        n, st, stt, sy, sty, syy = (s[..., i] for i in range(6))
        ctt = stt - st**2 / n
        cty = sty - st * sy / n
        cyy = syy - sy**2 / n
        # one-point (or single-time) segments have no slope to fit: only the mean is removed
        with np.errstate(divide="ignore", invalid="ignore"):
            explained = np.where(ctt > 1e-12, cty**2 / ctt, 0.0)
        return np.maximum(cyy - explained, 0.0) * self._scale**2

    def _line(self, start, end):
        # least squares from the prefix sums (no lstsq per segment: residuals are asked for often)
        t, y = self._t[start:end], self._y[start:end]
        n, st, stt, sy, sty, _ = self._p[end] - self._p[start]
        t_mean, y_mean = st / n, sy / n
        ctt = stt - st * t_mean
        if end - start < 2 or ctt <= 1e-12:
            return np.full_like(y, y_mean)
        return y_mean + (sty - st * y_mean) / ctt * (t - t_mean)

    def residuals(self, start, end):
        return (self._y[start:end] - self._line(start, end)) * self._scale


MODELS: dict[str, type[Cost]] = {"level": LevelCost, "trend": TrendCost}


def make_cost(model: str | Cost) -> Cost:
    """A fresh cost from a model name (`"level"`, `"trend"`) or a cost object."""
    if isinstance(model, Cost):
        return model
    try:
        return MODELS[model]()
    except KeyError:
        raise ValueError(f"unknown model {model!r}; choose one of {sorted(MODELS)}") from None
