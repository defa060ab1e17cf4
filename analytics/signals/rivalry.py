"""Building blocks shared by the competitor-targeting signals (sabotage, sales intel, staff access).

Who competes with whom is the category: a seller's rivals are the other sellers with products in the
same category. What the three signals need on top of the scoring context:

* things computed once per run and shared (``per_context``): the staff access log resolved to the
  sellers, products and categories touched; the run's rank screen, as ``rank_jump`` reads it;
* window means of a products x days matrix at many (row, day) pairs at once (cumulative sums per
  category, or gathers of just the cells needed), and how much a rank usually swings at its level;
* counts of dated marks (staff touches) in day windows by sorted-key lookups, with no Python loop
  over sellers.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pandas as pd
from analytics import queries
from analytics.scoring.context import RANK_SCREEN_DAYS, ScoringContext


def per_context(function):
    """Compute ``function(ctx)`` once per scoring run and share it (``ScoringContext.shared``: the
    three signals read the same things; the result goes with the context)."""

    @functools.wraps(function)
    def wrapper(ctx: ScoringContext):
        return ctx.shared(function.__qualname__, lambda: function(ctx))

    return wrapper


def positions(index_values, values) -> np.ndarray:
    """Position of each of ``values`` in ``index_values`` (-1 where absent), vectorised."""
    return pd.Index(index_values).get_indexer(pd.Index(values))


def rank_screen(ctx: ScoringContext) -> tuple[np.ndarray, np.ndarray]:
    """Per product row: (split day of its most likely sustained rank improvement, -1 where it cannot be
    judged; screen p-value), from the run's shared screen (``ScoringContext.rank_screen``, the one
    ``rank_jump`` reads), so a change named here is the one the rank-jump evidence names."""
    if len(ctx.product_matrices.days) < sum(RANK_SCREEN_DAYS):
        n_rows = len(ctx.product_matrices.products)
        return np.full(n_rows, -1), np.ones(n_rows)
    screened = ctx.rank_screen
    return screened.split, screened.p_value


def report_limit(n_tests: int, fdr: float = 0.05) -> float:
    """The p-value under which a tested seller gets an evidence row. False-discovery control over
    ``n_tests`` sellers can only accept p-values up to ``fdr x discoveries / n_tests``; rows above that
    for any plausible number of discoveries (up to 2% of the sellers, or 10) could never be significant
    and would only cost time (at 100,000 sellers, a thousand rows of chance)."""
    return min(0.05, fdr * max(10.0, 0.02 * n_tests) / max(n_tests, 1))


@per_context
def access_log_rows(ctx: ScoringContext) -> int:
    """Rows of access_log known on the as-of day (0 when the optional table is absent or empty)."""
    exists = ctx.con.execute(
        "select count(*) from duckdb_tables() where table_name = 'access_log' and not temporary"
    ).fetchone()[0]
    if not exists:
        return 0
    return int(ctx.con.execute("select count(*) from access_log where ts < $as_of::date + interval 1 day",
                               {"as_of": ctx.as_of}).fetchone()[0])


@per_context
def suspension_episodes(ctx: ScoringContext) -> pd.DataFrame:
    """``suspension_episodes.sql`` as of the run, read once for the signals that judge suspensions
    (reinstatement) and the rivals hit by them (sabotage). Shared: callers never change it in place."""
    return ctx.query("suspension_episodes")


KINDS = ("remove", "reinstate", "suspend", "sales", "reviewers", "export", "view")  # by kind_code
TOUCH_COLUMNS = ["employee_id", "day_idx", "kind", "seller_id", "product_idx", "category"]


@per_context
def staff_touches(ctx: ScoringContext) -> pd.DataFrame:
    """``targeting_staff_touches``: one row per distinct staff action and category concerned, with
    employee_id, kind, seller_id and category as categoricals (the log can have tens of millions of
    rows: they travel as integer codes), day_idx, and product_idx (the named product's row in the
    product matrices, -1 where the action names only the seller). Empty without an access log."""
    if access_log_rows(ctx) == 0:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c in ("day_idx", "product_idx") else "object")
                             for c in TOUCH_COLUMNS})
    products = ctx.product_matrices.products
    cells = ctx.con.execute(queries.load("targeting_staff_touches"),
                            {"as_of": ctx.as_of, "first_day": ctx.first_day}).fetchnumpy()
    employees = ctx.query("targeting_employees")["employee_id"].to_numpy()
    sellers = np.sort(pd.unique(products["seller_id"]).astype(object))
    categories = np.sort(pd.unique(products["category"]).astype(object))

    def named(codes, names) -> pd.Categorical:
        return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int64), categories=pd.Index(names))

    return pd.DataFrame({
        "employee_id": named(cells["employee_idx"], employees),
        "day_idx": np.asarray(cells["day_idx"], dtype=np.int64),
        "kind": named(cells["kind_code"], KINDS),
        "seller_id": named(cells["seller_idx"], sellers),
        "product_idx": np.asarray(cells["product_idx"], dtype=np.int64),
        "category": named(np.ma.filled(cells["category_idx"], -1) if np.ma.isMaskedArray(cells["category_idx"])
                          else cells["category_idx"], categories),
    })


class WindowMeans:
    """Means of a products x days matrix over day windows ``[start, stop)``, for many rows at once.

    NaN cells are missing and are left out of a mean; a window with no observed day has mean NaN and
    count 0. Windows are clipped to the matrix.
    """

    def __init__(self, values: np.ndarray):
        values = np.atleast_2d(np.asarray(values, dtype=float))
        valid = ~np.isnan(values)
        zero = np.zeros((values.shape[0], 1))
        self._sums = np.hstack([zero, np.cumsum(np.where(valid, values, 0.0), axis=1)])
        self._counts = np.hstack([zero, np.cumsum(valid, axis=1, dtype=np.float64)])
        self.days = values.shape[1]

    def __call__(self, rows, start, stop) -> tuple[np.ndarray, np.ndarray]:
        """(mean, observed-day count) for each (row, start, stop); the arrays broadcast together."""
        start = np.clip(np.asarray(start, dtype=np.int64), 0, self.days)
        stop = np.clip(np.asarray(stop, dtype=np.int64), 0, self.days)
        stop = np.maximum(stop, start)
        total = self._sums[rows, stop] - self._sums[rows, start]
        count = self._counts[rows, stop] - self._counts[rows, start]
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = np.where(count > 0, total / np.where(count > 0, count, 1.0), np.nan)
        return mean, count


def window_mean_at(values: np.ndarray, rows: np.ndarray, start: np.ndarray, length: int
                   ) -> tuple[np.ndarray, np.ndarray]:
    """(mean, observed-day count) of ``values[row, start:start + length]`` for each (row, start), by
    gathering just those cells: for a few short windows this beats cumulative sums over whole rows
    (and allocates nothing the size of the matrix)."""
    rows = np.asarray(rows, dtype=np.int64)
    columns = np.asarray(start, dtype=np.int64)[:, None] + np.arange(length)[None, :]
    inside = (columns >= 0) & (columns < values.shape[1])
    cells = values[rows[:, None], np.clip(columns, 0, values.shape[1] - 1)]
    cells = np.where(inside, cells, np.nan)
    count = (~np.isnan(cells)).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(cells, axis=1) / count
    return np.where(count > 0, mean, np.nan), count


def block_change_sd(values: np.ndarray, *, block: int = 28, floor: float = 0.05) -> np.ndarray:
    """Per row, the typical change between consecutive ``block``-day means: the yardstick a
    before/after change of a product's rank is standardised with, so that a volatile product's
    ordinary swings do not look like gains. Robust (1.4826 x the median absolute difference), so the
    one change under test does not set its own yardstick."""
    values = np.atleast_2d(np.asarray(values, dtype=float))
    n_blocks = values.shape[1] // block
    if n_blocks < 2:
        return np.full(values.shape[0], np.nan)
    trimmed = values[:, values.shape[1] - n_blocks * block:].reshape(values.shape[0], n_blocks, block)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # rows without two observed blocks
        observed = (~np.isnan(trimmed)).sum(axis=2)
        means = np.where(observed >= block // 4, np.nansum(trimmed, axis=2) / np.maximum(observed, 1), np.nan)
        diffs = np.abs(np.diff(means, axis=1))
        n = (~np.isnan(diffs)).sum(axis=1)
        typical = 1.4826 * np.nanmedian(diffs, axis=1)
    return np.where(n >= 2, np.maximum(typical, floor), np.nan)


def block_trend(values: np.ndarray, *, block: int = 28) -> np.ndarray:
    """Per row, the typical change from one ``block``-day mean to the next over the whole history (its
    trend per block; 0 where it cannot be told): a product climbing all year improves after any date,
    and that is not a gain from anything that happened then. The median, so that a few steps (the
    changes under test) do not pass for a trend."""
    values = np.atleast_2d(np.asarray(values, dtype=float))
    n_blocks = values.shape[1] // block
    if n_blocks < 2:
        return np.zeros(values.shape[0])
    trimmed = values[:, values.shape[1] - n_blocks * block:].reshape(values.shape[0], n_blocks, block)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        observed = (~np.isnan(trimmed)).sum(axis=2)
        means = np.where(observed >= block // 4, np.nansum(trimmed, axis=2) / np.maximum(observed, 1), np.nan)
        trend = np.nanmedian(np.diff(means, axis=1), axis=1)
    return np.nan_to_num(trend, nan=0.0)


def swing_by_level(values: np.ndarray, *, neighbours: int = 7, block: int = 28) -> np.ndarray:
    """Per row, the typical ``block``-day change of rows at a similar level: the median of
    ``block_change_sd`` over the ``neighbours`` rows nearest in mean level (the row included).

    A rank's ordinary swings depend mostly on where it stands (in log terms rank 3 -> 2 is a big move,
    rank 40 -> 39 a small one), and a row's own history is a poor yardstick when the change under
    test, or several, are in it; the level's neighbours are not distorted by one row's changes."""
    values = np.atleast_2d(np.asarray(values, dtype=float))
    own = block_change_sd(values, block=block)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        level = np.nanmean(values, axis=1)
    usable = np.flatnonzero(np.isfinite(own) & np.isfinite(level))
    result = np.full(values.shape[0], np.nan)
    if usable.size == 0:
        return result
    order = usable[np.argsort(level[usable], kind="stable")]
    half = neighbours // 2
    padded = np.concatenate([np.full(half, np.nan), own[order], np.full(half, np.nan)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result[order] = np.nanmedian(windows, axis=1)
    # Rows without a usable history of their own take the swing of the nearest level that has one.
    missing = np.flatnonzero(~np.isfinite(result) & np.isfinite(level))
    if missing.size:
        nearest = np.searchsorted(level[order], level[missing]).clip(0, order.size - 1)
        result[missing] = result[order[nearest]]
    return result


class DayCounter:
    """Counts of dated marks per key (a product row, a seller) in day windows, by binary search.

    Built once from (key, day) pairs; ``count(keys, start, stop)`` is vectorised over queries.
    """

    def __init__(self, keys: np.ndarray, days: np.ndarray, *, span: int = 1 << 20):
        self._span = span
        self._offset = span // 2  # days may be negative (touches before the first day of data)
        encoded = np.asarray(keys, dtype=np.int64) * span + (np.asarray(days, dtype=np.int64) + self._offset)
        self._sorted = np.sort(encoded)

    def count(self, keys, start, stop) -> np.ndarray:
        keys = np.asarray(keys, dtype=np.int64)
        low = keys * self._span + (np.asarray(start, dtype=np.int64) + self._offset)
        high = keys * self._span + (np.asarray(stop, dtype=np.int64) + self._offset)
        return np.searchsorted(self._sorted, high, side="left") - np.searchsorted(self._sorted, low, side="left")
