"""Input checking: a 1-D float series whose NaNs are missing values, never zeros."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytics.changepoints.exceptions import NotEnoughPoints


@dataclass(frozen=True)
class Signal:
    """The observed points of a series, with where each one sat in the original series.

    Models and searches work on the observed points only; `positions` keeps real time (so a
    trend across a gap of missing days has the right slope) and maps results back.
    """

    values: np.ndarray  # float64, observed values only
    positions: np.ndarray  # int64, index of each observed value in the original series
    length: int  # length of the original series, missing points included

    @property
    def n(self) -> int:
        return int(self.values.size)

    def to_original(self, observed_index: int) -> int:
        """Original index of the observed point `observed_index` (a new segment starts there)."""
        return int(self.positions[observed_index])


def as_signal(values, *, min_points: int = 0) -> Signal:
    """Check `values` and split it into observed values and their positions.

    Accepts a list, a NumPy array or a pandas Series (pandas' missing values become NaN).
    Raises ValueError for anything that is not a 1-D series of numbers, or that holds infinities,
    and `NotEnoughPoints` when fewer than `min_points` values are observed.
    """
    if hasattr(values, "to_numpy"):  # pandas: pd.NA and None must become NaN, not fail or become 0
        values = values.to_numpy(dtype=float, na_value=np.nan)
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("values must be a 1-D sequence of numbers (NaN for missing)") from None
    if array.ndim != 1:
        raise ValueError(f"values must be 1-D, got an array of shape {array.shape}")
    if np.isinf(array).any():
        raise ValueError("values must be finite numbers or NaN; found an infinity")
    observed = ~np.isnan(array)
    n_observed = int(observed.sum())
    if n_observed < min_points:
        raise NotEnoughPoints(
            f"{n_observed} observed values (of {array.size}); at least {min_points} are needed"
        )
    return Signal(
        values=array[observed].copy(),
        positions=np.flatnonzero(observed).astype(np.int64),
        length=int(array.size),
    )
