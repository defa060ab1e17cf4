"""What the three review signals share: the reviews as of the run, weekly counts, and one exact test.

* ``review_facts(ctx)``: every review known on the as-of day as compact arrays (one pass over the
  reviews table per scoring run, shared by the signals through the context), and each reviewer's first
  review of each seller with what is known about the reviewer. A removal after the as-of day has not
  happened yet, so such a review counts as still shown.
* Weeks are counted back from the as-of day (the latest week always ends on it). Windows of 2, 4 and
  8 weeks slide by half their length (the 2-week ones by a week), so a burst of up to a week always
  lies inside one 2-week window, one of up to two weeks inside a 4-week window, and a slow drip of up
  to a month inside an 8-week window.
* ``scan``: each seller's best window, Bonferroni-corrected for the windows it could have shown
  anything in, so each seller is one hypothesis. Counts are judged against what the category predicts
  for that window with a Gamma mixture: sellers differ honestly (some attract more removals, some
  more reviewers from rivals), so a seller's rate is drawn from a Gamma law whose spread is estimated
  from all sellers, updated by the seller's own history outside the window where the signal asks for
  it (a negative-binomial tail for rare events, a beta-binomial one for shares).

The category's rate in a week is estimated without the seller itself (leave one out: in a small
category a seller's own batch would otherwise raise its own baseline) and shrunk towards the
category's usual rate, so a quiet week in a small category never makes a baseline of zero.

Sizes: everything per review is a few bytes (about 20 bytes a review in all); matrices are units or
sellers x weeks; windows are scanned a block of sellers at a time.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse, special, stats

from analytics import queries

NOT_REMOVED = 2**31 - 1
SHOWN, BY_CUSTOMER, BY_AUTOMATED, BY_STAFF = 0, 1, 2, 3
MINUTES_PER_DAY = 1440
WEEK_DAYS = 7
WINDOW_WEEKS = (2, 4, 8)
SELLERS_PER_BLOCK = 20_000  # windows are scanned this many sellers at a time (bounded memory)

REPORT_P = 0.05  # nothing above this can survive the false-discovery step
SCREEN_SLACK = 20.0  # how far above REPORT_P a window's quick approximation may be and still get the exact test
PRIOR_REVIEWERS = 50.0  # a week's category share is shrunk towards its usual share by this many reviewers
BURST_P = 0.05  # a window's count of new reviewers is a burst (and its make-up is tested) under this
# Fewer marked reviewers than this in a window is never evidence, whatever the rates say: a family or a
# club reviewing together breaks the independence the tails assume, and small sellers live there.
MIN_MARKED = 5

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
    week: np.ndarray  # week column (see ReviewFacts.week_column)
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
    # one entry per review
    unit: np.ndarray
    created: np.ndarray  # minutes since first_day
    removed: np.ndarray  # minutes since first_day; NOT_REMOVED while shown on the as-of day
    remover: np.ndarray
    rating: np.ndarray
    verified: np.ndarray
    created_week: np.ndarray = field(init=False)
    removed_week: np.ndarray = field(init=False)
    new_reviewers: NewReviewers | None = None
    _shared: dict = field(default_factory=dict, init=False, repr=False)

    def shared(self, key: str, compute: Callable[[], object]):
        """What several signals derive alike from these facts, computed once."""
        if key not in self._shared:
            self._shared[key] = compute()
        return self._shared[key]

    def __post_init__(self):
        self.created_week = self.week_column(self.created)
        self.removed_week = self.week_column(self.removed)

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
        day = self.day(np.asarray(minutes, dtype=np.int32))
        weeks_back = np.floor_divide(self.n_days - 1 - day, WEEK_DAYS)  # 0 = the latest week
        column = self.n_weeks - np.clip(weeks_back, -1, self.n_weeks - 1)
        return np.where(day < 0, 0, column).astype(np.int16)

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

    def rest_of_category(self, unit_matrix: np.ndarray, counted: np.ndarray | None = None) -> np.ndarray:
        """For each unit, the sum over the other units of its category (leave one out); with
        ``counted`` (a boolean per unit), over the other counted units only."""
        if counted is not None:
            unit_matrix = unit_matrix * counted.reshape(-1, *([1] * (unit_matrix.ndim - 1)))
        return self.by_category(unit_matrix)[self.unit_category] - unit_matrix

    def reviews_of(self, seller_indices) -> dict[int, np.ndarray]:
        """For a few sellers, the indices of their reviews (in time order)."""
        return self.rows_of(seller_indices, self.unit, self.created)

    def rows_of(self, seller_indices, units: np.ndarray, minutes: np.ndarray) -> dict[int, np.ndarray]:
        """For a few sellers, the indices of the rows (given by unit and time) that are theirs, in time order."""
        seller_indices = np.asarray(seller_indices, dtype=np.int64)
        wanted = np.zeros(len(self.sellers), dtype=bool)
        wanted[seller_indices] = True
        rows = np.flatnonzero(wanted[self.unit_seller][units])
        owners = self.unit_seller[units[rows]]
        order = np.lexsort((minutes[rows], owners))
        rows, owners = rows[order], owners[order]
        lo = np.searchsorted(owners, seller_indices, side="left")
        hi = np.searchsorted(owners, seller_indices, side="right")
        return {int(s): rows[a:b] for s, a, b in zip(seller_indices, lo, hi)}


def _run_changes(*keys: np.ndarray) -> np.ndarray:
    """True where any of the (sorted) keys changes, and at 0."""
    n = len(keys[0])
    change = np.zeros(n, dtype=bool)
    if n:
        change[0] = True
        for key in keys:
            change[1:] |= key[1:] != key[:-1]
    return change


def _new_reviewers(facts: ReviewFacts, reviewer_key: np.ndarray) -> NewReviewers:
    """Reviewer features from one ordered pass (reviews sorted by reviewer, unit, time).

    Units are numbered category by category, so a reviewer's units of one category are adjacent and
    "the first review in the category" is the earliest first review among those units.
    """
    unit, minute = facts.unit, facts.created
    if len(unit) == 0:
        nothing = np.zeros(0, dtype=bool)
        return NewReviewers(unit, minute, facts.created_week, facts.rating, nothing, nothing, nothing, nothing)
    reviewer_change = _run_changes(reviewer_key)
    pair_change = reviewer_change.copy()
    pair_change[1:] |= unit[1:] != unit[:-1]
    pair_starts = np.flatnonzero(pair_change)
    reviewer_starts = np.flatnonzero(reviewer_change)
    reviews_per_reviewer = np.diff(np.append(reviewer_starts, len(unit))).astype(np.int32)
    # per pair: its reviewer (0-based, in order), unit and first time (rows are in time order)
    pair_reviewer = (np.cumsum(reviewer_change, dtype=np.int32) - 1)[pair_starts]
    del reviewer_change, pair_change
    pair_unit = unit[pair_starts]
    pair_minute = minute[pair_starts]

    reviewer_first_pair = np.flatnonzero(_run_changes(pair_reviewer))
    first_of_reviewer = np.minimum.reduceat(pair_minute, reviewer_first_pair)
    pairs_per_reviewer = np.diff(np.append(reviewer_first_pair, len(pair_unit)))
    first_review = pair_minute == first_of_reviewer[pair_reviewer]
    single_seller = (reviews_per_reviewer[pair_reviewer] >= 2) & (pairs_per_reviewer[pair_reviewer] == 1)
    del first_of_reviewer, pairs_per_reviewer, reviews_per_reviewer

    category_change = _run_changes(pair_reviewer, facts.unit_category[pair_unit])
    run_of_pair = np.cumsum(category_change, dtype=np.int32) - 1
    first_in_category = np.minimum.reduceat(pair_minute, np.flatnonzero(category_change))
    rival_first = first_in_category[run_of_pair] < pair_minute

    return NewReviewers(pair_unit, pair_minute, facts.created_week[pair_starts], facts.rating[pair_starts],
                        facts.verified[pair_starts], first_review, single_seller, rival_first)


def _fetch_columns(con, sql: str, params: dict) -> dict[str, np.ndarray]:
    """A query's columns as numpy arrays, streamed in batches (a materialised result would be a
    second full copy of tens of millions of rows)."""
    parts: dict[str, list] = {}
    for batch in con.sql(sql, params=params).to_arrow_reader(1_000_000):
        for name, values in zip(batch.schema.names, batch.columns):
            parts.setdefault(name, []).append(values.to_numpy(zero_copy_only=False))
    return {name: np.concatenate(parts.pop(name)) for name in list(parts)}


def load_review_facts(con, as_of: dt.date, first_day: dt.date) -> ReviewFacts:
    units = con.execute(queries.load("review_units"), {"as_of": as_of}).df()
    rows = _fetch_columns(con, queries.load("review_facts"), {"as_of": as_of, "first_day": first_day})
    sellers, unit_seller = np.unique(units["seller_id"].to_numpy(dtype=object), return_inverse=True)
    categories, unit_category = np.unique(units["category"].to_numpy(dtype=object), return_inverse=True)

    def column(name, dtype):
        values = rows.pop(name, None)
        return np.zeros(0, dtype=dtype) if values is None else np.asarray(values, dtype=dtype)

    reviewer_key = column("reviewer_key", np.uint64)
    facts = ReviewFacts(
        as_of=as_of, first_day=first_day, n_days=(as_of - first_day).days + 1,
        sellers=sellers, categories=categories,
        unit_seller=unit_seller.astype(np.int32), unit_category=unit_category.astype(np.int32),
        unit=column("unit_idx", np.int32), created=column("created_minute", np.int32),
        removed=column("removed_minute", np.int32), remover=column("remover", np.int8),
        rating=column("rating", np.int8), verified=column("verified", bool),
    )
    facts.new_reviewers = _new_reviewers(facts, reviewer_key)
    return facts


def review_facts(ctx) -> ReviewFacts:
    """The run's review facts, loaded once and shared by the review signals."""
    return ctx.shared("review facts", lambda: load_review_facts(ctx.con, ctx.as_of, ctx.first_day))


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
    cumulative = np.zeros((weekly.shape[0], weekly.shape[1] + 1))
    np.cumsum(weekly, axis=1, out=cumulative[:, 1:])
    return np.take(cumulative, w.end, axis=1) - np.take(cumulative, w.start, axis=1)


