"""Sales-rank jumps that price, ads and season do not explain.

What bought services do to a seller shows up, in the end, as sales: removed negative reviews and
harvested 5-star bursts lift the rating and the rank follows. But honest causes move the rank as
much: price cuts, ad campaigns, seasons, viral hits. So:

1. each product's daily rank is taken relative to its category that day (a category-wide season
   moves every rank together and cancels);
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
from analytics.scoring.context import ScoringContext
from analytics.scoring.screen import screen_level_shifts
from analytics.signals import EVIDENCE_COLUMNS, SignalResult

NAME = "rank_jump"
TITLE = "Sales-rank jump not explained by price, ads or season"
COLOR = "#1f77b4"
CORE = False
FDR = 0.05
WEIGHT = 1.0

MIN_DAYS_BEFORE = 28
MIN_DAYS_AFTER = 7
CANDIDATE_P = 0.01  # screen p-value (after the seller's multiplicity) that earns a confirmation


def explained_part(rel_rank: np.ndarray, log_price: np.ndarray, log_ad: np.ndarray,
                   categories: np.ndarray) -> tuple[np.ndarray, pd.DataFrame]:
    """The part of each product's relative rank that its price and ad spend explain.

    Returns that part (products x days) and the per-category coefficients. Coefficients come from
    within-product variation only (each row demeaned), so a product's general standing does not
    masquerade as a price effect.
    """
    usable = ~np.isnan(rel_rank) & ~np.isnan(log_price) & ~np.isnan(log_ad)

    def demean(m: np.ndarray) -> np.ndarray:
        masked = np.where(usable, m, np.nan)
        with np.errstate(all="ignore"):
            return np.where(usable, masked - np.nanmean(masked, axis=1, keepdims=True), 0.0)

    y, x1, x2 = demean(rel_rank), demean(log_price), demean(log_ad)
    explained = np.zeros_like(rel_rank)
    rows = []
    for category in np.unique(categories):
        sel = categories == category
        xx = np.array([[np.sum(x1[sel] ** 2), np.sum(x1[sel] * x2[sel])],
                       [np.sum(x1[sel] * x2[sel]), np.sum(x2[sel] ** 2)]])
        xy = np.array([np.sum(x1[sel] * y[sel]), np.sum(x2[sel] * y[sel])])
        # A ridge of 1e-6 keeps a category with no ad spend at all (a zero column) solvable.
        beta = np.linalg.solve(xx + 1e-6 * np.eye(2) * max(np.trace(xx), 1.0), xy)
        explained[sel] = beta[0] * np.nan_to_num(log_price[sel]) + beta[1] * np.nan_to_num(log_ad[sel])
        rows.append({"category": category, "price_coef": beta[0], "ad_coef": beta[1],
                     "product_days": int(usable[sel].sum())})
    return explained, pd.DataFrame(rows)


def find(ctx: ScoringContext) -> SignalResult:
    m = ctx.product_matrices
    if len(m.products) == 0 or len(m.days) < MIN_DAYS_BEFORE + MIN_DAYS_AFTER:
        return SignalResult.empty()
    categories = m.products["category"].to_numpy()
    explained, _ = explained_part(m.rel_rank, m.log_price, m.log_ad_spend, categories)
    residual = m.rel_rank - explained
    screened = screen_level_shifts(residual, direction=-1, min_before=MIN_DAYS_BEFORE,
                                   min_after=MIN_DAYS_AFTER)

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

    rows = []
    for cand in best[best["p_seller"] < CANDIDATE_P].itertuples():
        i = cand.product_idx
        split = int(screened.split[i])
        exog = np.column_stack([m.log_price[i], m.log_ad_spend[i]])
        confirm = step_test(m.rel_rank[i], split, exog=exog)
        p_value = max(cand.p_seller, confirm.p_value)
        if confirm.step >= 0:  # the regression does not see an improvement once price/ads are in
            p_value = 1.0
        before_share = float(np.exp(screened.before[i] + np.nanmean(explained[i, :split])))
        after_share = float(np.exp(screened.after[i] + np.nanmean(explained[i, split:])))
        factor = float(np.exp(-confirm.step))
        day = m.days[split].date()
        rows.append({
            "seller_id": cand.seller_id,
            "signal": NAME,
            "changepoint_date": day,
            "before": before_share,
            "after": after_share,
            "effect": float(confirm.effect),
            "p_value": float(p_value),
            "measure": "sales rank as a share of the category (lower = better)",
            "product_id": cand.product_id,
            "related_seller_id": None,
            "detail": (
                f"sales rank of {cand.product_id} improved {factor:.1f}x from {day} "
                f"(top {100 * before_share:.0f}% -> top {100 * after_share:.0f}% of its category), "
                "not explained by price or ads"
            ),
        })
    evidence = pd.DataFrame(rows, columns=list(EVIDENCE_COLUMNS))
    return SignalResult(evidence, n_tests)
