"""How much price and ad spend move a product's (log) sales rank, per category.

Estimated from every product's own day-to-day variation (each product's series demeaned, pooled
least squares per category), so a product's general standing does not masquerade as a price effect.
The scoring run stores the coefficients (``category_rank_model``) so the seller page can draw "the
part of the rank that price and ads explain" with the same numbers the detector used.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class RankModel:
    explained: np.ndarray  # products x days: the part of log rank that price and ads explain
    coefficients: pd.DataFrame  # category, price_coef, ad_coef, product_days


def explained_by(log_price, log_ad_spend, price_coef: float, ad_coef: float) -> np.ndarray:
    """The part of relative rank that a price and ad-spend path explain (0 where unknown)."""
    return price_coef * np.nan_to_num(np.asarray(log_price, float)) + \
        ad_coef * np.nan_to_num(np.asarray(log_ad_spend, float))


def fit_rank_model(log_rank: np.ndarray, log_price: np.ndarray, log_ad: np.ndarray,
                   categories: np.ndarray) -> RankModel:
    """Per-category coefficients, and the part of each product's log rank they explain.

    One category at a time, so the work arrays are the size of a category, not of the marketplace.
    """
    explained = np.zeros(log_rank.shape, dtype=np.float32)
    rows = []
    for category in np.unique(categories):
        sel = np.flatnonzero(categories == category)
        rank, price, ad = (np.asarray(m[sel], dtype=np.float64) for m in (log_rank, log_price, log_ad))
        usable = ~np.isnan(rank) & ~np.isnan(price) & ~np.isnan(ad)

        def demean(m: np.ndarray) -> np.ndarray:
            masked = np.where(usable, m, np.nan)
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # products never ranked
                return np.where(usable, masked - np.nanmean(masked, axis=1, keepdims=True), 0.0)

        y, x1, x2 = demean(rank), demean(price), demean(ad)
        xx = np.array([[np.sum(x1 * x1), np.sum(x1 * x2)], [np.sum(x1 * x2), np.sum(x2 * x2)]])
        xy = np.array([np.sum(x1 * y), np.sum(x2 * y)])
        # A ridge of 1e-6 keeps a category with no ad spend at all (a zero column) solvable.
        beta = np.linalg.solve(xx + 1e-6 * np.eye(2) * max(np.trace(xx), 1.0), xy)
        explained[sel] = explained_by(price, ad, beta[0], beta[1])
        rows.append({"category": category, "price_coef": beta[0], "ad_coef": beta[1],
                     "product_days": int(usable.sum())})
    return RankModel(explained, pd.DataFrame(rows, columns=["category", "price_coef", "ad_coef", "product_days"]))