def window_dates(facts: ReviewFacts, w: Windows, k: int) -> tuple[int, int]:
    """First day and one past the last day of window ``k``."""
    first, _ = facts.week_days(int(w.start[k]) + 1)
    _, last = facts.week_days(int(w.end[k]))
    return first, last


@dataclass
class Scan:
    """Per seller: the Bonferroni-corrected p-value of its best window, which window that is, and the
    windowed quantities at that window."""

    windows: Windows
    p_value: np.ndarray
    window: np.ndarray  # -1 where no window was judged
    windows_judged: np.ndarray
    at_best: dict[str, np.ndarray]


def scan(w: Windows, weekly: dict[str, np.ndarray],
         judged_in: Callable[[dict[str, np.ndarray], slice], np.ndarray],
         window_p: Callable[[dict[str, np.ndarray], slice, np.ndarray], np.ndarray]) -> Scan:
    """Scan sellers x weeks matrices (``weekly``, one per quantity) over the windows, a block of
    sellers at a time. ``judged_in(sums, rows)`` says in which windows each seller of the block is
    judged, and ``window_p(sums, rows, m)`` returns the block's sellers x windows p-values from the
    windowed sums (``m`` = windows judged per seller). The Bonferroni correction counts the windows
    judged, which is valid when what decides them is independent of the test within a window."""
    n = len(next(iter(weekly.values())))
    p_value, best_window = np.ones(n), np.full(n, -1, dtype=np.int64)
    judged_count = np.zeros(n, dtype=np.int64)
    at_best = {name: np.zeros(n) for name in weekly}
    for lo in range(0, n, SELLERS_PER_BLOCK):
        rows = slice(lo, min(n, lo + SELLERS_PER_BLOCK))
        sums = {name: window_sums(matrix[rows], w) for name, matrix in weekly.items()}
        judged = judged_in(sums, rows)
        m = judged.sum(axis=1)
        p = np.where(judged, window_p(sums, rows, m), 1.0) if len(w) else np.ones(judged.shape)
        best = np.argmin(p, axis=1) if len(w) else np.zeros(p.shape[0], dtype=np.int64)
        block = np.arange(p.shape[0])
        p_value[rows] = np.where(m > 0, np.minimum(1.0, p[block, best] * np.maximum(m, 1)), 1.0)
        best_window[rows] = np.where(m > 0, best, -1)
        judged_count[rows] = m
        for name, sums_of in sums.items():
            at_best[name][rows] = sums_of[block, best] if len(w) else 0.0
    return Scan(w, p_value, best_window, judged_count, at_best)


