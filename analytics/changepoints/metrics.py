"""Change-point accuracy against several human annotators, as defined for the Turing Change
Point Dataset (van den Burg & Williams 2020, TCPDBench `analysis/scripts/metrics.py`).

Both metrics treat index 0 as a change point of every annotator and of the prediction, so a
series with no annotated change is scored sensibly.

- F1: a predicted point within `margin` of an annotated one is a hit; each prediction may match
  one annotation only. Precision counts hits against the union of all annotators; recall is the
  mean over annotators of each one's share of points found.
- Cover: for each annotator, the length-weighted best Jaccard overlap of each of their segments
  with a predicted segment; averaged over annotators.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def _hits(truth: Iterable[int], predicted: Iterable[int], margin: int) -> int:
    """How many true points have their own predicted point within `margin` (closest first)."""
    free = sorted(set(predicted))
    hits = 0
    for tau in sorted(set(truth)):
        near = [(abs(tau - x), x) for x in free if abs(tau - x) <= margin]
        if near:
            free.remove(min(near)[1])
            hits += 1
    return hits


def f_measure(annotations: Mapping[str, Iterable[int]], predicted: Iterable[int], *,
              margin: int = 5) -> tuple[float, float, float]:
    """(F1, precision, recall) of `predicted` against every annotator in `annotations`."""
    per_annotator = [set(points) | {0} for points in annotations.values()]
    union = set().union(*per_annotator)
    prediction = set(predicted) | {0}
    precision = _hits(union, prediction, margin) / len(prediction)
    recall = sum(_hits(t, prediction, margin) / len(t) for t in per_annotator) / len(per_annotator)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return f1, precision, recall


def _intervals(points: Iterable[int], n_obs: int) -> list[tuple[int, int]]:
    cuts = sorted({p for p in points if 0 < p < n_obs})
    bounds = [0, *cuts, n_obs]
    return list(zip(bounds[:-1], bounds[1:]))


def _jaccard(a: tuple[int, int], b: tuple[int, int]) -> float:
    inter = max(0, min(a[1], b[1]) - max(a[0], b[0]))
    return inter / (max(a[1], b[1]) - min(a[0], b[0]))


def covering(annotations: Mapping[str, Iterable[int]], predicted: Iterable[int],
             n_obs: int) -> float:
    """Mean over annotators of how well the predicted segmentation covers theirs."""
    mine = _intervals(predicted, n_obs)
    scores = []
    for points in annotations.values():
        theirs = _intervals(points, n_obs)
        total = sum((b - a) * max(_jaccard((a, b), m) for m in mine) for a, b in theirs)
        scores.append(total / n_obs)
    return sum(scores) / len(scores)
