"""Combining a seller's traces into one p-value, keeping the evidence.

Two rules from the detection redesign (issue 11):

* An uninformative component is *absent* (NaN), never p = 1: a trace that could not be tested says
  nothing, and must not weigh as "tested and found nothing".
* No single p near 1 can veto the rest. The Cauchy combination (Liu & Xie 2020) fails that: a term
  for p = 0.99 is as large and negative as the one for p = 0.01 is positive, so a silent trace
  cancels a strong one. ``min_p_combination`` (Bonferroni over the components present) is valid
  under any dependence between them and can only be lowered by a strong trace; ``fisher_combination``
  adds up independent traces (repeats of the same kind of act) and ignores absent ones.
"""

from __future__ import annotations

import numpy as np
from scipy import stats


def _as_matrix(p_columns) -> np.ndarray:
    p = np.asarray(p_columns, dtype=float)
    return p.reshape(-1, 1) if p.ndim == 1 else p


def min_p_combination(p_columns) -> np.ndarray:
    """Per row: ``min(1, k x min p)`` over its k present (non-NaN) p-values; NaN with none present."""
    p = _as_matrix(p_columns)
    present = ~np.isnan(p)
    k = present.sum(axis=1)
    with np.errstate(invalid="ignore"):
        smallest = np.where(present, p, np.inf).min(axis=1)
    return np.where(k > 0, np.clip(smallest * np.maximum(k, 1), 0.0, 1.0), np.nan)


def fisher_combination(p_columns, *, floor: float = 1e-300) -> np.ndarray:
    """Per row: Fisher's method over its present p-values (-2 sum ln p ~ chi2 with 2k degrees of
    freedom, for independent components); NaN with none present."""
    p = np.clip(_as_matrix(p_columns), floor, 1.0)
    present = ~np.isnan(p)
    k = present.sum(axis=1)
    statistic = -2.0 * np.where(present, np.log(np.where(present, p, 1.0)), 0.0).sum(axis=1)
    return np.where(k > 0, stats.chi2.sf(statistic, 2 * np.maximum(k, 1)), np.nan)