def where_observed(observed: np.ndarray, tail: Callable[[tuple], np.ndarray]) -> np.ndarray:
    """Evaluate ``tail(indices)`` only where something was observed (elsewhere p = 1)."""
    out = np.ones(observed.shape)
    where = np.nonzero(observed > 0)
    if len(where[0]):
        out[where] = tail(where)
    return out


# --- the tails -------------------------------------------------------------------------------------

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
    x, n, a, b = (np.atleast_1d(np.asarray(v, dtype=float)) for v in (x, n, a, b))
    x, n, a, b = np.broadcast_arrays(x, n, a, b)
    out = np.where(x <= 0, 1.0, 0.0)
    todo = np.flatnonzero((x > 0) & (x <= n))
    if len(todo) == 0:
        return out
    k, nn, aa, bb = x[todo].copy(), n[todo], a[todo], b[todo]
    log_first = (special.gammaln(nn + 1) - special.gammaln(k + 1) - special.gammaln(nn - k + 1)
                 + special.betaln(k + aa, nn - k + bb) - special.betaln(aa, bb))
    term = np.ones(len(todo))
    total = np.ones(len(todo))
    active = np.flatnonzero(k < nn)
    for _ in range(max_terms):
        if len(active) == 0:
            break
        kk, n_a = k[active], nn[active]
        term[active] *= (n_a - kk) / (kk + 1) * (kk + aa[active]) / (n_a - kk - 1 + bb[active])
        total[active] += term[active]
        k[active] = kk + 1
        active = active[(k[active] < nn[active]) & (term[active] > 1e-17 * total[active])]
    out[todo] = np.minimum(1.0, np.exp(log_first) * total)
    return out


