"""`segments`: the pieces between breaks with their levels, for charts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from analytics.changepoints.signal import as_signal


@dataclass(frozen=True)
class Segment:
    start: int  # first index of the segment
    end: int  # one past its last index
    mean: float  # mean of its observed values; NaN if all are missing
    n_observed: int


def segments(values, breakpoints: Iterable[int]) -> list[Segment]:
    """Split `values` at `breakpoints` (indices where a new segment begins, as `detect`
    returns them) and give each piece its mean level. Missing values are left out of means."""
    signal = as_signal(values)
    n = signal.length
    cuts = sorted({int(b) for b in breakpoints})
    if cuts and not (0 < cuts[0] and cuts[-1] < n):
        raise ValueError(f"breakpoints must lie in 1..{n - 1}, got {cuts}")
    starts = np.array([0, *cuts], dtype=np.int64)
    ends = np.array([*cuts, n], dtype=np.int64)
    # which segment each observed point falls in, then per-segment sums in one pass
    owner = np.searchsorted(ends, signal.positions, side="right")
    counts = np.bincount(owner, minlength=starts.size)
    sums = np.bincount(owner, weights=signal.values, minlength=starts.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / counts
    return [Segment(int(s), int(e), float(m), int(c))
            for s, e, m, c in zip(starts, ends, means, counts)]
