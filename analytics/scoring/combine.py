"""From evidence rows to one score, one flag and plain-word reasons per seller.

* False-discovery control: Benjamini-Hochberg across sellers, separately for each signal, counting
  every seller the signal tested (the ones it found nothing for count as p = 1).
* Score: the sum over signals of ``WEIGHT x -log10(q)`` (q floored at 1e-10), plus a bonus when
  two or more signals are significant within ``CO_OCCURRENCE_DAYS`` of each other (removals, then a
  rating jump, then a rank jump weigh more together than apart). Being q-based, it is comparable
  between runs.
* Flag: at least one *core* signal significant at its false-discovery level. Supporting signals
  (a rank jump) raise the score and the reasons but never flag on their own.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

CO_OCCURRENCE_DAYS = 60
CO_OCCURRENCE_BONUS = 2.0
Q_FLOOR = 1e-10


def bh_q_values(p_values: np.ndarray, n_tests: int) -> np.ndarray:
    """Benjamini-Hochberg q-values for ``p_values`` out of ``n_tests`` hypotheses in all.

    Hypotheses that produced no row are taken as p = 1, which is what they are: nothing found.
    """
    p = np.asarray(p_values, dtype=float)
    if p.size == 0:
        return p
    m = max(n_tests, p.size)
    padded = np.concatenate([p, np.ones(m - p.size)])
    _, q, _, _ = multipletests(np.nan_to_num(padded, nan=1.0), method="fdr_bh")
    return q[: p.size]


def add_q_values(evidence: pd.DataFrame, n_tests: dict[str, int], levels: dict[str, float]) -> pd.DataFrame:
    evidence = evidence.copy()
    evidence["q_value"] = np.nan
    for signal, rows in evidence.groupby("signal").groups.items():
        evidence.loc[rows, "q_value"] = bh_q_values(evidence.loc[rows, "p_value"].to_numpy(),
                                                    n_tests.get(signal, len(rows)))
    evidence["significant"] = evidence["q_value"] <= evidence["signal"].map(levels).fillna(0.05)
    return evidence


def _q_words(q: float) -> str:
    return "q < 0.001" if q < 0.001 else f"q = {q:.3f}"


def seller_scores(sellers: pd.Series, evidence: pd.DataFrame, signals: dict) -> pd.DataFrame:
    """One row per seller: score, flagged, reasons, signals (the significant ones), score_rank."""
    strength = evidence.assign(
        strength=-np.log10(evidence["q_value"].clip(lower=Q_FLOOR)) * evidence["signal"].map(
            {name: module.WEIGHT for name, module in signals.items()}).fillna(1.0),
        core=evidence["signal"].map({name: module.CORE for name, module in signals.items()}).fillna(False),
    )
    # One finding per seller and signal: the strongest.
    best = strength.sort_values("strength", ascending=False).drop_duplicates(["seller_id", "signal"])
    order = {name: i for i, name in enumerate(signals)}

    rows = []
    for seller_id, own in best.groupby("seller_id", sort=False):
        significant = own[own["significant"]]
        score = float(own["strength"].sum())
        dates = pd.to_datetime(significant["changepoint_date"]).dropna().sort_values()
        if len(dates) >= 2 and (dates.diff().dt.days.min() <= CO_OCCURRENCE_DAYS):
            score += CO_OCCURRENCE_BONUS * (len(dates) - 1)
        flagged = bool(significant["core"].any())
        said = significant.sort_values("signal", key=lambda s: s.map(order))
        reasons = [f"{row.detail} ({_q_words(row.q_value)})" for row in said.itertuples()]
        if not flagged and reasons:
            reasons.append("no core signal: watch, not flagged")
        rows.append({
            "seller_id": seller_id,
            "score": score,
            "flagged": flagged,
            "reasons": "; ".join(reasons) if reasons else "nothing significant after false-discovery control",
            "signals": list(said["signal"]),
        })
    found = pd.DataFrame(rows, columns=["seller_id", "score", "flagged", "reasons", "signals"])
    scores = pd.DataFrame({"seller_id": sellers}).merge(found, on="seller_id", how="left")
    missing = scores["score"].isna()
    scores.loc[missing, "score"] = 0.0
    scores.loc[missing, "flagged"] = False
    scores.loc[missing, "reasons"] = "nothing unusual found"
    scores["signals"] = [s if isinstance(s, list) else [] for s in scores["signals"]]
    scores["flagged"] = scores["flagged"].astype(bool)
    scores = scores.sort_values(["score", "seller_id"], ascending=[False, True], kind="stable")
    scores["score_rank"] = np.arange(1, len(scores) + 1)
    return scores.reset_index(drop=True)