def fisher_noncentral_sf(x, total, group, drawn, odds, *, max_cells: int = 2_000_000) -> np.ndarray:
    """P(X > x) for Fisher's noncentral hypergeometric law (scipy's ``nchypergeom_fisher(total,
    group, drawn, odds)``): the count of the ``group`` among ``drawn`` of ``total`` objects, each of the
    group ``odds`` times as likely to be drawn. Summed over the whole support (at most ``group + 1``
    points: a seller's removals in a window), in log space, vectorised: exact to rounding even deep in
    the tail, where scipy's per-element routine is both much slower and only accurate to about 1e-11."""
    x, total, group, drawn, odds = (np.atleast_1d(np.asarray(v, dtype=float))
                                    for v in np.broadcast_arrays(x, total, group, drawn, odds))
    out = np.ones(len(x))
    lo = np.maximum(0.0, drawn - (total - group))
    hi = np.minimum(group, drawn)
    # Odds of 0: the group is never drawn beyond what it must be (all the mass at lo).
    never = odds <= 0
    out[never] = (lo[never] > x[never]).astype(float)
    widths = (hi - lo).astype(np.int64) + 1
    summed = np.flatnonzero(~never)
    order = summed[np.argsort(widths[summed], kind="stable")]  # rows of similar support width share a block
    start = 0
    while start < len(order):
        # sorted by width, so a block's widest row is its last: grow the block while it fits
        stop = start + 1
        while stop < len(order) and (stop - start + 1) * widths[order[stop]] <= max_cells:
            stop += 1
        rows = order[start:stop]
        width = int(widths[rows[-1]])
        k = lo[rows, None] + np.arange(width)[None, :]
        inside = k <= hi[rows, None]
        k = np.where(inside, k, lo[rows, None])
        t, g, d = total[rows, None], group[rows, None], drawn[rows, None]
        log_weight = (special.gammaln(g + 1) - special.gammaln(k + 1) - special.gammaln(g - k + 1)
                      + special.gammaln(t - g + 1) - special.gammaln(d - k + 1)
                      - special.gammaln(t - g - d + k + 1) + k * np.log(odds[rows, None]))
        log_weight = np.where(inside, log_weight, -np.inf)
        weight = np.exp(log_weight - log_weight.max(axis=1, keepdims=True))
        out[rows] = np.where(k > x[rows, None], weight, 0.0).sum(axis=1) / weight.sum(axis=1)
        start = stop
    return np.clip(out, 0.0, 1.0)


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

    def subset(self, chosen: np.ndarray) -> "BetaBinomialLaw":
        return BetaBinomialLaw(self.trials[chosen], self.mean[chosen], self.concentration[chosen])

    def normal_tail(self, observed) -> np.ndarray:
        """A quick normal approximation of the upper tail (a screen: for the right-skewed counts here
        it is smaller than the exact tail)."""
        n, m, c = self.trials, self.mean, self.concentration
        sd = np.sqrt(n * m * (1 - m) * (c + n) / (c + 1))
        return special.ndtr((n * m + 0.5 - np.asarray(observed, dtype=float)) / np.maximum(sd, 1e-12))

    def tail(self, observed) -> np.ndarray:
        return beta_binomial_sf(observed, self.trials, self.concentration * self.mean,
                                self.concentration * (1 - self.mean))


