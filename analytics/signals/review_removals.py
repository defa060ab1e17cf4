"""Bought deletions: a seller's own genuine complaints removed by staff, beyond what its moderation explains.

Staff honestly remove reviews of every rating every day, sometimes in sweeps; automated filters clean
up spam of every rating; customers take back their own reviews; staff clean up fake 1-star attacks on
sabotaged sellers. What a bought deletion leaves is staff removing the seller's *genuine complaints*
(verified-purchase 1-2 star reviews: what a seller pays to hide) far beyond what the rest of its own
moderation explains. One seller-level test over the whole history says that at once, and a window
component catches a short wipe the year would dilute:

* **The category's rates, robustly.** For each week, the rest of the seller's category's staff-removal
  rate of verified 1-2 star reviews, and of every other review (leave one out, shrunk towards the
  category's usual rate), gives the removals the seller's reviews on show would draw: ``expected``
  for its complaints, ``other_expected`` for the rest. In a category where a tenth of the removals
  are bought, the buyers would otherwise make bought deletions look like the category's habit, and
  a first pass with them in finds none of them. So the first pass only ranks: it sets aside the
  ``TRIM_SHARE`` of each category's sellers with the most extreme complaint removals (a trimmed
  start); the next passes add their discoveries to those set aside until no new one appears, and
  then the discoveries alone replace them, pass by pass, until the set no longer changes (within
  the run only). On an honest marketplace the trimmed sellers are not discoveries and come back.
* **The seller's own moderation.** Sellers differ honestly: some attract many more removals of every
  kind (policy sweeps, spam, clean-ups of attacks). The seller's rate is drawn from a Gamma law and
  learnt from its staff removals of its *other* reviews; its complaints' removals are then judged by
  the negative-binomial predictive tail (``review_windows.gamma_poisson_tail`` with that history). A
  sweep of every rating raises the rate it is judged by; a wipe of complaints alone does not. This is
  selectivity and rate in one exact test, with no intersection whose weaker part decides: its p-value
  keeps falling with every further complaint removed.
* **Honest spread from the bulk.** The Gamma law's shape is fitted by maximum likelihood of that same
  predictive law over the sellers not set aside, so the tail is as wide as honest sellers really are.
* **The short wipe, where the year dilutes it** (``window_component``). A wipe of a few weeks in a
  seller its staff moderate heavily all year, or whose complaints are honestly removed more than
  most, is diluted over the whole history. Within a window the seller's moderation rate cancels:
  given how many of its reviews staff removed in the window, how many were complaints is
  beta-binomial with the share its reviews on show predict, the complaints' factor learnt from its
  staff removals *outside* the window (an honest seller's selectivity is stable; a wipe is a jump in
  it, so a sweep of every rating is ordinary here too). The best window's p-value is corrected for
  the seller's distinct windows that could have shown one as small (Tarone's device for discrete
  tests: a window with two staff removals can never be very selective; windows holding the same
  weeks with staff removals are one test; both depend only on the weekly totals the test conditions
  on). A simulation of the
  windows' maximum would be sharper, but cannot resolve the depths a false-discovery line needs at
  a cost the 100,000-seller run allows; the count of distinct windows is exact and only
  conservative. The two components are combined by Simes (``simes_pair``): valid for positively
  dependent components, never worse than Bonferroni's 2 x the smaller, so neither a silent
  component nor the weaker one decides. NaN (absent) for a seller none of whose complaints staff
  removed.

Every seller with verified 1-2 star reviews on show is tested; its p-value goes to ``tested`` (an
analyst's calibration table and the ranking below the flag line read it). A seller with fewer than
``MIN_REMOVALS`` such removals is never *reported*: one or two removals are what honest moderation does
to anyone, and a clean-up of a handful breaks the independence the tails assume.

The staff behind the removals are not used: a component was measured and left out. It linked each
complaint's staff removal to the employees whose access-log removals name the seller that day (or
the day before or after) and judged each against their peers (``staff_history.peer_rarity`` of a
removal: the share of other staff's removals done by someone for whom removing is as unusual),
Bonferroni over a seller's employees. It separates (on an independent marketplace 13 of 30 wipes at
p < 0.05, 3 of 105 unlabelled sellers with a linked removal), but an empirical p over the logged
removals cannot go below 1 / (1 + their number) (about 0.0014 there), so it never finds a buyer on
its own, and as a partner of the test above it dilutes more wipes than it lifts: review_wipe 26/30
alone, 22/30 with min-p, 24/30 with Fisher (our demo: 14/15 in all three). An earlier version with
the employee's own mix of kinds cost wipes too. Whether the category was usual for the linked
employee (their own mix of categories, a moderator of one queue removing in another) does not
separate there: 10 of 30 wipes at p < 0.05 against 26 of 105 unlabelled sellers and 7 of 20 honest
policy clean-ups (our demo: 5 of 13 wipes, 2 of 105 unlabelled), so it is left out as well.

For the sellers reported, the evidence row names the span where the removals were densest (the window
of 2-8 weeks most beyond the seller's own rate; a description, not a test) and what the removals
bought there: the visible average rating before and after the first removal
(``changepoints.step_test``), and the sales rank of its products (reported, not tested: the rank-jump
signal judges the rank).

``before``/``after``: visible average rating (stars). ``effect``: log of observed over expected staff
removals of the seller's verified 1-2 star reviews over the whole history, expected from its category
and its own other removals (0.5 added to both).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from analytics.changepoints import NotEnoughPoints, step_test
from analytics.scoring.combine import bh_q_values
from analytics.scoring.context import ScoringContext
from analytics.signals import EVIDENCE_COLUMNS, SignalResult, tested_frame
from analytics.signals.review_windows import (
    BY_AUTOMATED, BY_CUSTOMER, BY_STAFF, MAX_SHAPE, MIN_SHAPE, MINUTES_PER_DAY, ReviewFacts,
    beta_binomial_sf, gamma_poisson_tail, review_facts, window_dates, window_sums, windows,
)
from analytics.signals.rivalry import report_limit

NAME = "review_removals"
TITLE = "Negative reviews removed by staff, selectively"
COLOR = "#9467bd"
CORE = True
FDR = 0.05
WEIGHT = 1.0

PRIOR_REMOVALS = 2.0  # a week's category rate is shrunk towards its usual rate by this many removals
MIN_REMOVALS = 3  # fewer staff removals of a seller's verified 1-2 star reviews than this are never reported
# The first pass sets aside this share of each category's tested sellers (those with the most extreme
# complaint removals): DOMAIN.md, in a bad category a tenth of the removals may be bought.
TRIM_SHARE = 0.1
MAX_PASSES = 20  # passes of setting discoveries aside from the references (stops earlier once stable)
SHAPE_GRID = np.geomspace(MIN_SHAPE, MAX_SHAPE, 49)  # Gamma shapes the maximum-likelihood fit chooses among
EXTRA_GRID = np.geomspace(MIN_SHAPE, 1e4, 61)  # and the shapes of the complaints' extra factor (1e4: none)
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


def _weekly_rates(facts: ReviewFacts, removed: np.ndarray, at_risk: np.ndarray, counted: np.ndarray) -> np.ndarray:
    """Per unit: the rest of its category's staff-removal rate each week (over the ``counted`` units),
    shrunk towards the rest of the category's usual rate."""
    rest_removed = facts.rest_of_category(removed, counted)
    rest_at_risk = facts.rest_of_category(at_risk, counted)
    marketplace = (removed[counted].sum() + 1.0) / (at_risk[counted].sum() + 1.0)
    usual = (rest_removed.sum(axis=1) + 1.0) / (rest_at_risk.sum(axis=1) + 1.0 / marketplace)
    return (rest_removed + PRIOR_REMOVALS) / (rest_at_risk + PRIOR_REMOVALS / usual[:, None])


