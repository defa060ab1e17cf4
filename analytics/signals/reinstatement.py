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
    repeats = f"; {row.quick} unusually quick reinstatements in all" if row.quick > 1 else ""
    return (f"'{row.reason}' suspension on {row.suspended_at:%Y-%m-%d} lifted after {row.hours:.1f} h "
            f"{appeal}; the marketplace median for '{row.reason}' is {row.median_hours:.0f} h{repeats}")


def find(ctx: ScoringContext) -> SignalResult:
    episodes = ctx.query("suspension_episodes")
    if episodes.empty:
        return SignalResult.empty()
    scored = episode_p_values(episodes)
    n_tests = int(episodes["seller_id"].nunique())
    if scored.empty:
        return SignalResult.empty(n_tests)

    # Fisher's method per seller, vectorised: -2 sum(ln p) ~ chi2 with 2k degrees of freedom.
    scored = scored.assign(log_p=np.log(scored["p_episode"].clip(lower=1e-12)),
                           quick=(scored["p_episode"] < 0.05).astype(int))
    per_seller = scored.groupby("seller_id").agg(log_p=("log_p", "sum"), k=("log_p", "size"),
                                                 quick=("quick", "sum"))
    per_seller["p_value"] = stats.chi2.sf(-2 * per_seller["log_p"], 2 * per_seller["k"])
    fastest = (scored.drop(columns="quick").sort_values(["seller_id", "p_episode"])
               .drop_duplicates("seller_id").set_index("seller_id").join(per_seller[["p_value", "quick"]]))
    median_hours = episodes.groupby("reason")["hours"].median()
    fastest["median_hours"] = fastest["reason"].map(median_hours)
    fastest = fastest.reset_index()

    evidence = pd.DataFrame({
        "seller_id": fastest["seller_id"],
        "signal": NAME,
        "changepoint_date": fastest["suspended_at"].dt.date,
        "before": fastest["median_hours"],
        "after": fastest["hours"],
        "effect": np.log(fastest["median_hours"].clip(lower=0.01) / fastest["hours"].clip(lower=0.01)),
        "p_value": fastest["p_value"],
        "measure": "hours from suspension to reinstatement (marketplace median for the reason -> this one)",
        "product_id": None,
        "related_seller_id": None,
        "detail": [_describe(row) for row in fastest.itertuples()],
    }, columns=list(EVIDENCE_COLUMNS))
    return SignalResult(evidence, n_tests)