def shrunk_share(events: np.ndarray, trials: np.ndarray, prior: np.ndarray | float, weight: float) -> np.ndarray:
    """(events + weight x prior) / (trials + weight): a share that a small count cannot make extreme."""
    return (events + weight * np.asarray(prior)) / (trials + weight)


# --- the share scan (harvested reviewers, bursts) ---------------------------------------------------

def _bursts(facts: ReviewFacts, weekly_reviewers: np.ndarray, w: Windows) -> np.ndarray:
    """sellers x windows: where more new reviewers came than the seller's other weeks predict
    (Poisson, p <= BURST_P, its rate over the weeks since its first new reviewer, shrunk by one
    pseudo-reviewer-week). This looks at the counts only, so the test of who came, conditional on the
    counts, stays exact; and only bursts are tried, so few windows are paid for in the correction."""
    total = weekly_reviewers.sum(axis=1)
    active = np.where(total > 0, facts.n_weeks - np.argmax(weekly_reviewers > 0, axis=1), 0)
    bursts = np.zeros((len(total), len(w)), dtype=bool)
    for lo in range(0, len(total), SELLERS_PER_BLOCK):
        rows = slice(lo, min(len(total), lo + SELLERS_PER_BLOCK))
        n = window_sums(weekly_reviewers[rows], w)
        weeks_out = np.maximum(active[rows, None] - w.weeks[None, :], 0)
        usual = (total[rows, None] - n + 1.0) / (weeks_out + 1.0) * w.weeks[None, :]
        # nothing below its usual count plus one standard deviation can be a burst at BURST_P
        above = np.nonzero(n >= usual + np.sqrt(usual))
        bursts[rows][above] = special.pdtrc(n[above] - 1, usual[above]) <= BURST_P
    return bursts


@dataclass
class ShareScan:
    """The scan of a share of new reviewers, with the weekly counts behind it."""

    weekly_reviewers: np.ndarray  # sellers x weeks
    weekly_chosen: np.ndarray
    total_reviewers: np.ndarray  # per seller, over all weeks
    scan: Scan  # at_best: reviewers, chosen, expected
    total_chosen: np.ndarray | None = None  # per seller, over all weeks: marked new reviewers
    total_expected: np.ndarray | None = None  # and how many its categories' weekly shares predict
    shape: float = float("nan")  # the Gamma shape of honest seller-level rates the scan used


def robust_rate_shape(observed: np.ndarray, expected: np.ndarray, trials: np.ndarray,
                      *, set_aside_p: float = 1e-3, rounds: int = 5) -> float:
    """``rate_shape`` estimated from the bulk: sellers whose whole-history count is a discovery under
    the current shape (beta-binomial tail with ``trials``, p <= ``set_aside_p``)
    are set aside and the shape estimated again, until the set stops changing. A category where a tenth
    of the sellers bought would otherwise widen the honest spread until nobody stands out."""
    keep = expected > 0
    shape = rate_shape(observed[keep], expected[keep], trials[keep])
    for _ in range(rounds):
        p = BetaBinomialLaw.learnt(trials, expected, shape).tail(observed)
        now = (expected > 0) & (p > set_aside_p)
        if now.sum() < 2 or np.array_equal(now, keep):
            break
        keep = now
        shape = rate_shape(observed[keep], expected[keep], trials[keep])
    return shape


