"""Review bursts from thin accounts: more reviews at once, and of the kind review farms write.

A bought burst brings many 4-5 star reviews at once from accounts that are unverified, new (the
review is their first) or that review nothing but this seller. Both halves are tested and both must
hold (the p-value is the larger of the two):

1. **Who came.** Of the seller's new reviewers in a 2- to 8-week window where their count burst,
   how many gave 4-5 stars with at least two of those three marks (at least
   ``review_windows.MIN_MARKED``), against its category's share that week (leave this seller out,
   shrunk towards the usual share) and its own history (a beta-binomial tail, as for harvested
   reviewers); conditional on how many new reviewers came, so a viral hit or a launch that brings
   many ordinary verified reviewers with the usual mix is not news. Bonferroni over the bursts.
2. **A burst.** The seller's daily review count from the first to the last such review (at least
   three days) is above the 12 weeks before, both in a regression with Newey-West errors
   (``changepoints.step_test``, one-sided: robust to day-to-day persistence) and in an exact Poisson
   comparison (conditional binomial: honest for the small counts of small sellers), so three reviews
   are not a burst.

A burst is a supporting signal: launches, promotions and viral hits also bring bursts, and some
honest customers are new; it adds weight to a core signal and never flags on its own.

``before``/``after``: reviews per day in the 12 weeks before and during the burst. ``effect``: log
of observed over expected thin-account 4-5 star reviewers in the window (0.5 added to both).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analytics.changepoints import NotEnoughPoints, step_test
from analytics.scoring.context import ScoringContext
from analytics.signals import EVIDENCE_COLUMNS, SignalResult, tested_frame
from analytics.signals.review_windows import REPORT_P, day_counts, review_facts, share_scan, window_dates

NAME = "review_burst"
TITLE = "Burst of 4-5 star reviews from thin accounts"
COLOR = "#bcbd22"
CORE = False
FDR = 0.05
WEIGHT = 1.0

DAYS_BEFORE = 84  # the daily review count before a burst is judged over this many days
MIN_DAYS_BEFORE = 14  # with less history than this a burst cannot be told from a launch
MIN_BURST_DAYS = 3  # the burst is judged over at least this many days from its first review


def thin_praise(nr) -> np.ndarray:
    """4-5 stars from an account with at least two of: unverified, first review, reviews only this seller."""
    marks = (~nr.verified).astype(int) + nr.first_review.astype(int) + nr.single_seller.astype(int)
    return (nr.rating >= 4) & (marks >= 2)


def _count_step(daily: np.ndarray, start: int, end: int):
    lo = max(0, start - DAYS_BEFORE)
    if start - lo < MIN_DAYS_BEFORE or end - start < 2:
        return None
    try:
        return step_test(daily[lo:end], start - lo)
    except (NotEnoughPoints, ValueError):
        return None


def _exact_count_p(daily: np.ndarray, start: int, end: int) -> float:
    """Reviews from ``start`` to ``end`` against the days before, as Poisson counts: conditional on the
    total, the burst's share is binomial with its share of the days (exact, for small counts where
    the regression's normal approximation is too kind)."""
    lo = max(0, start - DAYS_BEFORE)
    during, before = daily[start:end].sum(), daily[lo:start].sum()
    share = (end - start) / (end - lo)
    return float(stats.binom.sf(during - 1, during + before, share)) if during > 0 else 1.0


def find(ctx: ScoringContext) -> SignalResult:
    facts = review_facts(ctx)
    nr = facts.new_reviewers
    thin = thin_praise(nr)
    [found] = share_scan(facts, thin)
    tested_sellers = found.total_reviewers > 0
    n_tests = int(tested_sellers.sum())
    # Every tested seller's p-value: the scan's, raised to the burst's own tests where they were run.
    p_seller = found.scan.p_value.copy()
    candidates = np.flatnonzero(found.scan.p_value <= REPORT_P)
    if len(candidates) == 0:
        return SignalResult.empty(n_tests, tested_frame(facts.sellers[tested_sellers], p_seller[tested_sellers]))

    new_rows = facts.rows_of(candidates, nr.unit, nr.minute)
    review_rows = facts.reviews_of(candidates)
    rows = []
    for s in candidates:
        k = int(found.scan.window[s])
        first, last = window_dates(facts, found.scan.windows, k)
        own = new_rows[int(s)]
        day = facts.day(nr.minute[own])
        came = own[thin[own] & (day >= first) & (day < last)]
        came_days = facts.day(nr.minute[came])
        start, end = int(came_days.min()), int(came_days.max()) + 1
        daily = day_counts(facts.day(facts.created[review_rows[int(s)]]), facts.n_days)
        span = min(max(end, start + MIN_BURST_DAYS), facts.n_days) - start
        p_count = _exact_count_p(daily, start, start + span)
        p_seller[s] = max(p_seller[s], p_count)
        if p_count > REPORT_P:
            continue
        step = _count_step(daily, start, start + span)
        if step is None or not step.step > 0:
            p_seller[s] = 1.0
            continue
        p_value = max(float(found.scan.p_value[s]), step.p_value / 2, p_count)
        p_seller[s] = p_value
        n, x, e = (found.scan.at_best[name][s] for name in ("reviewers", "chosen", "expected"))
        rows.append({
            "seller_id": facts.sellers[s],
            "signal": NAME,
            "changepoint_date": facts.date(start),
            "before": float(step.before),
            "after": float(step.after),
            "effect": float(np.log((x + 0.5) / (e + 0.5))),
            "p_value": p_value,
            "measure": "reviews per day, in the 12 weeks before and during the burst",
            "product_id": None,
            "related_seller_id": None,
            "detail": (f"{daily[start:start + span].sum():.0f} reviews between {facts.date(start)} and "
                       f"{facts.date(start + span - 1)} ({step.after:.1f} a day against {step.before:.1f} "
                       f"before); "
                       f"{x:.0f} of its {n:.0f} new reviewers gave 4-5 stars with two of: no verified "
                       f"purchase, a first review ever, reviewing only this seller ({100 * x / n:.0f}%, "
                       f"against {100 * e / n:.0f}% expected from its category in those weeks)"),
        })
    return SignalResult(pd.DataFrame(rows, columns=list(EVIDENCE_COLUMNS)), n_tests,
                        tested_frame(facts.sellers[tested_sellers], p_seller[tested_sellers]))
