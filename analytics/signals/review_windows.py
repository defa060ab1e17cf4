"""What the three review signals share: the reviews as of the run, weekly counts, and one exact test.

* ``review_facts(ctx)``: every review known on the as-of day as compact arrays (one pass over the
  reviews table per scoring run, shared by the signals through the context). A removal after the
  as-of day has not happened yet, so such a review counts as still shown.
* Weeks are counted back from the as-of day (the latest week always ends on it). Windows of 1, 2, 4
  and 8 weeks slide by half their length (the 2-week ones by a week), so a burst of up to a week
  always lies inside one 2-week window, one of up to two weeks inside a 4-week window, and a slow drip
  of up to a month inside an 8-week window.
* ``scan``: a seller's count in each window against what its category predicts for that window,
  with a negative-binomial (Gamma-Poisson) tail. Sellers differ honestly (some attract more removals,
  some more reviewers from rivals), so the count is judged against a seller-level rate drawn from a
  Gamma law whose spread is estimated from all sellers, updated by the seller's own history outside
  the window where the signal asks for it. The best window is Bonferroni-corrected for the number of
  windows the seller could have shown anything in, so each seller is one hypothesis.

The category's rate in a week is estimated without the seller itself (leave one out: in a small
category a seller's own batch would otherwise raise its own baseline) and shrunk towards the
category's usual rate, so a quiet week in a small category never makes a baseline of zero.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse, special, stats

from analytics import queries

NOT_REMOVED = 2**31 - 1
SHOWN, BY_CUSTOMER, BY_AUTOMATED, BY_STAFF = 0, 1, 2, 3
MINUTES_PER_DAY = 1440
WEEK_DAYS = 7
WINDOW_WEEKS = (1, 2, 4, 8)

# The Gamma law of seller-level rates: its shape ``a`` (mean 1, variance 1/a) is estimated from the
# sellers by moments and kept within these bounds: never tighter than a coefficient of variation of
# 10 % between honest sellers, never looser than about 140 %.
MIN_SHAPE = 0.5
MAX_SHAPE = 100.0


@dataclass
class NewReviewers:
    """One row per (reviewer, unit) pair: the reviewer's first review of that seller in that category."""

    unit: np.ndarray
    minute: np.ndarray
    rating: np.ndarray
    verified: np.ndarray
    first_review: np.ndarray  # it was the reviewer's first review in the data
    single_seller: np.ndarray  # the reviewer has 2+ reviews and all of them on this seller
    rival_first: np.ndarray  # the reviewer's first review in the category was of another seller, earlier


