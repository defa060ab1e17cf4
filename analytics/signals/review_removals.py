"""Bought deletions: a seller's own 1-2 star reviews removed by staff, selectively, in a short span.

Staff honestly remove reviews of every rating every day, sometimes in sweeps; automated filters clean
up spam of every rating; customers take back their own reviews. What a bought deletion leaves is
different in two ways at once, and the test asks for both (an intersection-union test: the
window's p-value is the larger of the two):

Only verified-purchase reviews count: genuine complaints are what a seller pays to hide, while the
fake 1-star attacks that staff honestly clean up within days (a sabotaged rival's look-alike) seldom
are verified.

1. **Beyond the category's rate.** Staff removals of the seller's 1-2 star reviews in a 2- to 8-week
   window, against the number its visible 1-2 star reviews would draw at its category's staff-removal
   rate in those weeks (without the seller itself), with a negative-binomial tail whose spread
   between honest sellers is estimated from all sellers (``review_windows``).
2. **Selective.** Of the staff removals of its 1-2 and 4-5 star reviews in the window, how many
   were 1-2 star, against the split the rest of its category's staff removals show, given each
   side's mix of visible reviews (an exact conditional test, ``_Selectivity``). An honest sweep
   removes all ratings; a bought one only the bad ones.

Only ``staff`` removals count: customers withdrawing reviews and spam filters are what honest
clean-ups look like, and are reported beside the finding for context. The best window per seller is
Bonferroni-corrected for the windows the seller had 1-2 star reviews in, so a seller is one
hypothesis; fewer than ``MIN_REMOVALS`` removals in a window are never evidence (a single removal is
what honest moderation does to anyone). For the sellers that pass, what the removals bought is
measured as an interrupted time series (``changepoints.step_test``): the visible average rating
before and after the first removal, and the sales rank of its products (reported, not tested: the
rank-jump signal judges the rank).

``before``/``after``: visible average rating (stars). ``effect``: log of observed over expected staff
removals of 1-2 star reviews in the window (0.5 added to both).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.changepoints import NotEnoughPoints, step_test
from analytics.scoring.context import ScoringContext
from analytics.signals import EVIDENCE_COLUMNS, SignalResult
from analytics.signals.review_windows import (
    BY_AUTOMATED, BY_CUSTOMER, BY_STAFF, MINUTES_PER_DAY, REPORT_P, ReviewFacts, Scan, fisher_noncentral_sf,
    gamma_poisson_tail, rate_shape, review_facts, scan, where_observed, window_dates, windows,
)

NAME = "review_removals"
TITLE = "Negative reviews removed by staff, selectively"
COLOR = "#9467bd"
CORE = True
FDR = 0.05
WEIGHT = 1.0

PRIOR_REMOVALS = 2.0  # a week's category rate is shrunk towards its usual rate by this many removals
MIN_REMOVALS = 3  # fewer staff removals of 1-2 star reviews than this in a window is never evidence
OUTLIER_P = 1e-3  # sellers this extreme in a first pass are left out of others' baselines in the second
MIN_REST_REMOVALS = 20  # staff removals a category needs to be its own baseline for selectivity
ITS_DAYS = 28  # days either side of the first removal for the interrupted time series


def _at_risk(facts: ReviewFacts, chosen: np.ndarray) -> np.ndarray:
    """units x weeks: reviews of the chosen kind shown at some point in each week (shown when the week
    began, or posted during it)."""
    units = facts.unit[chosen]
    posted = facts.unit_week_counts(units, facts.created_week[chosen])
    gone = facts.unit_week_counts(units, facts.removed_week[chosen])
    shown_at_start = np.cumsum(posted - gone, axis=1) - (posted - gone)
    return (shown_at_start + posted)[:, 1:-1]


def _staff_removed(facts: ReviewFacts, chosen: np.ndarray) -> np.ndarray:
    staff = chosen & (facts.remover == BY_STAFF)
    return facts.unit_week_counts(facts.unit[staff], facts.removed_week[staff])[:, 1:-1]


def _weekly_rates(facts: ReviewFacts, removed: np.ndarray, at_risk: np.ndarray, counted: np.ndarray):
    """Per unit: the rest of its category's staff-removal rate each week (over the ``counted`` units),
    shrunk towards the rest of the category's usual rate; and that usual rate."""
    rest_removed = facts.rest_of_category(removed, counted)
    rest_at_risk = facts.rest_of_category(at_risk, counted)
    marketplace = (removed[counted].sum() + 1.0) / (at_risk[counted].sum() + 1.0)
    usual = (rest_removed.sum(axis=1) + 1.0) / (rest_at_risk.sum(axis=1) + 1.0 / marketplace)
    weekly = (rest_removed + PRIOR_REMOVALS) / (rest_at_risk + PRIOR_REMOVALS / usual[:, None])
    return weekly, usual