@dataclass
class _Counts:
    """units x weeks: verified 1-2 star reviews ("complaints") shown and removed by staff; the same for
    each other kind of review (verified 3-5 star; unverified), each judged at its own category rate."""

    neg_at_risk: np.ndarray
    neg_removed: np.ndarray
    other_at_risk: list[np.ndarray]
    other_removed: list[np.ndarray]


@dataclass
class _Model:
    """Per seller: complaints removed by staff and expected from the category; the same for its other
    reviews; the fitted Gamma shape; the p-value (NaN where not tested). Per unit: which units made the
    references, and the weekly category rates they gave (complaints; each other kind)."""

    observed: np.ndarray
    expected: np.ndarray
    other_observed: np.ndarray
    other_expected: np.ndarray
    shape: float
    extra: float
    p_value: np.ndarray
    counted: np.ndarray  # per unit: made the references
    neg_rate: np.ndarray  # units x weeks: the complaints' category rate (``_weekly_rates``)
    other_rates: list[np.ndarray]  # the same for each other kind of review

    @property
    def own_rate(self) -> np.ndarray:
        """The seller's moderation rate (1 = its category's), learnt from its other reviews' removals."""
        return (self.shape + self.other_observed) / (self.shape + self.other_expected)


def _expected(facts: ReviewFacts, at_risk: np.ndarray, rate: np.ndarray) -> np.ndarray:
    return facts.by_seller((at_risk * rate).sum(axis=1, keepdims=True))[:, 0]