@dataclass
class ReviewFacts:
    as_of: dt.date
    first_day: dt.date
    n_days: int  # days from first_day to as_of, both included
    sellers: np.ndarray  # seller_id by seller index
    categories: np.ndarray  # category by category index
    unit_seller: np.ndarray  # seller index of each unit
    unit_category: np.ndarray  # category index of each unit
    # one entry per review, ordered by reviewer, unit, time
    reviewer_key: np.ndarray
    unit: np.ndarray
    created: np.ndarray  # minutes since first_day
    removed: np.ndarray  # minutes since first_day; NOT_REMOVED while shown on the as-of day
    remover: np.ndarray
    rating: np.ndarray
    verified: np.ndarray

    @property
    def n_weeks(self) -> int:
        return (self.n_days - 1) // WEEK_DAYS + 1

    @property
    def n_units(self) -> int:
        return len(self.unit_seller)

    def day(self, minutes: np.ndarray) -> np.ndarray:
        return np.floor_divide(minutes, MINUTES_PER_DAY)

    def week_column(self, minutes: np.ndarray) -> np.ndarray:
        """0 = before the first day, 1..n_weeks = the weeks (oldest first), n_weeks + 1 = after as_of."""
        day = self.day(np.asarray(minutes, dtype=np.int64))
        inside = (day >= 0) & (day < self.n_days)
        column = self.n_weeks - (self.n_days - 1 - np.clip(day, 0, self.n_days - 1)) // WEEK_DAYS
        return np.where(inside, column, np.where(day < 0, 0, self.n_weeks + 1))

    def week_days(self, column: int) -> tuple[int, int]:
        """First day and one past the last day (indices from first_day) of week column ``column``."""
        end = self.n_days - WEEK_DAYS * (self.n_weeks - column)
        return max(end - WEEK_DAYS, 0), end

    def date(self, day: int) -> dt.date:
        return self.first_day + dt.timedelta(days=int(day))

    def unit_week_counts(self, units: np.ndarray, columns: np.ndarray) -> np.ndarray:
        """units x (n_weeks + 2) counts of events at (unit, week column)."""
        width = self.n_weeks + 2
        flat = np.bincount(units.astype(np.int64) * width + columns, minlength=self.n_units * width)
        return flat.reshape(self.n_units, width).astype(np.float64)

    @functools.cached_property
    def _seller_indicator(self) -> sparse.csr_matrix:
        n = self.n_units
        return sparse.csr_matrix((np.ones(n), (self.unit_seller, np.arange(n))), shape=(len(self.sellers), n))

    @functools.cached_property
    def _category_indicator(self) -> sparse.csr_matrix:
        n = self.n_units
        return sparse.csr_matrix((np.ones(n), (self.unit_category, np.arange(n))),
                                 shape=(len(self.categories), n))

    def by_seller(self, unit_matrix: np.ndarray) -> np.ndarray:
        return np.asarray(self._seller_indicator @ unit_matrix)

    def by_category(self, unit_matrix: np.ndarray) -> np.ndarray:
        return np.asarray(self._category_indicator @ unit_matrix)

    def rest_of_category(self, unit_matrix: np.ndarray) -> np.ndarray:
        """For each unit, the sum over the other units of its category (leave one out)."""
        return self.by_category(unit_matrix)[self.unit_category] - unit_matrix

    def reviews_of(self, seller_indices) -> dict[int, np.ndarray]:
        """For a few sellers, the indices of their reviews (in time order)."""
        return self.rows_of(seller_indices, self.unit, self.created)

    def rows_of(self, seller_indices, units: np.ndarray, minutes: np.ndarray) -> dict[int, np.ndarray]:
        """For a few sellers, the indices of the rows (given by unit and time) that are theirs, in time order."""
        wanted = np.zeros(len(self.sellers), dtype=bool)
        wanted[np.asarray(seller_indices, dtype=np.int64)] = True
        seller_of_row = self.unit_seller[units]
        rows = np.flatnonzero(wanted[seller_of_row])
        rows = rows[np.lexsort((minutes[rows], seller_of_row[rows]))]
        owners = seller_of_row[rows]
        bounds = np.searchsorted(owners, np.asarray(seller_indices), side="left"), \
            np.searchsorted(owners, np.asarray(seller_indices), side="right")
        return {int(s): rows[a:b] for s, a, b in zip(seller_indices, *bounds)}

    @functools.cached_property
    def new_reviewers(self) -> NewReviewers:
        return _new_reviewers(self)


def _run_changes(*keys: np.ndarray) -> np.ndarray:
    """True where any of the (sorted) keys changes, and at 0."""
    n = len(keys[0])
    change = np.zeros(n, dtype=bool)
    if n:
        change[0] = True
        for key in keys:
            change[1:] |= key[1:] != key[:-1]
    return change


def _run_starts(*keys: np.ndarray) -> np.ndarray:
    return np.flatnonzero(_run_changes(*keys))


def _new_reviewers(facts: ReviewFacts) -> NewReviewers:
    """Reviewer features from one ordered pass (reviews sorted by reviewer, unit, time).

    Units are numbered category by category, so a reviewer's units of one category are adjacent and
    "the first review in the category" is the earliest first review among those units.
    """
    key, unit, minute = facts.reviewer_key, facts.unit, facts.created
    if len(key) == 0:
        empty = np.array([], dtype=np.int64)
        return NewReviewers(empty, empty, empty, empty.astype(bool), empty.astype(bool), empty.astype(bool),
                            empty.astype(bool))
    reviewer_change = _run_changes(key)
    reviewer_starts = np.flatnonzero(reviewer_change)
    pair_starts = _run_starts(key, unit)
    reviewer_of_review = np.cumsum(reviewer_change) - 1
    pair_reviewer = reviewer_of_review[pair_starts]
    pair_unit = unit[pair_starts]
    pair_minute = minute[pair_starts]  # the earliest review of the pair: rows are in time order

    reviews_per_reviewer = np.diff(np.append(reviewer_starts, len(key)))
    pairs_per_reviewer = np.bincount(pair_reviewer, minlength=len(reviewer_starts))
    first_of_reviewer = np.minimum.reduceat(pair_minute, _run_starts(pair_reviewer))
    first_review = pair_minute == first_of_reviewer[pair_reviewer]
    single_seller = (reviews_per_reviewer[pair_reviewer] >= 2) & (pairs_per_reviewer[pair_reviewer] == 1)

    pair_category = facts.unit_category[pair_unit]
    category_change = _run_changes(pair_reviewer, pair_category)
    run_of_pair = np.cumsum(category_change) - 1
    first_in_category = np.minimum.reduceat(pair_minute, np.flatnonzero(category_change))[run_of_pair]
    rival_first = first_in_category < pair_minute

    return NewReviewers(pair_unit, pair_minute, facts.rating[pair_starts], facts.verified[pair_starts],
                        first_review, single_seller, rival_first)


