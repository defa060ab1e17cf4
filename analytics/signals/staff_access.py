"""Staff access before a change: the insider's own footprint in the access log, as corroboration.

Where the marketplace keeps an access log, a bought service leaves a trace there: an employee
removing this seller's reviews, reinstating its account, or looking up its rivals' data (sales
figures, reviewers) in the days before the seller's sales rank jumped. Staff do all of this honestly
every day too (moderation, account health, category reviews), so the question is only one of timing:
do the sessions touching this seller's side crowd into the weeks before its change more than their
own rate over the whole period predicts?

* The change: the seller's most significant sustained rank improvement, from the same calibrated,
  persistence-robust screen as ``rank_jump`` on the rank that price and ads leave unexplained; only
  sellers with such a change (screen p < ``CHANGE_P`` after its products' multiplicity) are tested.
* Sessions: one per employee and day and kind: removals of this seller's reviews, reinstatements of
  this seller, and look-ups of its rivals' data (views or exports of other sellers in its categories)
  made in selective sittings (at most ``SELECTIVE_SELLERS`` sellers of the category that day; a
  category manager reviewing all top sellers at once looks at no one in particular).
* Tests, per kind: the count in the window ``[change - 21 days, change + 3 days)`` against a binomial
  with the window's share of the period; and, for removals and reinstatements, whether one employee
  made more of the window's sessions than this seller's usual mix of employees predicts (the bought
  service is "often by one employee"; a dedicated account manager is the seller's usual mix). All
  combined by the Cauchy combination test (``rivalry.cauchy_combination``).

Corroboration only (``CORE = False``): it never flags a seller alone, and it is a no-op (no rows, no
tests) where the access log is absent or empty.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analytics.scoring.context import ScoringContext
from analytics.signals import EVIDENCE_COLUMNS, SignalResult
from analytics.signals.rivalry import (DayCounter, cauchy_combination, positions, rank_screen, report_limit,
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
SELECTIVE_SELLERS = 3
SHRINK = 2.0  # sessions' worth of the category's employee mix added to a seller's own
LOOKUP_KINDS = ("sales", "reviewers", "export", "view")
KIND_WORDS = {
    "remove": "removed its reviews",
    "reinstate": "reinstated its account",
    "lookup": "looked up its rivals' data",
}


def sessions(touches: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per kind, one row per (seller_id, employee_id, day_idx): the seller whose side was touched. Rival
    look-ups: one row per selective sitting (employee, day, category) and seller it looked up."""
    own = touches[touches["kind"].isin(["remove", "reinstate"])].dropna(subset=["seller_id"])
    out = {kind: own[own["kind"] == kind][["seller_id", "employee_id", "day_idx"]].drop_duplicates()
           for kind in ("remove", "reinstate")}
    looks = touches[touches["kind"].isin(LOOKUP_KINDS)].dropna(subset=["category", "seller_id"])
    looks = looks[["employee_id", "day_idx", "category", "seller_id"]].drop_duplicates()
    size = looks.groupby(["employee_id", "day_idx", "category"])["seller_id"].transform("size")
    out["lookup"] = looks[size <= SELECTIVE_SELLERS]
    return out


def seller_changes(ctx: ScoringContext, sellers: np.ndarray) -> pd.DataFrame:
    """The most significant sustained rank improvement of each of ``sellers`` that has one (the shared
    rank screen, Bonferroni over the seller's products): seller_id, product_id, category, day_idx,
    p_change."""
    m = ctx.product_matrices
    mine = m.products["seller_id"].isin(sellers).to_numpy()
    split, p_screen = rank_screen(ctx, np.flatnonzero(mine))
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
    looked_categories = set(kinds["lookup"]["category"])
    exposed = set(kinds["remove"]["seller_id"]) | set(kinds["reinstate"]["seller_id"]) | \
        set(seller_categories.loc[seller_categories["category"].isin(looked_categories), "seller_id"])
    changes = seller_changes(ctx, np.array(sorted(exposed), dtype=object))
    if changes.empty:
        return SignalResult.empty()

    n_days = len(m.days)
    start = (changes["day_idx"] - WINDOW_BEFORE).clip(lower=0).to_numpy()
    stop = (changes["day_idx"] + WINDOW_AFTER).clip(upper=n_days).to_numpy()
    share = (stop - start) / n_days
    sellers = pd.unique(seller_categories["seller_id"])
    codes = positions(sellers, changes["seller_id"])
    counts = {}
    for kind in ("remove", "reinstate"):
        frame = kinds[kind]
        counter = DayCounter(positions(sellers, frame["seller_id"]), frame["day_idx"].to_numpy())
        counts[kind] = (counter.count(codes, start, stop), counter.count(codes, 0, n_days))
    counts["lookup"] = _rival_lookups(kinds["lookup"], changes, seller_categories, start, stop, n_days)

    changes = changes.assign(window_share=share, start=start, stop=stop)
    p_kinds = []
    for kind, (k, total) in counts.items():
        changes[f"k_{kind}"] = k
        changes[f"n_{kind}"] = total
        p_kinds.append(np.where(total > 0, stats.binom.sf(k - 1, total, share), np.nan))
        if kind != "lookup":
            p_kinds.append(np.where(total > 0, one_employee_p(kinds[kind], changes, k, seller_categories), np.nan))
    changes["p_value"] = cauchy_combination(np.column_stack(p_kinds))
    tested = changes[changes["p_value"].notna()]
    n_tests = len(tested)
    candidates = tested[tested["p_value"] <= report_limit(n_tests, FDR)]
    # What the evidence names: only the candidates' own sessions and their categories' sittings.
    near = {kind: dict(tuple(frame[frame["seller_id"].isin(candidates["seller_id"])].groupby("seller_id")))
            for kind, frame in kinds.items() if kind != "lookup"}
    categories = seller_categories[seller_categories["seller_id"].isin(candidates["seller_id"])]
    lookups = kinds["lookup"]
    near["lookup"] = dict(tuple(lookups[lookups["category"].isin(categories["category"])].groupby("category")))
    categories_of = categories.groupby("seller_id")["category"].agg(list).to_dict()
    rows = [_evidence_row(ctx, c, near, categories_of[c.seller_id]) for c in candidates.itertuples()]
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