def find(ctx: ScoringContext) -> SignalResult:
    facts = review_facts(ctx)
    # Genuine complaints are what a seller pays to hide: verified purchases. Fake 1-star attacks, which
    # staff honestly clean up within days, seldom are.
    negative, positive = (facts.rating <= 2) & facts.verified, (facts.rating >= 4) & facts.verified
    counts = _Counts(_at_risk(facts, negative), _staff_removed(facts, negative),
                     _at_risk(facts, positive), _staff_removed(facts, positive))
    del negative, positive
    weekly = {
        "removed": facts.by_seller(counts.neg_removed),
        "shown": facts.by_seller(counts.neg_at_risk),
        "removed_positive": facts.by_seller(counts.pos_removed),
        "shown_positive": facts.by_seller(counts.pos_at_risk),
    }
    n_tests = int((weekly["shown"].sum(axis=1) > 0).sum())
    if counts.neg_removed.sum() == 0 or n_tests == 0:
        return SignalResult.empty(n_tests)

    # Two passes: sellers whose removals are extreme even against baselines they help make are left
    # out of everyone else's baselines in the second (other buyers in a category would otherwise make
    # bought deletions look like the category's habit).
    first = _scan(facts, counts, weekly, np.ones(facts.n_units, dtype=bool))
    extreme = first.p_value <= OUTLIER_P
    found = _scan(facts, counts, weekly, ~extreme[facts.unit_seller], honest_sellers=~extreme)
    reported = np.flatnonzero(found.p_value <= REPORT_P)
    if len(reported) == 0:
        return SignalResult.empty(n_tests)

    _, usual = _weekly_rates(facts, counts.neg_removed, counts.neg_at_risk, ~extreme[facts.unit_seller])
    exposure = facts.by_seller(counts.neg_at_risk.sum(axis=1, keepdims=True) * usual[:, None])[:, 0]
    usual_rate = exposure / np.maximum(weekly["shown"].sum(axis=1), 1e-12)
    usual_age = _usual_age(facts, ~extreme[facts.unit_seller])
    reviews = facts.reviews_of(reported)
    best = found.at_best
    rows = [_evidence(ctx, facts, s, reviews[int(s)], found.windows, int(found.window[s]), found.p_value[s],
                      best["removed"][s], best["expected"][s], best["removed_positive"][s], usual_rate[s],
                      usual_age)
            for s in reported]
    return SignalResult(pd.DataFrame(rows, columns=list(EVIDENCE_COLUMNS)), n_tests)


def _usual_age(facts: ReviewFacts, counted: np.ndarray) -> pd.Series:
    """Per category: the median minutes from posting to a staff removal of a verified 1-2 star review
    (over the counted units), for the analyst's comparison."""
    removed = (facts.rating <= 2) & facts.verified & (facts.remover == BY_STAFF) & counted[facts.unit]
    removed &= facts.removed_week <= facts.n_weeks
    ages = pd.Series(facts.removed[removed] - facts.created[removed])
    return ages.groupby(facts.unit_category[facts.unit[removed]]).median()


@dataclass
class _Counts:
    """units x weeks: verified 1-2 star reviews shown and removed by staff; the same for 4-5 stars."""

    neg_at_risk: np.ndarray
    neg_removed: np.ndarray
    pos_at_risk: np.ndarray
    pos_removed: np.ndarray