def load_review_facts(con, as_of: dt.date, first_day: dt.date) -> ReviewFacts:
    units = con.execute(queries.load("review_units"), {"as_of": as_of}).df()
    rows = con.execute(queries.load("review_facts"), {"as_of": as_of, "first_day": first_day}).fetchnumpy()
    sellers, unit_seller = np.unique(units["seller_id"].to_numpy(dtype=object), return_inverse=True)
    categories, unit_category = np.unique(units["category"].to_numpy(dtype=object), return_inverse=True)

    def column(name, dtype):
        values = rows[name]
        if np.ma.isMaskedArray(values):
            values = values.filled(0)
        return np.asarray(values, dtype=dtype)

    return ReviewFacts(
        as_of=as_of, first_day=first_day, n_days=(as_of - first_day).days + 1,
        sellers=sellers, categories=categories,
        unit_seller=unit_seller.astype(np.int64), unit_category=unit_category.astype(np.int64),
        reviewer_key=column("reviewer_key", np.uint64), unit=column("unit_idx", np.int64),
        created=column("created_minute", np.int64), removed=column("removed_minute", np.int64),
        remover=column("remover", np.int8), rating=column("rating", np.int8),
        verified=column("verified", bool),
    )


def review_facts(ctx) -> ReviewFacts:
    """The run's review facts, loaded once and shared by the review signals."""
    cached = ctx.__dict__.get("_review_facts")
    if cached is None:
        with ctx.timed("review facts"):
            cached = load_review_facts(ctx.con, ctx.as_of, ctx.first_day)
        ctx.__dict__["_review_facts"] = cached
    return cached


# --- windows ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Windows:
    start: np.ndarray  # first week (0-based over the weeks, oldest first)
    end: np.ndarray  # one past the last week

    @property
    def weeks(self) -> np.ndarray:
        return self.end - self.start

    def __len__(self) -> int:
        return len(self.start)


