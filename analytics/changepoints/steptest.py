"""`step_test`: how big is one step change, net of what explanatory series account for?

Ordinary least squares of the series on a constant, a step (0 before the break, 1 from it on)
and optional explanatory regressors (log price, ad spend, the category's own movement), with
Newey-West (HAC) standard errors because daily residuals are autocorrelated. The step
coefficient is the change that the regressors do not explain.

The fit is plain NumPy least squares; the HAC "meat" is statsmodels' `S_hac_simple`, assembled
into the same sandwich as `sm.OLS(...).fit(cov_type="HAC", use_correction=True)` (the tests
check the two agree). Building a statsmodels results object costs ~2 ms per call, too much for
thousands of sellers per run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special
from statsmodels.stats.sandwich_covariance import S_hac_simple

from analytics.changepoints.exceptions import NotEnoughPoints

#: fewest used observations on each side of the break
MIN_SIDE = 2


@dataclass(frozen=True)
class StepTest:
    """One step change and its evidence. Levels are fitted values at the regressors' averages,
    so `after - before == step`: the change the regressors do not explain."""

    break_index: int
    before: float  # fitted level before the break
    after: float  # fitted level from the break on
    step: float  # after - before; NaN when the regressors contain the step itself
    std_error: float  # HAC (Newey-West) standard error of the step
    t_value: float
    p_value: float  # two-sided; 1.0 when the step is not identifiable
    n_used: int  # observations used (rows with a missing value dropped)
    effect_size: float  # step / residual standard deviation


def newey_west_lags(n: int) -> int:
    """Newey & West's (1994) rule of thumb, as statsmodels uses it: floor(4 (n/100)^(2/9))."""
    return int(math.floor(4 * (n / 100.0) ** (2.0 / 9.0)))


def _as_matrix(exog, n: int) -> np.ndarray:
    if exog is None:
        return np.empty((n, 0))
    if hasattr(exog, "to_numpy"):
        exog = exog.to_numpy(dtype=float, na_value=np.nan)
    matrix = np.asarray(exog, dtype=float)
    if matrix.ndim == 1:
        matrix = matrix[:, None]
    if matrix.ndim != 2 or matrix.shape[0] != n:
        raise ValueError(f"exog must have {n} rows (one per value of y), got shape {matrix.shape}")
    return matrix


def step_test(y, break_index: int, *, exog=None, hac_lags: int | None = None) -> StepTest:
    """Test for a step in `y` starting at `break_index`, net of the columns of `exog`.

    y: 1-D series (NaN = missing). exog: None, a 1-D series or a 2-D array / DataFrame with one
    row per value of y. Rows where y or any regressor is missing are dropped. Regressors that
    are constant over the used rows are dropped too (they cannot explain a change).
    hac_lags: Newey-West truncation lag; default floor(4 (n/100)^(2/9)).

    Raises ValueError for malformed input and `NotEnoughPoints` when fewer than 2 usable rows
    sit on either side of the break or there are no residual degrees of freedom left.
    """
    if hasattr(y, "to_numpy"):
        y = y.to_numpy(dtype=float, na_value=np.nan)
    values = np.asarray(y, dtype=float)
    if values.ndim != 1:
        raise ValueError(f"y must be 1-D, got shape {values.shape}")
    n_total = values.size
    if not 0 < break_index < n_total:
        raise ValueError(f"break_index must be in 1..{n_total - 1}, got {break_index}")
    regressors = _as_matrix(exog, n_total)

    used = ~np.isnan(values) & ~np.isnan(regressors).any(axis=1)
    after_break = (np.arange(n_total) >= break_index)[used]
    n_before, n_after = int((~after_break).sum()), int(after_break.sum())
    if min(n_before, n_after) < MIN_SIDE:
        raise NotEnoughPoints(f"{n_before} usable values before the break and {n_after} after; "
                              f"at least {MIN_SIDE} are needed on each side")
    yy = values[used]
    xs = regressors[used]
    xs = xs[:, (xs != xs[:1]).any(axis=0)]  # constant columns cannot explain a change
    # centred regressors make the intercept the level before the break at average conditions
    xs = xs - xs.mean(axis=0)
    design = np.column_stack([np.ones(yy.size), after_break.astype(float), xs])
    n, k = design.shape
    if n <= k:
        raise NotEnoughPoints(f"{n} usable rows for {k} coefficients; no degrees of freedom left")

    # one SVD gives the least-squares fit, the (pseudo-)inverse of X'X and whether the step
    # coefficient is identified at all (its unit vector lies in the row space of X)
    u, singular, vt = np.linalg.svd(design, full_matrices=False)
    keep = singular > singular[0] * max(n, k) * np.finfo(float).eps
    u, singular, vt = u[:, keep], singular[keep], vt[keep]
    coef = vt.T @ ((u.T @ yy) / singular)
    resid = yy - design @ coef
    dof = n - int(keep.sum())
    sigma = math.sqrt(float(resid @ resid) / dof)
    if 1.0 - float(vt[:, 1] @ vt[:, 1]) > 1e-8:
        # the regressors contain the step itself: nothing is left to attribute to it
        return StepTest(break_index, float(coef[0]), float(coef[0]), math.nan, math.nan,
                        math.nan, 1.0, n, math.nan)

    bread = (vt.T / singular**2) @ vt
    lags = newey_west_lags(n) if hac_lags is None else int(hac_lags)
    meat = S_hac_simple(design * resid[:, None], nlags=lags)
    cov = bread @ meat @ bread * (n / (n - k))  # statsmodels' use_correction=True
    step = float(coef[1])
    std_error = math.sqrt(max(float(cov[1, 1]), 0.0))
    t_value = step / std_error if std_error > 0 else math.copysign(math.inf, step or 1.0)
    p_value = float(2 * special.stdtr(dof, -abs(t_value)))
    return StepTest(
        break_index=int(break_index),
        before=float(coef[0]),
        after=float(coef[0] + step),
        step=step,
        std_error=std_error,
        t_value=float(t_value),
        p_value=p_value,
        n_used=n,
        effect_size=step / sigma if sigma > 0 else math.copysign(math.inf, step or 1.0),
    )
