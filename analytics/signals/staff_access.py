"""Staff access before a change: the insider's own footprint in the access log, as corroboration.

Where the marketplace keeps an access log, a bought service leaves a trace there: an employee
removing this seller's reviews or reinstating its account in the days before the seller's sales rank
jumped, often the same employee again and again. Staff do this honestly every day too (moderation,
account health), so the questions are timing and who:

* The change: the seller's most significant sustained rank improvement, from the same calibrated,
  persistence-robust screen as ``rank_jump`` (shared, ``rivalry.rank_screen``) on the rank that price
  and ads leave unexplained; only sellers with staff sessions on their side and such a change (screen
  p < ``CHANGE_P`` after its products' multiplicity) are tested.
* Sessions: one per employee, day and kind: removals of this seller's reviews, reinstatements of it.
* Tests, per kind: the count in the window ``[change - 21 days, change + 3 days)`` against a binomial
  with the window's share of the period (the seller's own rate is the baseline); and whether one
  employee made more of the window's sessions than this seller's usual mix of employees predicts
  (the bought service is "often by one employee"; a dedicated account manager is the usual mix). All
  combined by ``combination.min_p_combination`` (no silent trace can veto a strong one).

Look-ups of rivals' data are not tested here: a category's look-ups are the same for all its sellers
and follow the category's seasons, so their timing says nothing about one seller. Look-ups of the very
rivals a seller then aimed at are tested by ``sales_intel``, and one employee acting on both a seller
and its attacked rivals by ``sabotage``.

Corroboration only (``CORE = False``): it never flags a seller alone, and it is a no-op (no rows, no
tests) where the access log is absent or empty.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analytics.scoring.context import ScoringContext
from analytics.signals import EVIDENCE_COLUMNS, SignalResult
from analytics.signals.combination import min_p_combination
from analytics.signals.rivalry import (DayCounter, positions, rank_screen, report_limit,
                                       staff_touches)

NAME = "staff_access"
TITLE = "Staff touched this seller's side just before its change"
COLOR = "#7f7f7f"
CORE = False
FDR = 0.05
WEIGHT = 0.5

CHANGE_P = 0.01  # screen p-value (after the seller's multiplicity) that makes a change worth timing
WINDOW_BEFORE = 21  # days before the change in which staff sessions count
WINDOW_AFTER = 3  # and days after (a change point is only known to within a few days)
SHRINK = 2.0  # sessions' worth of the category's employee mix added to a seller's own
KIND_WORDS = {
    "remove": "removed its reviews",
    "reinstate": "reinstated its account",
}


def sessions(touches: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per kind, one row per (seller_id, employee_id, day_idx) on that seller's side."""
    own = touches[touches["kind"].isin(list(KIND_WORDS))].dropna(subset=["seller_id"])
    return {kind: own.loc[own["kind"] == kind, ["seller_id", "employee_id", "day_idx"]].drop_duplicates()
            for kind in KIND_WORDS}


def seller_changes(ctx: ScoringContext, sellers: np.ndarray) -> pd.DataFrame:
    """The most significant sustained rank improvement of each of ``sellers`` that has one (the shared
    rank screen, Bonferroni over the seller's products): seller_id, product_id, category, day_idx,
    p_change."""
    m = ctx.product_matrices
    mine = m.products["seller_id"].isin(sellers).to_numpy()
    split, p_screen = rank_screen(ctx)
    products = m.products.assign(day_idx=split, p_screen=p_screen)
    judged = products[mine & (split >= 0)]
    per_seller = judged.groupby("seller_id")["product_idx"].transform("count")
    judged = judged.assign(p_change=np.minimum(1.0, judged["p_screen"] * per_seller))
    best = judged.sort_values("p_change").drop_duplicates("seller_id")
    return best[best["p_change"] < CHANGE_P][["seller_id", "product_id", "category", "day_idx", "p_change"]]


def find(ctx: ScoringContext) -> SignalResult:
    touches = staff_touches(ctx)
    if touches.empty:
        return SignalResult.empty()
    m = ctx.product_matrices
    kinds = sessions(touches)
    seller_categories = m.products[["seller_id", "category"]].drop_duplicates()
    exposed = set().union(*(set(frame["seller_id"]) for frame in kinds.values()))
    changes = seller_changes(ctx, np.array(sorted(exposed), dtype=object))
    if changes.empty:
        return SignalResult.empty()

    n_days = len(m.days)
    start = (changes["day_idx"] - WINDOW_BEFORE).clip(lower=0).to_numpy()
    stop = (changes["day_idx"] + WINDOW_AFTER).clip(upper=n_days).to_numpy()
    share = (stop - start) / n_days
    sellers = pd.unique(seller_categories["seller_id"])
    codes = positions(sellers, changes["seller_id"])
    changes = changes.assign(window_share=share, start=start, stop=stop)
    p_kinds = []
    for kind, frame in kinds.items():
        counter = DayCounter(positions(sellers, frame["seller_id"]), frame["day_idx"].to_numpy())
        k, total = counter.count(codes, start, stop), counter.count(codes, 0, n_days)
        changes[f"k_{kind}"], changes[f"n_{kind}"] = k, total
        p_kinds.append(np.where(total > 0, stats.binom.sf(k - 1, total, share), np.nan))
        p_kinds.append(np.where(total > 0, one_employee_p(frame, changes, k, seller_categories), np.nan))
    changes["p_value"] = min_p_combination(np.column_stack(p_kinds))
    tested = changes[changes["p_value"].notna()]
    n_tests = len(tested)
    candidates = tested[tested["p_value"] <= report_limit(n_tests, FDR)]
    # What the evidence names: only the candidates' own sessions.
    near = {kind: dict(tuple(frame[frame["seller_id"].isin(candidates["seller_id"])].groupby("seller_id")))
            for kind, frame in kinds.items()}
    rows = [_evidence_row(ctx, c, near) for c in candidates.itertuples()]
    return SignalResult(pd.DataFrame(rows, columns=list(EVIDENCE_COLUMNS)), n_tests)