def share_scan(facts: ReviewFacts, *markers: np.ndarray, robust: bool = False,
               calibrate: bool = False) -> list[ShareScan]:
    """For each marker (a boolean per new reviewer), scan each seller's bursts of new reviewers for a
    window where more were of the marked kind than its category that week and its own history predict.
    With ``robust``, the spread between honest sellers is estimated from the bulk
    (``robust_rate_shape``: discoveries set aside), not from every seller. With ``calibrate``, the
    Bonferroni factor over each seller's windows is replaced by the share of it that simulations of
    the null show the overlapping windows need (``_calibrated_by_simulation``).

    Only windows where the count of new reviewers itself burst are tried (bought and harvested reviews
    arrive together). The marked count is judged conditional on how many new reviewers came: a viral
    week brings many, of the usual kinds. The category's share that week is what honest
    left-censoring needs (early in the data nobody has a history yet, so every history-based share
    rises with time for everyone).
    """
    nr = facts.new_reviewers
    inside = (nr.week >= 1) & (nr.week <= facts.n_weeks)
    reviewers = facts.shared("new reviewers by unit and week", lambda: facts.unit_week_counts(
        nr.unit[inside], nr.week[inside])[:, 1:-1])
    rest_reviewers = facts.rest_of_category(reviewers)
    weekly_reviewers = facts.by_seller(reviewers)
    total_reviewers = weekly_reviewers.sum(axis=1)
    w = windows(facts.n_weeks)
    bursts = facts.shared("bursts of new reviewers", lambda: _bursts(facts, weekly_reviewers, w))

    def judged_in(sums, rows):
        return bursts[rows]

    found = []
    for chosen in markers:
        picked = inside & chosen
        chosen_weekly = facts.unit_week_counts(nr.unit[picked], nr.week[picked])[:, 1:-1]
        rest_chosen = facts.rest_of_category(chosen_weekly)
        marketplace = (chosen_weekly.sum() + 1.0) / (reviewers.sum() + 2.0)
        usual = shrunk_share(rest_chosen.sum(axis=1), rest_reviewers.sum(axis=1), marketplace, PRIOR_REVIEWERS)
        weekly_share = shrunk_share(rest_chosen, rest_reviewers, usual[:, None], PRIOR_REVIEWERS)
        weekly = {"reviewers": weekly_reviewers, "chosen": facts.by_seller(chosen_weekly),
                  "expected": facts.by_seller(reviewers * weekly_share)}
        del chosen_weekly, rest_chosen, weekly_share
        total_chosen, total_expected = weekly["chosen"].sum(axis=1), weekly["expected"].sum(axis=1)
        shape = (robust_rate_shape if robust else rate_shape)(total_chosen, total_expected, total_reviewers)

        window_p = _share_window_p(bursts, total_chosen, total_expected, shape)
        found_scan = scan(w, weekly, judged_in, window_p)
        if calibrate:
            found_scan.p_value = _calibrated_by_simulation(found_scan, w, weekly, bursts, shape)
        found.append(ShareScan(weekly_reviewers, weekly["chosen"], total_reviewers, found_scan,
                               total_chosen, total_expected, shape))
    return found


def _share_window_p(bursts: np.ndarray, total_chosen: np.ndarray, total_expected: np.ndarray, shape: float):
    """The share scan's per-window p-values (``scan``'s ``window_p``) for burst windows with at least
    ``MIN_MARKED`` marked reviewers: the beta-binomial tail with the seller's history outside the window."""
    def window_p(sums, rows, m):
        n, x, e = sums["reviewers"], sums["chosen"], sums["expected"]
        p = np.ones(x.shape)
        tried = np.nonzero(bursts[rows] & (x >= MIN_MARKED))
        if len(tried[0]) == 0:
            return p
        sellers = tried[0] + rows.start
        law = BetaBinomialLaw.learnt(n[tried], e[tried], shape, total_chosen[sellers] - x[tried],
                                     total_expected[sellers] - e[tried])
        # The exact tail only where a quick look says the window could pass; others cannot be reported.
        close = law.normal_tail(x[tried]) * m[tried[0]] <= SCREEN_SLACK * REPORT_P
        exact = p[tried]
        exact[close] = law.subset(close).tail(x[tried][close])
        p[tried] = exact
        return p
    return window_p