def _scan(facts: ReviewFacts, counts: _Counts, weekly: dict, counted: np.ndarray,
          honest_sellers: np.ndarray | None = None) -> Scan:
    """The windowed test with baselines made of the ``counted`` units (and the Gamma law's spread
    estimated from the ``honest_sellers``)."""
    neg_rate, _ = _weekly_rates(facts, counts.neg_removed, counts.neg_at_risk, counted)
    weekly = dict(weekly, expected=facts.by_seller(counts.neg_at_risk * neg_rate))
    honest = slice(None) if honest_sellers is None else honest_sellers
    shape = rate_shape(weekly["removed"].sum(axis=1)[honest], weekly["expected"].sum(axis=1)[honest])
    selective = _Selectivity(facts, counts, counted)

    def window_p(sums, rows, m):
        observed = sums["removed"]
        enough = np.where(observed >= MIN_REMOVALS, observed, 0.0)
        p_rate = where_observed(enough, lambda where: gamma_poisson_tail(
            observed[where], sums["expected"][where], shape))
        # Selectivity only where the rate alone could already pass (it is the slower test).
        could_pass = np.nonzero(p_rate * np.maximum(m, 1)[:, None] <= REPORT_P)
        p = np.ones_like(p_rate)
        if len(could_pass[0]):
            p[could_pass] = np.maximum(p_rate[could_pass], selective.p_value(
                np.arange(rows.start, rows.stop)[could_pass[0]], observed[could_pass],
                sums["removed_positive"][could_pass], sums["shown"][could_pass],
                sums["shown_positive"][could_pass]))
        return p

    return scan(windows(facts.n_weeks), weekly, lambda sums, rows: sums["shown"] > 0, window_p)


class _Selectivity:
    """Were the seller's staff removals in a window more often 1-2 star than the rest of its category's?

    A 2 x 2 table (this seller in the window / the rest of its category over the whole period, by
    1-2 star / 4-5 star staff removals), tested exactly conditional on its margins: under honest
    moderation the odds of a removal being 1-2 star differ between the two only by the mix of reviews
    each had on show, so the seller's count follows Fisher's noncentral hypergeometric law with that
    odds ratio. The rest of the category's own removals are few in a small category; the exact test
    carries that uncertainty instead of treating the category's split as known. A category with fewer
    than ``MIN_REST_REMOVALS`` staff removals is replaced by the rest of the marketplace. Only the
    ``counted`` units (not the extreme sellers) make up the rest.
    """

    def __init__(self, facts: ReviewFacts, counts: _Counts, counted: np.ndarray):
        unit_totals = np.column_stack([counts.neg_removed.sum(axis=1), counts.pos_removed.sum(axis=1),
                                       counts.neg_at_risk.sum(axis=1), counts.pos_at_risk.sum(axis=1)])
        rest_of_category = facts.by_seller(facts.rest_of_category(unit_totals, counted))
        counted_totals = unit_totals * counted[:, None]
        rest_of_market = counted_totals.sum(axis=0)[None, :] - facts.by_seller(counted_totals)
        small = rest_of_category[:, 0] + rest_of_category[:, 1] < MIN_REST_REMOVALS
        self.rest = np.where(small[:, None], rest_of_market, rest_of_category)

    def p_value(self, sellers, removed_neg, removed_pos, shown_neg, shown_pos) -> np.ndarray:
        rest_neg, rest_pos, rest_neg_shown, rest_pos_shown = self.rest[sellers].T
        own_odds = shown_neg / np.maximum(shown_pos, 1e-12)
        rest_odds = rest_neg_shown / np.maximum(rest_pos_shown, 1e-12)
        odds = own_odds / np.maximum(rest_odds, 1e-12)
        judged = (shown_pos > 0) & (rest_neg_shown > 0) & (rest_neg + rest_pos > 0)
        p = np.ones(len(sellers))
        if judged.any():
            j = judged
            p[j] = fisher_noncentral_sf(
                removed_neg[j] - 1, removed_neg[j] + removed_pos[j] + rest_neg[j] + rest_pos[j],
                removed_neg[j] + removed_pos[j], removed_neg[j] + rest_neg[j], odds[j])
        return np.clip(p, 0.0, 1.0)


def _age_words(minutes: float) -> str:
    days = minutes / MINUTES_PER_DAY
    if days >= 2:
        return f"{days:.0f} days"
    return f"{minutes / 60:.0f} hours"


def _visible_rating(facts: ReviewFacts, rows: np.ndarray) -> np.ndarray:
    """Daily visible average rating (at the end of each day) over the given reviews; NaN with none shown."""
    n = facts.n_days
    created = np.clip(facts.day(facts.created[rows]), 0, n)
    removed = np.clip(facts.day(facts.removed[rows]), 0, n)  # NOT_REMOVED lands past the end
    stars = facts.rating[rows].astype(float)
    shown = np.cumsum(np.bincount(created, minlength=n + 1) - np.bincount(removed, minlength=n + 1))[:n]
    total = np.cumsum(np.bincount(created, stars, minlength=n + 1) -
                      np.bincount(removed, stars, minlength=n + 1))[:n]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(shown > 0, total / shown, np.nan)