def one_employee_p(frame: pd.DataFrame, changes: pd.DataFrame, k: np.ndarray,
                   seller_categories: pd.DataFrame) -> np.ndarray:
    """Per change: the chance that one employee made as many of the window's sessions as the busiest
    one did, had each session gone to an employee in the proportions this seller's other sessions
    went (shrunk towards its category's mix, so an employee who never touched it before is possible
    but rare). A seller with a dedicated account manager is not news; one new employee handling it
    again and again just before its change is. Union bound over employees (conservative)."""
    p = np.ones(len(changes))
    judged = changes.assign(change=np.arange(len(changes)), k=k)[k >= 2]
    if judged.empty:
        return p
    sessions_of = judged[["change", "seller_id", "category", "start", "stop"]].merge(frame, on="seller_id")
    inside = (sessions_of["day_idx"] >= sessions_of["start"]) & (sessions_of["day_idx"] < sessions_of["stop"])
    busiest = sessions_of[inside].groupby(["change", "employee_id"]).size().groupby(level="change").max()
    busiest = busiest[busiest >= 2]
    if busiest.empty:
        return p
    category_mix = frame.merge(seller_categories, on="seller_id").groupby("category")["employee_id"] \
        .value_counts(normalize=True)
    before = sessions_of[~inside].groupby("change")["employee_id"].value_counts()
    for change, most in busiest.items():
        category = judged.loc[judged["change"] == change, "category"].iat[0]
        mix = category_mix.loc[category]
        own = before.loc[change] if change in before.index.get_level_values(0) else pd.Series(dtype=float)
        chances = (own.reindex(mix.index, fill_value=0) + SHRINK * mix) / (own.sum() + SHRINK)
        p[change] = min(1.0, float(stats.binom.sf(most - 1, int(k[change]), chances.to_numpy()).sum()))
    return p


def _evidence_row(ctx: ScoringContext, c, near: dict[str, dict]) -> dict:
    """Names the kinds of session that crowded into the window (more than their usual rate there), each
    with its usual count, and the employee behind most of them."""
    m = ctx.product_matrices
    day = m.days[int(c.day_idx)].date()
    window = (max(int(c.day_idx) - WINDOW_BEFORE, 0), min(int(c.day_idx) + WINDOW_AFTER, len(m.days)))
    days = max(window[1] - window[0], 1)
    counts = {kind: (int(getattr(c, f"k_{kind}")), int(getattr(c, f"n_{kind}"))) for kind in KIND_WORDS}
    usual_of = {kind: (n - k) / max(len(m.days) - days, 1) * days for kind, (k, n) in counts.items()}
    crowded = [kind for kind, (k, _) in counts.items() if k > 0 and k > usual_of[kind]]
    # When nothing crowded in, what stood out was who: one employee behind the sessions there were.
    shown = crowded or [kind for kind, (k, _) in counts.items() if k > 0]
    said, employees, total_k, total_usual = [], [], 0, 0.0
    for kind in shown:
        k, usual = counts[kind][0], usual_of[kind]
        total_k, total_usual = total_k + k, total_usual + usual
        said.append(f"{KIND_WORDS[kind]} in {k} session{'s' if k != 1 else ''} (usually {usual:.1f})")
        frame = near[kind].get(c.seller_id)
        if frame is not None:
            inside = (frame["day_idx"] >= window[0]) & (frame["day_idx"] < window[1])
            employees += frame.loc[inside, "employee_id"].astype(str).tolist()
    who = ""
    if employees:
        top = pd.Series(employees).value_counts()
        if top.iloc[0] > 1 or len(top) == 1:
            who = f", {top.iloc[0]} of them by employee {top.index[0]}"
    return {
        "seller_id": c.seller_id,
        "signal": NAME,
        "changepoint_date": day,
        "before": float(total_usual),
        "after": float(total_k),
        "effect": float(np.log((total_k + 0.5) / (total_usual + 0.5))),
        "p_value": float(c.p_value),
        "measure": f"staff sessions on this seller's side in the {days} days around its change: usual -> seen",
        "product_id": c.product_id,
        "related_seller_id": None,
        "detail": f"in the 3 weeks before its sales rank improved on {day}, staff {' and '.join(said)}{who}",
    }