def windows(n_weeks: int) -> Windows:
    """Windows of WINDOW_WEEKS weeks, sliding by half their length (at least a week) back from the
    latest week."""
    pairs = set()
    for length in WINDOW_WEEKS:
        length = min(length, n_weeks)
        step = max(1, length // 2)
        for end in range(n_weeks, length - 1, -step):
            pairs.add((end - length, end))
    start, end = zip(*sorted(pairs)) if pairs else ((), ())
    return Windows(np.array(start, dtype=np.int64), np.array(end, dtype=np.int64))


def window_sums(weekly: np.ndarray, w: Windows) -> np.ndarray:
    """rows x windows sums of a rows x weeks matrix."""
    cumulative = np.concatenate([np.zeros((weekly.shape[0], 1)), np.cumsum(weekly, axis=1)], axis=1)
    return cumulative[:, w.end] - cumulative[:, w.start]


# --- the exact test --------------------------------------------------------------------------------

def rate_shape(observed: np.ndarray, expected: np.ndarray, trials: np.ndarray | None = None) -> float:
    """Method-of-moments shape ``a`` of the Gamma law of seller rates: Var(O) = V + E^2 / a, where V is
    the variance with no difference between sellers (Poisson: E; out of ``trials``: E (1 - E / trials))."""
    used = expected > 0
    if used.sum() < 2:
        return MIN_SHAPE
    o, e = observed[used], expected[used]
    chance = e if trials is None else e * (1 - e / np.maximum(trials[used], e))
    inverse = float(np.sum((o - e) ** 2 - chance) / np.sum(e**2))
    return float(1.0 / np.clip(inverse, 1.0 / MAX_SHAPE, 1.0 / MIN_SHAPE))


def gamma_poisson_tail(observed, expected, shape: float, history_observed=0.0, history_expected=0.0):
    """P(X >= observed) for X ~ Poisson(expected x rho), rho ~ Gamma(shape + history_observed,
    rate shape + history_expected): the seller's rate learnt from the category's spread and from its
    own history. A negative-binomial tail."""
    observed = np.asarray(observed, dtype=float)
    r = shape + np.asarray(history_observed, dtype=float)
    b = shape + np.asarray(history_expected, dtype=float)
    prob = b / (b + np.asarray(expected, dtype=float))
    return np.where(observed > 0, stats.nbinom.sf(observed - 1, r, prob), 1.0)


def beta_binomial_sf(x, n, a, b, *, max_terms: int = 5000) -> np.ndarray:
    """P(X >= x) for X ~ BetaBinomial(n, a, b), by summing the probabilities from x upwards (each from
    the last by their ratio) until they no longer count; vectorised, and much faster than scipy's
    generic ``betabinom.sf`` for the upper tails this module needs."""
    x, n = np.asarray(x, dtype=float), np.asarray(n, dtype=float)
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    x, n, a, b = (np.atleast_1d(v) for v in np.broadcast_arrays(x, n, a, b))
    out = np.where(x <= 0, 1.0, 0.0)
    todo = np.flatnonzero((x > 0) & (x <= n))
    if len(todo) == 0:
        return out
    k, nn, aa, bb = x[todo], n[todo], a[todo], b[todo]
    log_first = (special.gammaln(nn + 1) - special.gammaln(k + 1) - special.gammaln(nn - k + 1)
                 + special.betaln(k + aa, nn - k + bb) - special.betaln(aa, bb))
    term = np.ones(len(todo))
    total = np.ones(len(todo))
    active = k < nn
    for _ in range(max_terms):
        idx = np.flatnonzero(active)
        if len(idx) == 0:
            break
        kk = k[idx]
        term[idx] *= (nn[idx] - kk) / (kk + 1) * (kk + aa[idx]) / (nn[idx] - kk - 1 + bb[idx])
        total[idx] += term[idx]
        k[idx] = kk + 1
        active[idx] = (k[idx] < nn[idx]) & (term[idx] > 1e-17 * total[idx])
    out[todo] = np.minimum(1.0, np.exp(log_first) * total)
    return out


@dataclass
class BetaBinomialLaw:
    """The count of a kind among ``trials``: Binomial(trials, share), share = rho x expected / trials,
    rho learnt as in ``gamma_poisson_tail``. The share's law is taken to be the Beta law with the same
    mean and variance (a beta-binomial): unlike a Poisson count, the count cannot exceed the trials,
    which matters when the usual share is large."""

    trials: np.ndarray
    mean: np.ndarray  # of the share
    concentration: np.ndarray

    @classmethod
    def learnt(cls, trials, expected, shape: float, history_observed=0.0, history_expected=0.0):
        trials = np.asarray(trials, dtype=float)
        usual = np.asarray(expected, dtype=float) / np.maximum(trials, 1e-12)
        r = shape + np.asarray(history_observed, dtype=float)
        b = shape + np.asarray(history_expected, dtype=float)
        mean = np.clip(usual * r / b, 1e-12, 1 - 1e-9)
        variance = usual**2 * r / b**2
        concentration = np.clip(mean * (1 - mean) / np.maximum(variance, 1e-300) - 1, 1e-3, 1e12)
        return cls(trials, mean, concentration)

    def normal_tail(self, observed) -> np.ndarray:
        """A quick normal approximation of the upper tail (a screen: for the right-skewed counts here
        it is smaller than the exact tail)."""
        n, m, c = self.trials, self.mean, self.concentration
        sd = np.sqrt(n * m * (1 - m) * (c + n) / (c + 1))
        return stats.norm.sf((np.asarray(observed, dtype=float) - 0.5 - n * m) / np.maximum(sd, 1e-12))

    def tail(self, observed) -> np.ndarray:
        return beta_binomial_sf(observed, self.trials, self.concentration * self.mean,
                                self.concentration * (1 - self.mean))


@dataclass
class Scan:
    """Per seller: the Bonferroni-corrected p-value of its best window and which window that is."""

    p_value: np.ndarray
    window: np.ndarray  # -1 where no window was judged
    windows_judged: np.ndarray
    window_p: np.ndarray  # sellers x windows, before the correction


def best_windows(window_p: np.ndarray, judged: np.ndarray) -> Scan:
    window_p = np.where(judged, window_p, 1.0)
    m = judged.sum(axis=1)
    best = np.argmin(window_p, axis=1) if window_p.shape[1] else np.zeros(len(window_p), dtype=np.int64)
    lowest = window_p[np.arange(len(window_p)), best] if window_p.shape[1] else np.ones(len(window_p))
    p = np.minimum(1.0, lowest * np.maximum(m, 1))
    return Scan(np.where(m > 0, p, 1.0), np.where(m > 0, best, -1), m, window_p)


def sparse_tail(observed: np.ndarray, tail) -> np.ndarray:
    """Evaluate ``tail(indices)`` only where something was observed (elsewhere p = 1)."""
    out = np.ones(observed.shape)
    where = np.nonzero(observed > 0)
    if len(where[0]):
        out[where] = tail(where)
    return out


def shrunk_share(events: np.ndarray, trials: np.ndarray, prior: np.ndarray | float, weight: float) -> np.ndarray:
    """(events + weight x prior) / (trials + weight): a share that a small count cannot make extreme."""
    return (events + weight * np.asarray(prior)) / (trials + weight)


REPORT_P = 0.05  # nothing above this can survive the false-discovery step
SCREEN_SLACK = 20.0  # how far above REPORT_P a window's quick approximation may be and still get the exact test
PRIOR_REVIEWERS = 50.0  # a week's category share is shrunk towards its usual share by this many reviewers


@dataclass
class ShareScan:
    """Per seller and window: new reviewers, how many were of the kind tested, how many its category
    predicts; and the scan over windows."""

    windows: Windows
    weekly_reviewers: np.ndarray  # sellers x weeks
    weekly_chosen: np.ndarray
    reviewers: np.ndarray  # sellers x windows
    chosen: np.ndarray
    expected: np.ndarray
    total_reviewers: np.ndarray  # per seller, over all weeks
    total_chosen: np.ndarray
    total_expected: np.ndarray
    scan: Scan


def share_scan(facts: ReviewFacts, chosen: np.ndarray) -> ShareScan:
    """Scan each seller's new reviewers for a window where more were of the ``chosen`` kind (a boolean
    per new reviewer) than its category that week and its own history predict.

    The count is judged conditional on how many new reviewers came: a viral week brings many, of the
    usual kinds. The category's share that week is what honest left-censoring needs (early in the data
    nobody has a history yet, so every history-based share rises with time for everyone).
    """
    nr = facts.new_reviewers
    column = facts.week_column(nr.minute)
    inside = (column >= 1) & (column <= facts.n_weeks)
    reviewers = facts.unit_week_counts(nr.unit[inside], column[inside])[:, 1:-1]
    picked = inside & chosen
    chosen_weekly = facts.unit_week_counts(nr.unit[picked], column[picked])[:, 1:-1]

    rest_reviewers = facts.rest_of_category(reviewers)
    rest_chosen = facts.rest_of_category(chosen_weekly)
    marketplace = (chosen_weekly.sum() + 1.0) / (reviewers.sum() + 2.0)
    usual = shrunk_share(rest_chosen.sum(axis=1), rest_reviewers.sum(axis=1), marketplace, PRIOR_REVIEWERS)
    weekly_share = shrunk_share(rest_chosen, rest_reviewers, usual[:, None], PRIOR_REVIEWERS)
    expected_weekly = facts.by_seller(reviewers * weekly_share)
    chosen_by_seller = facts.by_seller(chosen_weekly)
    reviewers_by_seller = facts.by_seller(reviewers)

    w = windows(facts.n_weeks)
    n = window_sums(reviewers_by_seller, w)
    x = window_sums(chosen_by_seller, w)
    e = window_sums(expected_weekly, w)
    total_x, total_e = chosen_by_seller.sum(axis=1), expected_weekly.sum(axis=1)
    shape = rate_shape(total_x, total_e, reviewers_by_seller.sum(axis=1))
    history_x, history_e = total_x[:, None] - x, total_e[:, None] - e

    judged = n > 0
    m = np.maximum(judged.sum(axis=1, keepdims=True), 1)

    def tail(where):
        law = BetaBinomialLaw.learnt(n[where], e[where], shape, history_x[where], history_e[where])
        p = np.ones(len(where[0]))
        # The exact tail only where a quick look says the window could pass; others cannot be reported.
        close = law.normal_tail(x[where]) * m[where[0], 0] <= SCREEN_SLACK * REPORT_P
        if close.any():
            exact = BetaBinomialLaw(law.trials[close], law.mean[close], law.concentration[close])
            p[close] = exact.tail(x[where][close])
        return p

    scan = best_windows(sparse_tail(x, tail), judged)
    return ShareScan(w, reviewers_by_seller, chosen_by_seller, n, x, e, reviewers_by_seller.sum(axis=1),
                     total_x, total_e, scan)


def window_dates(facts: ReviewFacts, w: Windows, k: int) -> tuple[int, int]:
    """First day and one past the last day of window ``k``."""
    first, _ = facts.week_days(int(w.start[k]) + 1)
    _, last = facts.week_days(int(w.end[k]))
    return first, last


def day_counts(days: np.ndarray, n_days: int) -> np.ndarray:
    inside = (days >= 0) & (days < n_days)
    return np.bincount(days[inside], minlength=n_days).astype(float)