def _nb_log_pmf(x, mean_rate_shape, mean_rate_rate, expected):
    """log P(X = x) for X ~ Poisson(expected x rate), rate ~ Gamma(shape, rate)."""
    r, b = mean_rate_shape, mean_rate_rate
    return (special.gammaln(x + r) - special.gammaln(r) - special.gammaln(x + 1)
            + r * np.log(b / (b + expected)) + x * np.log(np.where(expected > 0, expected, 1.0) / (b + expected)))


def fit_shape(observed, expected) -> float:
    """Maximum-likelihood shape of the Gamma law of sellers' rates (mean 1) from counts with the given
    expectations (a negative-binomial fit), within the shared bounds."""
    used = expected > 0
    if used.sum() < 2 or observed[used].sum() == 0:
        return MIN_SHAPE
    x, e = observed[used], expected[used]
    loglik = [float(np.sum(_nb_log_pmf(x, a, a, e))) for a in SHAPE_GRID]
    return float(SHAPE_GRID[int(np.argmax(loglik))])


def complaint_law(shape: float, extra: float, other_observed, other_expected) -> tuple[np.ndarray, np.ndarray]:
    """The Gamma law (shape, rate) of a seller's complaint-removal rate: its moderation rate learnt from
    its other reviews' removals (Gamma(shape + other_observed, shape + other_expected)) times an honest
    extra factor of its complaints (Gamma(extra, extra): some sellers' complaints draw more removals
    than the rest of their reviews), the product matched to a Gamma law by its mean and variance."""
    other_observed = np.asarray(other_observed, dtype=float)
    other_expected = np.asarray(other_expected, dtype=float)
    r = shape + other_observed
    mean = r / (shape + other_expected)
    excess = (1.0 + 1.0 / r) * (1.0 + 1.0 / extra) - 1.0
    law_shape = 1.0 / excess
    return law_shape, law_shape / mean


def fit_extra(observed, expected, shape: float, other_observed, other_expected) -> float:
    """Maximum-likelihood ``extra`` shape of ``complaint_law`` over (honest) sellers."""
    used = expected > 0
    if used.sum() < 2 or observed[used].sum() == 0:
        return EXTRA_GRID[-1]
    x, e, o, oe = observed[used], expected[used], other_observed[used], other_expected[used]
    loglik = [float(np.sum(_nb_log_pmf(x, *complaint_law(shape, b, o, oe), e))) for b in EXTRA_GRID]
    return float(EXTRA_GRID[int(np.argmax(loglik))])


def _bh_discoveries(p: np.ndarray, level: float) -> np.ndarray:
    """Benjamini-Hochberg discoveries among the non-NaN p-values."""
    out = np.zeros(len(p), dtype=bool)
    present = np.flatnonzero(~np.isnan(p))
    if len(present) == 0:
        return out
    out[present] = bh_q_values(p[present], len(present)) <= level
    return out


def _most_extreme(facts: ReviewFacts, p: np.ndarray, observed: np.ndarray, tested: np.ndarray) -> np.ndarray:
    """Per seller: among the sellers each category tests, the ``TRIM_SHARE`` (rounded up) with the
    smallest p-values, of those with any complaint removed by staff."""
    units = np.flatnonzero(tested[facts.unit_seller])
    seller = facts.unit_seller[units]
    frame = pd.DataFrame({"category": facts.unit_category[units], "seller": seller,
                          "p": p[seller], "removed": observed[seller] > 0})
    quota = np.ceil(TRIM_SHARE * frame.groupby("category")["seller"].transform("size").to_numpy())
    rank = frame.groupby("category")["p"].rank(method="first").to_numpy()
    out = np.zeros(len(facts.sellers), dtype=bool)
    out[frame["seller"].to_numpy()[(rank <= quota) & frame["removed"].to_numpy()]] = True
    return out


