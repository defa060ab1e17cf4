"""Sales-rank jumps that price, ads and season do not explain.

What bought services do to a seller shows up, in the end, as sales: removed negative reviews and
harvested 5-star bursts lift the rating and the rank follows. But honest causes move the rank as
much: price cuts, ad campaigns, seasons, viral hits. So:

1. each product's daily rank within its category is used on a log scale (a category-wide season
   moves every rank together and cancels), leaving out its first weeks after launch (a new listing
   climbing is not a jump);
2. how much price and ad spend move rank is estimated per category from every product's own
   day-to-day variation (within-product least squares), and that part is taken out;
3. what is left is screened for one sustained improvement at an unknown date (``scoring.screen``:
   persistence-robust, calibrated, at least a week after the change, so one good day never counts);
4. candidates are confirmed one by one with statsmodels: OLS of the product's relative rank on a step
   at that date plus its own log price and ad spend, Newey-West errors. The reported p-value is the
   larger of the screen's and the regression's (both must agree).

A rank jump is a supporting signal: an organic viral hit looks exactly like one, so it never flags a
seller on its own; it adds weight and the words "the rank followed" to a core signal.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.changepoints import step_test
from analytics.scoring.context import RANK_SCREEN_DAYS, ScoringContext
from analytics.signals import EVIDENCE_COLUMNS, SignalResult, tested_frame

NAME = "rank_jump"
TITLE = "Sales-rank jump not explained by price, ads or season"
COLOR = "#1f77b4"
CORE = False
FDR = 0.05
WEIGHT = 1.0

MIN_DAYS_BEFORE, MIN_DAYS_AFTER = RANK_SCREEN_DAYS  # the run's shared rank screen (ScoringContext.rank_screen)
CANDIDATE_P = 0.01  # screen p-value (after the seller's multiplicity) that earns a confirmation


def find(ctx: ScoringContext) -> SignalResult:
    m = ctx.product_matrices
    if len(m.products) == 0 or len(m.days) < MIN_DAYS_BEFORE + MIN_DAYS_AFTER:
        return SignalResult.empty()
    screened = ctx.rank_screen

    per_product = m.products[["product_idx", "product_id", "seller_id"]].copy()
    per_product["p_screen"] = screened.p_value
    per_product["judged"] = screened.split >= 0
    judged = per_product[per_product["judged"]]
    if judged.empty:
        return SignalResult.empty()
    # One hypothesis per seller: its best product, Bonferroni over the products it has.
    products_per_seller = judged.groupby("seller_id")["product_idx"].transform("count")
    judged = judged.assign(p_seller=np.minimum(1.0, judged["p_screen"] * products_per_seller))
    best = judged.sort_values("p_seller").drop_duplicates("seller_id")
    n_tests = len(best)

    with ctx.timed("rank_jump: confirm"):
        rows = _confirm(best[best["p_seller"] < CANDIDATE_P], m, screened)
    evidence = pd.DataFrame(rows, columns=list(EVIDENCE_COLUMNS))
    # The screen's p-value for every seller, raised to the confirmation's where it was run (a
    # candidate that price and ads explain is p = 1).
    p_seller = best.set_index("seller_id")["p_seller"]
    confirmed = evidence.set_index("seller_id")["p_value"] if not evidence.empty else pd.Series(dtype=float)
    candidates = best.loc[best["p_seller"] < CANDIDATE_P, "seller_id"]
    p_seller.loc[candidates] = confirmed.reindex(candidates).fillna(1.0).to_numpy()
    return SignalResult(evidence, n_tests, tested_frame(p_seller.index, p_seller.to_numpy()))


def _confirm(candidates: pd.DataFrame, m, screened) -> list[dict]:
    """statsmodels, one candidate at a time: does the step survive the product's own price and ads?"""
    rows = []
    for cand in candidates.itertuples():
        i = cand.product_idx
        split = int(screened.split[i])
        exog = np.column_stack([m.log_price[i], m.log_ad_spend[i]])
        confirm = step_test(m.log_rank[i], split, exog=exog)
        if not np.isfinite(confirm.step) or confirm.step >= 0:
            continue  # price and ads contain the step, or once they are in there is no improvement
        p_one_sided = confirm.p_value / 2  # the step is in the direction looked for
        p_value = max(cand.p_seller, p_one_sided)
        # Typical ranks (geometric means) before and after, as the seller saw them.
        rank_before = float(np.exp(np.nanmean(m.log_rank[i, :split])))
        rank_after = float(np.exp(np.nanmean(m.log_rank[i, split:])))
        factor = float(np.exp(-confirm.step))
        day = m.days[split].date()
        rows.append({
            "seller_id": cand.seller_id,
            "signal": NAME,
            "changepoint_date": day,
            "before": rank_before,
            "after": rank_after,
            "effect": float(confirm.effect_size),
            "p_value": float(p_value),
            "measure": "typical sales rank in its category (lower = better)",
            "product_id": cand.product_id,
            "related_seller_id": None,
            "detail": (
                f"sales rank of {cand.product_id} went from about #{rank_before:,.0f} to #{rank_after:,.0f} "
                f"on {day}; {factor:.1f}x better than price and ads explain"
            ),
        })
    return rows
