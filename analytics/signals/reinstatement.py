"""Bought reinstatements: suspensions lifted faster than the marketplace ever lifts them.

Many honest reinstatements are fast too (automated verification holds lifted within hours, document
fixes accepted within an hour of the appeal), so speed alone proves nothing. What a bought one looks
like is speed *for its kind of suspension* (safety, IP and manipulation cases normally take days to
weeks) together with no appeal, or an appeal written minutes before, and repeats.

For each reason, the marketplace's ordinary time to reinstatement is a log-normal fitted to the upper
quantiles of a Kaplan-Meier fit (``statsmodels.duration.SurvfuncRight``: suspensions still open or
closed count as censored, not as never reinstated); the upper part because the fast tail is what is
under suspicion and must not define "ordinary". An episode's p-value is the chance that an ordinary
episode of that reason ends this fast (never below 1e-5), times the chance that its appeal came this
late or was missing among that reason's reinstatements. A seller's episodes are combined with
Fisher's method, so repeats add up.
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
MIN_LOG_SCALE = 1.0  # never believe ordinary durations tighter than a factor e per standard deviation
MIN_EPISODE_P = 1e-5  # nor any tail beyond this
Z75, Z90 = stats.norm.ppf(0.75), stats.norm.ppf(0.90)


def ordinary_duration(hours: np.ndarray, ended: np.ndarray) -> tuple[float, float]:
    """Location and scale of ln(hours to reinstatement) for a reason's ordinary episodes.

    Fitted as a log-normal to the Kaplan-Meier 75th and 90th percentiles (suspensions still open or
    closed are censored, not "never reinstated"). The upper part is used because the fast tail is
    exactly what is under suspicion: where bought reinstatements are common, they drag the median
    down, but not the slow majority's upper quantiles.
    """
    fit = SurvfuncRight(hours, ended.astype(int))
    q75, q90 = fit.quantile(0.75), fit.quantile(0.90)
    q75 = q75 if np.isfinite(q75) else np.nanmax(hours)
    q90 = q90 if np.isfinite(q90) and q90 > q75 else max(q75 * np.e, np.nanmax(hours))
    scale = max((np.log(q90) - np.log(q75)) / (Z90 - Z75), MIN_LOG_SCALE)
    return float(np.log(q75) - Z75 * scale), float(scale)


def episode_p_values(episodes: pd.DataFrame) -> pd.DataFrame:
    """The reinstated episodes, each with ``p_speed``, ``p_appeal`` and ``p_episode``."""
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
        location, scale = ordinary_duration(group["hours"].clip(lower=0.01).to_numpy(float),
                                            group["reinstated"].to_numpy(bool))
        z = (np.log(reinstated["hours"].clip(lower=0.01).to_numpy(float)) - location) / scale
        reinstated["p_speed"] = np.maximum(stats.norm.cdf(z), MIN_EPISODE_P)
        reinstated["ordinary_hours"] = float(np.exp(location))
        lags = np.sort(reinstated["appeal_lag"].to_numpy(float))
        as_late = np.searchsorted(lags, reinstated["appeal_lag"].to_numpy(float), side="right")
        reinstated["p_appeal"] = (1 + as_late) / (1 + len(lags))
        parts.append(reinstated)
    if not parts:
        return episodes.iloc[0:0].assign(p_speed=[], p_appeal=[], p_episode=[], ordinary_hours=[])
    scored = pd.concat(parts)
    # Treated as independent: how fast, and how the appeal was timed, for the reason.
    scored["p_episode"] = np.minimum(1.0, scored["p_speed"] * scored["p_appeal"])
    return scored


def _describe(row) -> str:
    if pd.isna(row.minutes_from_appeal_to_reinstatement):
        appeal = "with no appeal"
    else:
        appeal = f"{row.minutes_from_appeal_to_reinstatement:.0f} minutes after the appeal"
    repeats = f"; {row.quick} unusually quick reinstatements in all" if row.quick > 1 else ""
    return (f"'{row.reason}' suspension on {row.suspended_at:%Y-%m-%d} lifted after {row.hours:.1f} h "
            f"{appeal}; ordinary '{row.reason}' suspensions last about {row.median_hours:.0f} h{repeats}")


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
    fastest["median_hours"] = fastest["ordinary_hours"]
    fastest = fastest.reset_index()

    evidence = pd.DataFrame({
        "seller_id": fastest["seller_id"],
        "signal": NAME,
        "changepoint_date": fastest["suspended_at"].dt.date,
        "before": fastest["median_hours"],
        "after": fastest["hours"],
        "effect": np.log(fastest["median_hours"].clip(lower=0.01) / fastest["hours"].clip(lower=0.01)),
        "p_value": fastest["p_value"],
        "measure": "hours from suspension to reinstatement (ordinary for the reason -> this one)",
        "product_id": None,
        "related_seller_id": None,
        "detail": [_describe(row) for row in fastest.itertuples()],
    }, columns=list(EVIDENCE_COLUMNS))
    return SignalResult(evidence, n_tests)