def _rival_lookups(lookups: pd.DataFrame, changes: pd.DataFrame, seller_categories: pd.DataFrame,
                   start: np.ndarray, stop: np.ndarray, n_days: int) -> tuple[np.ndarray, np.ndarray]:
    """Selective sittings that looked up rivals of each changed seller (in its categories, not touching
    the seller itself): (count in its window, count over the period)."""
    if lookups.empty:
        return np.zeros(len(changes), int), np.zeros(len(changes), int)
    categories = pd.unique(seller_categories["category"])
    sittings = lookups.drop_duplicates(["employee_id", "day_idx", "category"])
    by_category = DayCounter(positions(categories, sittings["category"]), sittings["day_idx"].to_numpy())
    # Sittings that touched the seller itself are about it, not its rivals: taken off again.
    pair_index = pd.MultiIndex.from_frame(seller_categories[["seller_id", "category"]])
    by_pair = DayCounter(pair_index.get_indexer(pd.MultiIndex.from_frame(lookups[["seller_id", "category"]])),
                         lookups["day_idx"].to_numpy())

    pairs = changes[["seller_id"]].assign(change=np.arange(len(changes)), start=start, stop=stop) \
        .merge(seller_categories, on="seller_id")
    cat = positions(categories, pairs["category"])
    pair = pair_index.get_indexer(pd.MultiIndex.from_frame(pairs[["seller_id", "category"]]))
    in_window = by_category.count(cat, pairs["start"], pairs["stop"]) - \
        by_pair.count(pair, pairs["start"], pairs["stop"])
    overall = by_category.count(cat, 0, n_days) - by_pair.count(pair, 0, n_days)
    k = np.bincount(pairs["change"], weights=in_window, minlength=len(changes)).astype(int)
    total = np.bincount(pairs["change"], weights=overall, minlength=len(changes)).astype(int)
    return k, total


def _evidence_row(ctx: ScoringContext, c, near: dict[str, dict], categories: list[str]) -> dict:
    """Names only the kinds of session that crowded into the window (more than their usual rate there),
    each with its usual count, and the employee behind most of them."""
    m = ctx.product_matrices
    day = m.days[int(c.day_idx)].date()
    window = (max(int(c.day_idx) - WINDOW_BEFORE, 0), min(int(c.day_idx) + WINDOW_AFTER, len(m.days)))
    days = max(window[1] - window[0], 1)
    counts = {kind: (int(getattr(c, f"k_{kind}")), int(getattr(c, f"n_{kind}"))) for kind in KIND_WORDS}
    usual_of = {kind: (n - k) / max(len(m.days) - days, 1) * days for kind, (k, n) in counts.items()}
    crowded = [kind for kind, (k, _) in counts.items() if k > 0 and k > usual_of[kind]]
    # When nothing crowded in, what stood out was who: one employee behind the sessions there were.
    shown = crowded or [kind for kind, (k, _) in counts.items() if k > 0 and kind != "lookup"]
    said, employees, total_k, total_usual = [], [], 0, 0.0
    for kind in shown:
        k, usual = counts[kind][0], usual_of[kind]
        total_k, total_usual = total_k + k, total_usual + usual
        said.append(f"{KIND_WORDS[kind]} in {k} session{'s' if k != 1 else ''} (usually {usual:.1f})")
        keys = categories if kind == "lookup" else [c.seller_id]
        frames = [near[kind][key] for key in keys if key in near[kind]]
        if frames:
            frame = pd.concat(frames)
            inside = (frame["day_idx"] >= window[0]) & (frame["day_idx"] < window[1])
            employees += frame.loc[inside, "employee_id"].astype(str).tolist()
    who = ""
    if employees:
        top = pd.Series(employees).value_counts()
        if top.iloc[0] > 1 or len(top) == 1:
            who = f", mostly employee {top.index[0]}"
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
