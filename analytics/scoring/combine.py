"""From evidence rows to one score, one flag and plain-word reasons per seller.

* False-discovery control: Benjamini-Hochberg across sellers, separately for each signal, counting
  every seller the signal tested (the ones it found nothing for count as p = 1).
* Score: the sum over signals of ``WEIGHT x -log10(q)`` (q floored at 1e-10; a supporting signal
  adds at most ``SUPPORT_CAP``), plus a bonus when
  two or more signals are significant within ``CO_OCCURRENCE_DAYS`` of each other (removals, then a
  rating jump, then a rank jump weigh more together than apart). Being q-based, it is comparable
  between runs.
* Flag: at least one *core* signal significant at its false-discovery level. Supporting signals
  (a rank jump) raise the score and the reasons but never flag on their own.
* Every flagged seller outranks every unflagged one, and the unflagged are ranked by evidence, not
  by q-values (under the line a q-value is ~1 for everyone, so sub-threshold evidence would count as
  nothing): an unflagged seller's evidence is ``-log10`` of its seller-level p-value, the core
  signals' p-values combined by ``min_p_combination`` (a calibrated p: Bonferroni over the signals
  that tested it), plus a supporting signal's ``-log10 p`` up to as much again (it backs core
  evidence, never stands alone). That sum ``s`` is squashed to ``c (1 - exp(-s / c))``, ``c`` = the
  score of the weakest possible flag, so it stays below every flag. The p-values come from every
  seller each signal tested (``SignalResult.tested``), reported or not. Sellers with equal scores
  (flags whose q-values all reached the floor) are ranked by that same p-based evidence.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from analytics.signals.combination import min_p_combination

SUPPORT_CAP = 3.0  # a supporting signal adds at most this much: it backs a core finding, never outranks one
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


def weakest_flag(signals: dict) -> float:
    """The lowest score a flagged seller can have: one core signal at exactly its false-discovery level."""
    return min(module.WEIGHT * -np.log10(module.FDR) for module in signals.values() if module.CORE)


def _q_words(q: float) -> str:
    return "q < 0.001" if q < 0.001 else f"q = {q:.3f}"


def evidence_below_the_line(tests: pd.DataFrame, signals: dict) -> pd.Series:
    """Per seller: the strength of its evidence for ranking below the flag line (see the module
    docstring), from ``tests`` (seller_id, signal, p_value: every seller each signal tested)."""
    if tests is None or tests.empty:
        return pd.Series(dtype=float)
    core = {name: module.CORE for name, module in signals.items()}
    tests = tests.dropna(subset=["p_value"])
    wide = tests.pivot_table(index="seller_id", columns="signal", values="p_value", aggfunc="min")
    core_columns = [c for c in wide.columns if core.get(c, False)]
    support_columns = [c for c in wide.columns if not core.get(c, False)]
    core_p = min_p_combination(wide[core_columns].to_numpy()) if core_columns else np.full(len(wide), np.nan)
    core_strength = np.nan_to_num(-np.log10(np.clip(core_p, 1e-300, 1.0)), nan=0.0)
    support_strength = 0.0
    if support_columns:
        support_p = np.nanmin(np.where(np.isnan(wide[support_columns].to_numpy()), 1.0,
                                       wide[support_columns].to_numpy()), axis=1)
        support_strength = np.minimum(-np.log10(np.clip(support_p, 1e-300, 1.0)), core_strength)
    return pd.Series(core_strength + support_strength, index=wide.index)


def seller_scores(sellers: pd.Series, evidence: pd.DataFrame, signals: dict,
                  tests: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per seller: score, flagged, reasons, signals (the significant ones), score_rank.

    ``tests`` (seller_id, signal, p_value) ranks the unflagged; without it, the evidence rows' p-values."""
    weights = {name: module.WEIGHT for name, module in signals.items()}
    core = {name: module.CORE for name, module in signals.items()}
    order = {name: i for i, name in enumerate(signals)}
    rows = evidence.assign(
        strength=-np.log10(evidence["q_value"].astype(float).clip(lower=Q_FLOOR))
        * evidence["signal"].map(weights).fillna(1.0),
        core=evidence["signal"].map(core).fillna(False).astype(bool),
        order=evidence["signal"].map(order).fillna(len(order)),
    )
    rows["strength"] = rows["strength"].where(rows["core"], rows["strength"].clip(upper=SUPPORT_CAP))
    # One finding per seller and signal: the strongest.
    best = rows.sort_values("strength", ascending=False).drop_duplicates(["seller_id", "signal"])
    per_seller = best.groupby("seller_id").agg(score=("strength", "sum"))

    significant = best[best["significant"].astype(bool)].copy()
    significant["when"] = pd.to_datetime(significant["changepoint_date"])
    significant = significant.sort_values(["seller_id", "when"])
    gaps = significant.groupby("seller_id")["when"].diff().dt.days
    significant["close"] = gaps <= CO_OCCURRENCE_DAYS
    together = significant.groupby("seller_id").agg(n=("signal", "size"), close=("close", "any"),
                                                    flagged=("core", "any"))
    bonus = np.where(together["close"], CO_OCCURRENCE_BONUS * (together["n"] - 1), 0.0)
    per_seller["score"] = per_seller["score"].add(pd.Series(bonus, index=together.index), fill_value=0.0)
    per_seller["flagged"] = together["flagged"].reindex(per_seller.index, fill_value=False).astype(bool)
    ceiling = weakest_flag(signals)
    if tests is None:
        tests = evidence[["seller_id", "signal", "p_value"]]
    below = evidence_below_the_line(tests, signals)
    per_seller = per_seller.reindex(per_seller.index.union(below.index))
    per_seller["score"] = per_seller["score"].fillna(0.0)
    per_seller["flagged"] = per_seller["flagged"].fillna(False).astype(bool)
    unflagged = ~per_seller["flagged"]
    strength = below.reindex(per_seller.index).fillna(0.0)[unflagged]
    per_seller.loc[unflagged, "score"] = ceiling * -np.expm1(-strength / ceiling)

    q_words = significant["q_value"].map(_q_words).astype(str)
    significant["reason"] = significant["detail"].astype(str) + " (" + q_words + ")"
    said = significant.sort_values(["seller_id", "order"]).groupby("seller_id")
    per_seller["reasons"] = said["reason"].agg("; ".join)
    per_seller["signals"] = said["signal"].agg(list)
    watch = per_seller["reasons"].notna() & ~per_seller["flagged"].astype(bool)
    per_seller.loc[watch, "reasons"] = per_seller.loc[watch, "reasons"] + "; no core signal: watch, not flagged"
    per_seller["reasons"] = per_seller["reasons"].fillna("nothing significant after false-discovery control")

    scores = pd.DataFrame({"seller_id": sellers}).merge(per_seller.reset_index(), on="seller_id", how="left")
    nothing = scores["score"].isna()
    scores["score"] = scores["score"].fillna(0.0)
    scores["flagged"] = scores["flagged"].fillna(False).astype(bool)
    scores.loc[nothing, "reasons"] = "nothing unusual found"
    scores["signals"] = [s if isinstance(s, list) else [] for s in scores["signals"]]
    # Equal scores (flagged sellers whose q-values all reached the floor) are ordered by the strength
    # of their evidence, the p-values under the floor included, not by their ids.
    scores["evidence"] = scores["seller_id"].map(below).fillna(0.0)
    scores = scores.sort_values(["score", "evidence", "seller_id"], ascending=[False, False, True], kind="stable")
    scores["score_rank"] = np.arange(1, len(scores) + 1)
    return scores[["seller_id", "score", "flagged", "reasons", "signals", "score_rank"]].reset_index(drop=True)