SIMULATIONS = 20  # null replicates of the sellers' marked counts, to calibrate the scan over windows
SIMULATED_SELLERS = 3000  # at most this many sellers (a fixed-seed sample) are simulated: bounded cost
CALIBRATION_LEVELS = (0.05, 0.01, 0.002)  # Bonferroni levels at which the scan's true size is measured
MIN_SIMULATED_HITS = 5  # a level is used only where the simulations reached it this often


def _calibrated_by_simulation(found: Scan, w: Windows, weekly: dict[str, np.ndarray], bursts: np.ndarray,
                              shape: float) -> np.ndarray:
    """The scan's p-values with the Bonferroni factor over windows replaced by the one its overlapping
    windows actually need. Under no harvest each seller's marked reviewers are drawn week by week from
    its category's shares times a seller rate from the honest Gamma law (the same null the tails
    assume), with its real weekly counts of new reviewers (so the same windows are judged), and scanned
    as the data were. The share ``k`` of the Bonferroni factor the simulations show is needed (the
    largest over ``CALIBRATION_LEVELS`` of the upper 97.5 % Poisson bound on the simulated hits over
    the hits Bonferroni would allow: the share can grow in the deeper tail, where fewer hits make the
    bound wider; overlapping windows and discrete tails make it well under 1 on an independent
    marketplace, 0.1-0.3 from 150 replicates) scales every seller's factor, never below one window's
    worth. The simulations use a fixed seed, so a run is reproducible."""
    judged = np.flatnonzero(found.windows_judged > 0)
    if len(judged) == 0:
        return found.p_value
    rng = np.random.default_rng(20261108)
    sample = judged if len(judged) <= SIMULATED_SELLERS else np.sort(rng.choice(judged, SIMULATED_SELLERS,
                                                                                replace=False))
    n_w, e_w = weekly["reviewers"][sample], weekly["expected"][sample]
    share_w = np.where(n_w > 0, e_w / np.maximum(n_w, 1e-12), 0.0)
    sample_bursts = bursts[sample]
    simulated = []
    for _ in range(SIMULATIONS):
        rho = rng.gamma(shape, 1.0 / shape, size=len(sample))
        x_w = rng.binomial(n_w.astype(np.int64), np.clip(rho[:, None] * share_w, 0.0, 1.0)).astype(float)
        sim = scan(w, {"reviewers": n_w, "chosen": x_w, "expected": e_w}, lambda sums, rows: sample_bursts[rows],
                   _share_window_p(sample_bursts, x_w.sum(axis=1), e_w.sum(axis=1), shape))
        simulated.append(sim.p_value)
    simulated = np.concatenate(simulated)
    k = 0.0
    for level in CALIBRATION_LEVELS:
        hits = int((simulated <= level).sum())
        if hits >= MIN_SIMULATED_HITS:
            # the upper 97.5 % Poisson bound on the hits: a level reached rarely counts for more, not less
            k = max(k, stats.chi2.ppf(0.975, 2 * (hits + 1)) / 2 / (level * simulated.size))
    if k <= 0.0:
        return found.p_value
    m = np.maximum(found.windows_judged, 1)
    factor = np.maximum(min(k, 1.0), 1.0 / m)
    # A p-value the Bonferroni step capped at 1 (or a window screened out) stays 1: its size is unknown.
    return np.where((found.windows_judged > 0) & (found.p_value < 1.0), found.p_value * factor, found.p_value)


def day_counts(days: np.ndarray, n_days: int) -> np.ndarray:
    inside = (days >= 0) & (days < n_days)
    return np.bincount(days[inside], minlength=n_days).astype(float)
