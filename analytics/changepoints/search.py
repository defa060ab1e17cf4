"""Search: binary segmentation driven by a sup-Wald break test with a long-run variance.

Each segment is offered its best single split (least total squared error over every admissible
date). The split is kept only if the sup-Wald statistic -- explained squared error over the
long-run variance of the residuals under the split (see `noise`) -- is significant with the
p-value for an unknown break date (see `inference`). Kept splits are searched again, most
significant first, until nothing passes. A minimum segment length bounds how short a level can
be; it is also the trimming of the test, so shorter allowed segments ask for stronger evidence.

Recursion runs many tests. By default `alpha` is a family-wise level: a segment holding a share
of the observations is tested at that share of `alpha`, so the tests of any one partition of the
series spend at most `alpha` together (a Bonferroni split by length). With
`family_alpha=False` every segment is tested at `alpha` (textbook binary segmentation).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Callable

import numpy as np

from analytics.changepoints.costs import Cost, make_cost
from analytics.changepoints.inference import sup_wald_pvalue
from analytics.changepoints.noise import long_run_variance
from analytics.changepoints.signal import Signal


@dataclass(frozen=True)
class SplitTest:
    """The best split of one segment and its evidence (bounds in observed-point coordinates)."""

    start: int
    end: int
    split: int
    statistic: float
    p_value: float


class BinarySegmentation:
    """Find breaks by recursive sup-Wald tests. Shaped like a ruptures estimator:
    `BinarySegmentation("trend", min_size=10).fit(signal).predict()`.

    model: a cost name ("trend", "level") or a `Cost` object.
    alpha: significance level (family-wise by default, see the module notes).
    min_size: fewest observed points per segment (also the trimming of each test).
    max_breaks: keep at most this many breaks, most significant first.
    variance: the noise scale of the test,
        `f(residuals, n_segments=2, params_per_segment=q) -> float`.
    """

    def __init__(self, model: str | Cost = "trend", *, alpha: float = 0.05, min_size: int = 5,
                 max_breaks: int | None = None, family_alpha: bool = True,
                 variance: Callable[..., float] = long_run_variance):
        if not 0 < alpha < 1:
            raise ValueError(f"alpha must be in (0, 1), got {alpha}")
        if min_size < 2:
            raise ValueError(f"min_size must be at least 2, got {min_size}")
        self.cost = make_cost(model)
        self.alpha = alpha
        self.min_size = int(min_size)
        self.max_breaks = max_breaks
        self.variance = variance
        self.family_alpha = family_alpha
        self.tests_: list[SplitTest] = []
        self._prepared: Signal | None = None
        self._split_tests: dict[tuple[int, int], SplitTest] = {}
        self._split_residuals: dict[tuple[int, int], np.ndarray] = {}

    def prepare(self, signal: Signal) -> BinarySegmentation:
        """Fit the cost to `signal` (once); `split_test` and `fit` then reuse it."""
        if self._prepared is not signal:
            self.cost.fit(signal)
            self._prepared = signal
            self._split_tests = {}
            self._split_residuals = {}
        return self

    def split_test(self, start: int, end: int) -> SplitTest:
        """The best split of `[start, end)` and its evidence (computed once per prepared signal)."""
        key = (start, end)
        if key not in self._split_tests:
            self._split_tests[key] = self._best_split(start, end)
        return self._split_tests[key]

    def split_residuals(self, start: int, end: int) -> np.ndarray:
        """Residuals of the two pieces that `split_test(start, end)` leaves."""
        self.split_test(start, end)
        return self._split_residuals[(start, end)]

    def fit(self, signal: Signal) -> BinarySegmentation:
        self.signal_ = signal
        self.prepare(signal)
        kept: list[SplitTest] = []
        queue: list[tuple[float, int, SplitTest]] = []
        order = 0  # tie-breaker so the heap never compares SplitTest objects

        def offer(start: int, end: int) -> None:
            nonlocal order
            if end - start >= 2 * self.min_size:
                test = self.split_test(start, end)
                heapq.heappush(queue, (test.p_value, order, test))
                order += 1

        offer(0, signal.n)
        while queue:
            p_value, _, test = heapq.heappop(queue)
            share = (test.end - test.start) / signal.n if self.family_alpha else 1.0
            if p_value >= self.alpha * share:
                continue  # a shorter segment further down the queue may still pass its own level
            if self.max_breaks is not None and len(kept) >= self.max_breaks:
                break
            kept.append(test)
            offer(test.start, test.split)
            offer(test.split, test.end)
        self.tests_ = sorted(kept, key=lambda t: t.split)
        return self

    def predict(self) -> list[int]:
        """Sorted original indices at which a new segment begins."""
        return [self.signal_.to_original(t.split) for t in self.tests_]

    def _best_split(self, start: int, end: int) -> SplitTest:
        cost, q = self.cost, self.cost.n_params
        splits, rss_split = cost.split_rss(start, end, self.min_size)
        best = int(np.argmin(rss_split))
        k = int(splits[best])
        explained = float(cost.rss(start, end)) - float(rss_split[best])
        residuals = np.concatenate([cost.residuals(start, k), cost.residuals(k, end)])
        self._split_residuals[(start, end)] = residuals
        scale = self.variance(residuals, n_segments=2, params_per_segment=q)
        statistic = explained / scale if scale > 0 else (np.inf if explained > 0 else 0.0)
        trim = self.min_size / (end - start)
        p_value = sup_wald_pvalue(statistic, cost.null_dimension, trim=trim)
        return SplitTest(start, end, k, float(statistic), p_value)