def _model(facts: ReviewFacts, counts: _Counts, tested: np.ndarray) -> _Model:
    """The seller-level test with references from the bulk: discoveries of one pass are set aside
    from everyone's references (and from the shape fit) in the next, until the set is stable."""
    observed = facts.by_seller(counts.neg_removed.sum(axis=1, keepdims=True))[:, 0]
    other_observed = sum(facts.by_seller(removed.sum(axis=1, keepdims=True))[:, 0]
                         for removed in counts.other_removed)
    set_aside = np.zeros(len(facts.sellers), dtype=bool)
    growing = True
    for n_pass in range(MAX_PASSES):
        counted = ~set_aside[facts.unit_seller]
        neg_rate = _weekly_rates(facts, counts.neg_removed, counts.neg_at_risk, counted)
        other_rates = [_weekly_rates(facts, removed, at_risk, counted)
                       for removed, at_risk in zip(counts.other_removed, counts.other_at_risk)]
        expected = _expected(facts, counts.neg_at_risk, neg_rate)
        other_expected = sum(_expected(facts, at_risk, rate) for at_risk, rate in zip(counts.other_at_risk, other_rates))
        bulk = tested & ~set_aside
        shape = fit_shape(other_observed[bulk], other_expected[bulk])
        extra = fit_extra(observed[bulk], expected[bulk], shape, other_observed[bulk], other_expected[bulk])
        law_shape, law_rate = complaint_law(shape, extra, other_observed[tested], other_expected[tested])
        p = np.full(len(observed), np.nan)
        p[tested] = gamma_poisson_tail(observed[tested], expected[tested], 0.0, law_shape, law_rate)
        if n_pass == 0:
            # The first pass's references include the buyers, so its p-values rank sellers but may
            # find none: it sets aside the most extreme of each category instead (a trimmed start).
            set_aside = _most_extreme(facts, p, observed, tested)
            continue
        found = _bh_discoveries(p, FDR)
        if growing and not (found & ~set_aside).any():
            growing = False  # nothing new beyond those set aside: from now on only the discoveries
        if growing:
            set_aside = set_aside | found
            continue
        if np.array_equal(found, set_aside):
            break
        set_aside = found
    return _Model(observed, expected, other_observed, other_expected, shape, extra, p, counted, neg_rate,
                  other_rates)


def find(ctx: ScoringContext) -> SignalResult:
    facts = review_facts(ctx)
    # Genuine complaints are what a seller pays to hide: verified purchases. Fake 1-star attacks, which
    # staff honestly clean up within days, seldom are; they count with the seller's other reviews.
    complaint = (facts.rating <= 2) & facts.verified
    rest = [(facts.rating >= 3) & facts.verified, ~facts.verified]
    counts = _Counts(_at_risk(facts, complaint), _staff_removed(facts, complaint),
                     [_at_risk(facts, chosen) for chosen in rest], [_staff_removed(facts, chosen) for chosen in rest])
    del complaint, rest
    tested = facts.by_seller(counts.neg_at_risk.sum(axis=1, keepdims=True))[:, 0] > 0
    n_tests = int(tested.sum())
    if n_tests == 0:
        return SignalResult.empty(0, tested_frame([], []))
    model = _model(facts, counts, tested)
    window_p = window_component(facts, counts, model)
    p_value = np.where(tested, simes_pair(model.p_value, window_p), np.nan)
    result_tested = tested_frame(facts.sellers[tested], p_value[tested])

    reportable = tested & (model.observed >= MIN_REMOVALS) & (p_value <= report_limit(n_tests, FDR))
    reported = np.flatnonzero(reportable)
    if len(reported) == 0:
        return SignalResult.empty(n_tests, result_tested)
    best = _densest_windows(facts, counts, model, reported)
    usual_age = _usual_age(facts, model.counted)
    reviews = facts.reviews_of(reported)
    rows = [_evidence(ctx, facts, int(s), reviews[int(s)], best[i], float(p_value[s]), model,
                      usual_age)
            for i, s in enumerate(reported)]
    return SignalResult(pd.DataFrame(rows, columns=list(EVIDENCE_COLUMNS)), n_tests, result_tested)


