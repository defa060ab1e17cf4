"""Bought reinstatements: suspensions lifted faster than the marketplace ever lifts them.

Many honest reinstatements are fast too (automated verification holds lifted within hours, document
fixes accepted within an hour of the appeal), so speed alone proves nothing. What a bought one looks
like is speed *for its kind of suspension* (safety, IP and manipulation cases normally take days to
weeks) together with no appeal, or an appeal written minutes before, and repeats.

For each reinstated suspension, the marketplace's own time-to-reinstatement distribution for that
reason is estimated with a Kaplan-Meier fit (``statsmodels.duration.SurvfuncRight``: suspensions still
open or closed count as censored, not as never reinstated) from every *other* seller's episodes.
An episode's p-value is the chance that an ordinary episode of that reason ends this fast, times the
chance that its appeal came this late or was missing (from the reinstated episodes of that reason),
with a +1 correction so a small reason never yields p = 0. A seller's episodes are combined with
Fisher's method, so one quick reinstatement is a hint and repeats are evidence.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.duration.survfunc import SurvfuncRight

from analytics.scoring.context import ScoringContext
from analytics.signals import EVIDENCE_COLUMNS, SignalResult

NAME = "reinstatement"
TITLE = "Suspension lifted unusually fast for its reason"
COLOR = "#d62728"
CORE = True
FDR = 0.05
WEIGHT = 1.0

MIN_EPISODES_FOR_REASON = 8  # below this a reason is pooled with all others


def _share_ending_by(hours: np.ndarray, ended: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Kaplan-Meier estimate of P(reinstated within ``at`` hours), for each value of ``at``."""
    fit = SurvfuncRight(hours, ended.astype(int))
    times, survival = np.asarray(fit.surv_times), np.asarray(fit.surv_prob)
    position = np.searchsorted(times, at, side="right") - 1
    return np.where(position >= 0, 1.0 - survival[np.maximum(position, 0)], 0.0)


def episode_p_values(episodes: pd.DataFrame) -> pd.DataFrame:
    """The reinstated episodes, each with ``p_speed``, ``p_appeal`` and ``p_episode``.

    The distributions are fitted once per reason on all episodes (the episode judged included, which
    only makes its p-value a little more cautious).
    """
    episodes = episodes.copy()
    counts = episodes.groupby("reason")["seller_id"].transform("count")
    episodes["reason_group"] = np.where(counts >= MIN_EPISODES_FOR_REASON, episodes["reason"], "other")
    # No appeal is the most suspicious appeal timing; otherwise minutes from appeal to reinstatement.
    episodes["appeal_lag"] = episodes["minutes_from_appeal_to_reinstatement"].fillna(-1.0)
    parts = []
    for _, group in episodes.groupby("reason_group"):
        reinstated = group[group["reinstated"]].copy()
        if reinstated.empty:
            continue
        n = len(group)
        share_fast = _share_ending_by(group["hours"].to_numpy(float), group["reinstated"].to_numpy(bool),
                                      reinstated["hours"].to_numpy(float))
        reinstated["p_speed"] = (1 + n * share_fast) / (1 + n)
        lags = np.sort(reinstated["appeal_lag"].to_numpy(float))
        as_late = np.searchsorted(lags, reinstated["appeal_lag"].to_numpy(float), side="right")
        reinstated["p_appeal"] = (1 + as_late) / (1 + len(lags))
        parts.append(reinstated)
    if not parts:
        return episodes.iloc[0:0].assign(p_speed=[], p_appeal=[], p_episode=[])
    scored = pd.concat(parts)
    scored["p_episode"] = np.minimum(1.0, scored["p_speed"] * scored["p_appeal"])
    return scored


def _describe(row) -> str:
    if pd.isna(row.minutes_from_appeal_to_reinstatement):
        appeal = "with no appeal"
    else:
        appeal = f"{row.minutes_from_appeal_to_reinstatement:.0f} minutes after the appeal"
    return f"'{row.reason}' suspension on {row.suspended_at:%Y-%m-%d} lifted after {row.hours:.1f} h {appeal}"


def find(ctx: ScoringContext) -> SignalResult:
    episodes = ctx.query("suspension_episodes")
    if episodes.empty:
        return SignalResult.empty()
    scored = episode_p_values(episodes)
    n_tests = int(episodes["seller_id"].nunique())
    if scored.empty:
        return SignalResult.empty(n_tests)

    rows = []
    for seller_id, own in scored.groupby("seller_id"):
        p_values = own["p_episode"].clip(lower=1e-12).to_numpy()
        combined = float(stats.combine_pvalues(p_values, method="fisher").pvalue) if len(p_values) > 1 \
            else float(p_values[0])
        fastest = own.sort_values("p_episode").iloc[0]
        median_hours = float(np.median(episodes.loc[episodes["reason"] == fastest.reason, "hours"]))
        quick = own[own["p_episode"] < 0.05]
        repeats = f"; {len(quick)} unusually quick reinstatements in all" if len(quick) > 1 else ""
        rows.append({
            "seller_id": seller_id,
            "signal": NAME,
            "changepoint_date": fastest.suspended_at.date(),
            "before": median_hours,
            "after": float(fastest.hours),
            "effect": float(np.log(max(median_hours, 0.01) / max(fastest.hours, 0.01))),
            "p_value": combined,
            "measure": "hours from suspension to reinstatement (marketplace median for the reason -> this one)",
            "product_id": None,
            "related_seller_id": None,
            "detail": (f"{_describe(fastest)}; the marketplace median for '{fastest.reason}' is "
                       f"{median_hours:.0f} h{repeats}"),
        })
    evidence = pd.DataFrame(rows, columns=list(EVIDENCE_COLUMNS))
    return SignalResult(evidence, n_tests)