def _step(series: np.ndarray, day: int):
    """Interrupted time series around ``day``: a step net of a straight-line trend (the visible average
    drifts as reviews accumulate), over ITS_DAYS either side."""
    lo, hi = max(0, day - ITS_DAYS), min(len(series), day + ITS_DAYS)
    try:
        return step_test(series[lo:hi], day - lo, exog=np.arange(hi - lo, dtype=float))
    except (NotEnoughPoints, ValueError):
        return None


def _rank_share(ctx: ScoringContext, seller_id: str) -> np.ndarray | None:
    m = ctx.product_matrices
    rows = m.rows_by_seller.get(seller_id)
    if rows is None or len(rows) == 0:
        return None
    ranks = m.rel_rank[rows]
    ranked = np.isfinite(ranks).sum(axis=0)
    series = np.where(ranked > 0, np.nansum(ranks, axis=0) / np.maximum(ranked, 1), np.nan)
    return series if (ranked > 0).any() else None


def _evidence(ctx, facts: ReviewFacts, s: int, own: np.ndarray, w, k: int, p_value: float, observed: float,
              expected: float, removed_positive: float, usual_rate: float, usual_age: pd.Series) -> dict:
    """The evidence row of seller ``s``; ``own`` = the indices of its reviews in ``facts``."""
    first_day, last_day = window_dates(facts, w, k)
    removed_day = facts.day(facts.removed[own])
    negative = (facts.rating[own] <= 2) & facts.verified[own]
    in_window = negative & (removed_day >= first_day) & (removed_day < last_day)
    batch = own[in_window & (facts.remover[own] == BY_STAFF)]
    others = int((in_window & np.isin(facts.remover[own], (BY_CUSTOMER, BY_AUTOMATED))).sum())
    batch_days = facts.day(facts.removed[batch])
    start, end = int(batch_days.min()), int(batch_days.max())
    age = float(np.median(facts.removed[batch] - facts.created[batch]))
    category = int(pd.Series(facts.unit_category[facts.unit[batch]]).mode().iloc[0])
    age_words = f"a median of {_age_words(age)} after posting"
    if category in usual_age.index:
        age_words += f", where its category's staff take {_age_words(float(usual_age[category]))}"

    # Before: the visible average the day before the first removal; after: that plus the step the
    # removals made, net of the trend.
    rating = _visible_rating(facts, own)
    rating_step = _step(rating, start) if start >= 1 and np.isfinite(rating[start - 1]) else None
    before = float(rating[start - 1]) if rating_step else np.nan
    after = before + rating_step.step if rating_step else np.nan

    rank_words = ""
    rank = _rank_share(ctx, facts.sellers[s])
    if rank is not None and start < len(rank):
        rank_step = _step(rank, start)
        if rank_step is not None and np.isfinite(rank_step.step):
            rank_words = (f", sales rank top {100 * np.exp(rank_step.before):.0f}% -> "
                          f"top {100 * np.exp(rank_step.after):.0f}% of its category")

    weeks = int(w.weeks[k])
    kept = "none of its 4-5 star ones" if removed_positive == 0 else \
        f"{removed_positive:.0f} of its verified 4-5 star ones"
    when = f"on {facts.date(start)}" if start == end else f"between {facts.date(start)} and {facts.date(end)}"
    others_words = f"; customers and filters removed {others} of them in the same weeks" if others else ""
    rating_words = f"; visible rating {before:.2f} -> {after:.2f}" if rating_step else ""
    return {
        "seller_id": facts.sellers[s],
        "signal": NAME,
        "changepoint_date": facts.date(start),
        "before": before,
        "after": after,
        "effect": float(np.log((observed + 0.5) / (expected + 0.5))),
        "p_value": float(p_value),
        "measure": "visible average rating (stars), before and after the removals",
        "product_id": None,
        "related_seller_id": None,
        "detail": (f"{observed:.0f} of its verified 1-2 star reviews removed by staff {when} ({age_words}), "
                   f"{kept}; staff in its category remove "
                   f"{100 * min(usual_rate * weeks, 1):.1f}% of them in a typical {7 * weeks} days"
                   f"{others_words}{rating_words}{rank_words}"),
    }