def simes_pair(p_whole: np.ndarray, p_window: np.ndarray) -> np.ndarray:
    """Simes' combination of the two components, ``min(2 x smaller, larger)``; the one present where
    the other is NaN. Valid where the components are positively dependent, as these are (both grow
    with the same complaints' removals), and never worse than Bonferroni's ``2 x smaller``: neither a
    silent component nor the weaker one decides."""
    pair = np.sort(np.column_stack([p_whole, p_window]), axis=1)  # NaN sorts last
    return np.where(np.isnan(pair[:, 1]), pair[:, 0], np.minimum(np.minimum(2.0 * pair[:, 0], pair[:, 1]), 1.0))


def window_component(facts: ReviewFacts, counts: _Counts, model: _Model) -> np.ndarray:
    """Per seller: the window (2-8 weeks) where its staff removals were most selectively complaints,
    given how many staff removals the window holds, Bonferroni over the seller's distinct windows;
    NaN for a seller none of whose complaints staff removed.

    Within a window the seller's moderation rate cancels: given the window's staff removals of its
    reviews, the number that were complaints is binomial with the complaints' expected share (from
    the category's rates and the reviews on show), the share's odds spread by the complaints' honest
    extra factor (a beta-binomial whose odds are a beta-prime law with the fitted ``extra`` shape, a
    little wider than the Gamma law of the whole-history test). A sweep of every rating is ordinary
    here, a short wipe of complaints alone is not however quiet the rest of the year was. Windows
    holding the same weeks with staff removals are one test, so the Bonferroni factor counts distinct
    windows only (given the weekly totals, which the test conditions on, that family is fixed)."""
    out = np.full(len(facts.sellers), np.nan)
    removed = facts.by_seller(counts.neg_removed)
    which = np.flatnonzero(removed.sum(axis=1) > 0)
    if len(which) == 0:
        return out
    expected = facts.by_seller(counts.neg_at_risk * model.neg_rate)[which]
    other_removed = np.zeros_like(expected)
    other_expected = np.zeros_like(expected)
    for o_removed, o_at_risk, o_rate in zip(counts.other_removed, counts.other_at_risk, model.other_rates):
        other_removed += facts.by_seller(o_removed)[which]
        other_expected += facts.by_seller(o_at_risk * o_rate)[which]
    removed = removed[which]
    w = windows(facts.n_weeks)
    x = window_sums(removed, w)
    total = x + window_sums(other_removed, w)
    e = window_sums(expected, w)
    oe = window_sums(other_expected, w)
    cells = x > 0
    p = np.ones_like(x)
    # The complaints' factor learnt from the seller's staff removals outside the window: of those,
    # x_out were complaints where the mix of reviews on show predicts x_out_expected.
    x_out = removed.sum(axis=1, keepdims=True) - x
    t_out = removed.sum(axis=1, keepdims=True) + other_removed.sum(axis=1, keepdims=True) - total
    e_out = expected.sum(axis=1, keepdims=True) - e
    oe_out = other_expected.sum(axis=1, keepdims=True) - oe
    x_out_expected = t_out * e_out / np.maximum(e_out + oe_out, 1e-12)
    a = model.extra + x_out[cells]
    b = (model.extra + x_out_expected[cells]) * oe[cells] / np.maximum(e[cells], 1e-12) + 1.0
    p[cells] = beta_binomial_sf(x[cells], total[cells], a, b)
    best = p.min(axis=1)
    # The Bonferroni factor counts the windows that could have shown a p-value as small as the best
    # one (Tarone's device for discrete tests), each distinct window once (windows holding the same
    # weeks with staff removals are one test). A window's smallest attainable p-value is that of all
    # its staff removals being complaints, taken at its lowest (no complaints outside the window), so
    # the count depends only on the weekly totals the test conditions on: P(best <= t) <= t x count(t).
    lowest_b = (model.extra + x_out_expected) * oe / np.maximum(e, 1e-12) + 1.0
    with np.errstate(invalid="ignore", over="ignore"):
        attainable = np.exp(special.betaln(total + model.extra, lowest_b) - special.betaln(model.extra, lowest_b))
    active = np.cumsum(np.hstack([np.zeros((len(which), 1)), removed + other_removed > 0]), axis=1)
    first, last = active[:, w.start], active[:, w.end]
    could = (last > first) & (attainable <= best[:, None] * (1 + 1e-9))
    key = np.where(could, first * (facts.n_weeks + 2) + last, -1.0)
    key.sort(axis=1)
    distinct = ((np.diff(key, axis=1) != 0) & (key[:, 1:] >= 0)).sum(axis=1) + (key[:, 0] >= 0)
    out[which] = np.minimum(1.0, best * np.maximum(distinct, 1))
    return out


def _densest_windows(facts: ReviewFacts, counts: _Counts, model: _Model, reported: np.ndarray) -> list:
    """For each reported seller: the window (2-8 weeks) where its complaints' staff removals went
    furthest beyond its own rate (Poisson log-likelihood ratio): where to look, not a test."""
    w = windows(facts.n_weeks)
    rate = model.neg_rate
    wanted = np.zeros(len(facts.sellers), dtype=bool)
    wanted[reported] = True
    units = wanted[facts.unit_seller]
    owner = np.searchsorted(reported, facts.unit_seller[units])
    removed = np.zeros((len(reported), facts.n_weeks))
    expected = np.zeros((len(reported), facts.n_weeks))
    np.add.at(removed, owner, counts.neg_removed[units])
    np.add.at(expected, owner, counts.neg_at_risk[units] * rate[units])
    o = window_sums(removed, w)
    e = window_sums(expected, w) * model.own_rate[reported, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        llr = np.where(o > e, o * np.log(np.where(o > 0, o, 1.0) / np.maximum(e, 1e-12)) - (o - e), 0.0)
    return [(w, int(k)) for k in np.argmax(llr, axis=1)]


def _usual_age(facts: ReviewFacts, counted: np.ndarray) -> pd.Series:
    """Per category: the median minutes from posting to a staff removal of a verified 1-2 star review
    (over the counted units), for the analyst's comparison."""
    removed = (facts.rating <= 2) & facts.verified & (facts.remover == BY_STAFF) & counted[facts.unit]
    removed &= facts.removed_week <= facts.n_weeks
    ages = pd.Series(facts.removed[removed] - facts.created[removed])
    return ages.groupby(facts.unit_category[facts.unit[removed]]).median()


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




def _evidence(ctx, facts: ReviewFacts, s: int, own: np.ndarray, best, p_value: float, model: _Model,
              usual_age: pd.Series) -> dict:
    """The evidence row of seller ``s``; ``own`` = the indices of its reviews in ``facts``."""
    w, k = best
    first_day, last_day = window_dates(facts, w, k)
    removed_day = facts.day(facts.removed[own])
    negative = (facts.rating[own] <= 2) & facts.verified[own]
    by_staff = facts.remover[own] == BY_STAFF
    in_window = negative & (removed_day >= first_day) & (removed_day < last_day)
    batch = own[in_window & by_staff]
    if len(batch) == 0:  # the densest window holds none (cannot happen with removals); use them all
        batch = own[negative & by_staff & (removed_day < facts.n_days)]
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

    observed, expected = float(model.observed[s]), float(model.expected[s])
    other_observed, other_expected = float(model.other_observed[s]), float(model.other_expected[s])
    predicted = expected * float(model.own_rate[s])
    complaints = int(negative.sum())
    removed_positive = int(((facts.rating[own] >= 4) & facts.verified[own] & by_staff
                            & (removed_day >= first_day) & (removed_day < last_day)).sum())
    kept = "none of its 4-5 star ones" if removed_positive == 0 else \
        f"{removed_positive} of its verified 4-5 star ones"
    when = f"on {facts.date(start)}" if start == end else f"between {facts.date(start)} and {facts.date(end)}"
    others_words = f"; customers and filters removed {others} of them in the same weeks" if others else ""
    rating_words = f"; visible rating {before:.2f} -> {after:.2f}" if rating_step else ""
    return {
        "seller_id": facts.sellers[s],
        "signal": NAME,
        "changepoint_date": facts.date(start),
        "before": before,
        "after": after,
        "effect": float(np.log((observed + 0.5) / (predicted + 0.5))),
        "p_value": float(p_value),
        "measure": "visible average rating (stars), before and after the removals",
        "product_id": None,
        "related_seller_id": None,
        "detail": (f"{observed:.0f} of its {complaints} verified 1-2 star reviews removed by staff "
                   f"({100 * observed / max(complaints, 1):.0f}%), where its category's rate predicts "
                   f"{expected:.1f}; and {other_observed:.0f} of all its other reviews, where the category's rate "
                   f"predicts {other_expected:.1f}, so its own moderation explains {predicted:.1f} of the "
                   f"complaints' removals. {len(batch)} of them {when} ({age_words}), {kept} in those weeks"
                   f"{others_words}"
                   f"{rating_words}{rank_words}"),
    }
