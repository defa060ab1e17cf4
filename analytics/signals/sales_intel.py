"""Sales intelligence: launches and price cuts aimed at the rivals whose internal sales are highest.

Staff sold sellers the internal ``units_sold`` figures that the marketplace never shows. A seller who
bought them aims its new products and price cuts at the rivals that really sell most, which the public
sales rank only hints at (an order, smoothed over recent days and loosely tied to volume), often days
after an employee looked up exactly those rivals' figures. Honest sellers aim too, by what they can see:
ordinary launches often price just under the category's visible leaders, and category managers look up
top sellers' figures regularly, sometimes many in one sitting. So:

1. Actions: a product launch (its price over its first week), or a sustained price cut (the price
   steps down at least 5% and the week after is at least 10% below the two weeks before).
2. Aims: the rivals (other sellers' products in the category) among the category's top sellers by
   internal units over the four whole weeks before the action's week (the top ``TOP_SHARE``, at least
   ``TOP_MIN``) that the new price undercuts by at most 15%: top sellers are few, so an action has one
   or two, and one that undercuts none is aimed at no top seller and is not judged.
3. U, sales beyond rank: how far the aim's units exceeded what its public rank implied: the residual of
   ln(1 + units) on mean relative rank, read off a line fitted to its ``NEIGHBOURS`` nearest rivals in
   rank on each side (the aim left out), in units of the category's typical residual that week (robust).
   The category's best-ranked listing is not judged: its rank implies only that it outsells the next.
   The null is every other seller's aims (empirical p-value with +1), so whatever honest aiming does to
   it (aiming at the visible leaders, at rising products) is in the baseline. Needs
   ``MIN_NULL_ACTIONS`` of them.
4. V, a telling look-up (only where access_log has rows): the aim's figures (the product, or its whole
   seller) looked up in the ``LOOKUP_DAYS`` before the action by an employee who is no regular of that
   seller (looked at its figures on fewer than ``REGULAR_DAYS`` days in all: a category manager's routine
   is aimed at no one) in a selective session (that day, at most ``SELECTIVE_SELLERS`` sellers of the
   category: a sweep through the top sellers is a review). A session that took in several sellers of the
   category at once is rarer than a single look and counts for more. Chance: the aim's usual rate of such
   look-ups (its own, on its other days, with ``PRIOR_DAYS`` of its category's rate for aimed products),
   as a Poisson count over the window; mid p-values, as the count is small and discrete.

One hypothesis per seller, Fisher's combination of its findings, which are independent by design: U per
rival (repeated aims at one rival are one finding, the most telling, Sidak-corrected for their number)
and V per action (the most telling of its aims, Sidak-corrected). A single lucky aim is never enough.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analytics import queries
from analytics.scoring.context import ScoringContext
from analytics.signals import EVIDENCE_COLUMNS, SignalResult
from analytics.signals.rivalry import DayCounter, per_context, positions, report_limit, staff_touches, window_mean_at

NAME = "sales_intel"
TITLE = "Launches and price cuts aimed at rivals' hidden sales"
COLOR = "#17becf"
CORE = True
FDR = 0.05
WEIGHT = 1.0

LAUNCH_WEEK = 7  # days over which a launch price is read
CUT_STEP = np.log(0.95)  # a price cut starts with a step down of at least 5%
CUT_SUSTAINED = np.log(0.90)  # and the week after is at least 10% under the two weeks before
CUT_GAP = 28  # cuts of one product closer together than this are one cut
MAX_UNDERCUT = -np.log(0.85)  # aims: a rival priced at most 15% above the new price
PRICE_WEEKS = 2  # rival prices are read over the two whole weeks before the action's week
SALES_WEEKS = 4  # units and public rank are read over the four whole weeks before it
MIN_PRICED_DAYS = 5  # days priced in those two weeks for a rival to be aimed at
MIN_RANKED_DAYS = 14  # days ranked in the four weeks for a product to count
MIN_LISTED_WEEKS = 2  # weeks listed in the four for its units to count
TOP_SHARE = 0.1  # "the rivals whose internal sales are highest": this share of the category's listings,
TOP_MIN = 8  # at least this many
TOP_MAX = 20  # and at most this many (the few that really sell, however large the category)
NEIGHBOURS = 5  # rivals on each side in rank that say what a rank implies
MIN_RIVALS = 8  # listings with units and rank a category-week needs before any rank implies anything
MIN_NULL_ACTIONS = 30  # other sellers' aims needed for an empirical null of sales beyond rank
LOOKUP_DAYS = 14  # a look-up of the aim counts in the days before the action
REGULAR_DAYS = 6  # an employee who looked at a seller's figures on this many days watches it routinely
SELECTIVE_SELLERS = 3  # a session that looked up more sellers of a category than this is a review
PRIOR_DAYS = 60  # days' worth of its category's look-up rate added to an aim's own history
ROW_CHUNK = 20_000  # rows of the price matrix handled at once (memory)


# --- actions -------------------------------------------------------------------------------------------

def _launch_days(ctx: ScoringContext) -> np.ndarray:
    m = ctx.product_matrices
    return (pd.to_datetime(m.products["launched_on"]) - pd.Timestamp(m.days[0])).dt.days.to_numpy()


def launches(ctx: ScoringContext) -> pd.DataFrame:
    """Launches with a known first-week price, late enough that rivals have a month of history."""
    m = ctx.product_matrices
    day = _launch_days(ctx)
    rows = np.flatnonzero((day >= 7 * SALES_WEEKS) & (day <= len(m.days) - 3))
    if rows.size == 0:
        return pd.DataFrame(columns=["row", "day_idx", "log_price", "kind"])
    price, observed = window_mean_at(m.log_price, m.products["product_idx"].to_numpy()[rows], day[rows], LAUNCH_WEEK)
    keep = observed >= 3
    return pd.DataFrame({"row": rows[keep], "day_idx": day[rows][keep], "log_price": price[keep],
                         "kind": "launch"})


def price_cuts(ctx: ScoringContext) -> pd.DataFrame:
    """Sustained price cuts: the days a price steps down (found a block of rows at a time, in one
    reused buffer: the price matrix is large), then the two weeks before and the week after each."""
    m = ctx.product_matrices
    prices = m.log_price
    n_rows, n_days = prices.shape
    empty = pd.DataFrame(columns=["row", "day_idx", "log_price", "kind"])
    if n_days < 7 * PRICE_WEEKS + LAUNCH_WEEK:
        return empty
    step = np.empty((min(ROW_CHUNK, n_rows), n_days - 1), dtype=prices.dtype)
    rows, days = [], []
    for start in range(0, n_rows, ROW_CHUNK):
        block = prices[start:start + ROW_CHUNK]
        buffer = step[:block.shape[0]]
        with np.errstate(invalid="ignore"):
            np.subtract(block[:, 1:], block[:, :-1], out=buffer)
            r, c = np.nonzero(buffer <= CUT_STEP)
        rows.append(start + r)
        days.append(c + 1)  # the first day at the new price
    row, day = np.concatenate(rows), np.concatenate(days)
    judged = (day >= 7 * PRICE_WEEKS) & (day + LAUNCH_WEEK <= n_days)
    row, day = row[judged], day[judged]
    if row.size == 0:
        return empty
    before, n_before = window_mean_at(prices, row, day - 7 * PRICE_WEEKS, 7 * PRICE_WEEKS)
    after, n_after = window_mean_at(prices, row, day, LAUNCH_WEEK)
    with np.errstate(invalid="ignore"):
        sustained = (after - before <= CUT_SUSTAINED) & (n_before >= 7) & (n_after >= 5)
    cuts = pd.DataFrame({"row": row[sustained], "day_idx": day[sustained], "log_price": after[sustained]})
    cuts = cuts.sort_values(["row", "day_idx"])
    # A launch's introductory pricing is not a cut; one cut per product per CUT_GAP days.
    launched = _launch_days(ctx)
    cuts = cuts[cuts["day_idx"] - launched[cuts["row"].to_numpy()] > CUT_GAP]
    first = (cuts["row"] != cuts["row"].shift()) | (cuts["day_idx"].diff() > CUT_GAP)
    return cuts[first.to_numpy()].assign(kind="price cut")


# --- where each category stood, week by week ---------------------------------------------------------------

@per_context
def weekly_units(ctx: ScoringContext) -> np.ndarray:
    """Internal units sold per product row and week (week = days since the first day // 7), float32;
    NaN where the product was not listed that week."""
    m = ctx.product_matrices
    units = np.full((len(m.products), len(m.days) // 7 + 1), np.nan, dtype=np.float32)
    cells = ctx.con.execute(queries.load("targeting_weekly_units"),
                            {"as_of": ctx.as_of, "first_day": ctx.first_day}).fetchnumpy()
    units[np.asarray(cells["product_idx"], dtype=np.int64), np.asarray(cells["week"], dtype=np.int64)] = \
        np.asarray(cells["units"], dtype=np.float32)
    return units


def _weekly_cumulative(values: np.ndarray, n_weeks: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row, cumulative sums of the observed values and counts of observed days over whole weeks:
    (rows x n_weeks + 1) each, column w = everything before week w."""
    n_rows, n_days = values.shape
    padded = np.full((n_rows, n_weeks * 7), np.nan, dtype=np.float32)
    padded[:, :min(n_days, n_weeks * 7)] = values[:, :n_weeks * 7]
    padded = padded.reshape(n_rows, n_weeks, 7)
    observed = ~np.isnan(padded)
    sums = np.zeros((n_rows, n_weeks + 1))
    counts = np.zeros((n_rows, n_weeks + 1))
    np.cumsum(np.where(observed, padded, 0.0).sum(axis=2, dtype=np.float64), axis=1, out=sums[:, 1:])
    np.cumsum(observed.sum(axis=2), axis=1, out=counts[:, 1:])
    return sums, counts


def _between(cumulative: np.ndarray, weeks: np.ndarray, span: int) -> np.ndarray:
    """Sums over weeks [w - span, w) for each week w asked for: rows x len(weeks)."""
    return cumulative[:, weeks] - cumulative[:, np.maximum(weeks - span, 0)]


def _segment_order(values: np.ndarray, segment: np.ndarray, n_segments: int) -> tuple[np.ndarray, np.ndarray]:
    """The order sorting finite ``values`` by (segment, value), and where each segment starts in it
    (n_segments + 1 bounds): one float sort on a combined key, not a lexsort."""
    if values.size == 0:
        return np.empty(0, dtype=np.int64), np.zeros(n_segments + 1, dtype=np.int64)
    low = float(values.min())
    span = float(values.max()) - low + 1.0
    order = np.argsort(segment * span + (values - low))
    return order, np.searchsorted(segment[order], np.arange(n_segments + 1))


def _segment_median(values: np.ndarray, segment: np.ndarray, n_segments: int) -> np.ndarray:
    """The median of the finite ``values`` within each segment (NaN for a segment with none)."""
    finite = np.isfinite(values)
    values, segment = values[finite], segment[finite]
    order, starts = _segment_order(values, segment, n_segments)
    sizes = np.diff(starts)
    if order.size == 0:
        return np.full(n_segments, np.nan)
    ranked = values[order]
    low = ranked[np.clip(starts[:-1] + (sizes - 1) // 2, 0, order.size - 1)]
    high = ranked[np.clip(starts[:-1] + sizes // 2, 0, order.size - 1)]
    return np.where(sizes > 0, (low + high) / 2, np.nan)


def standings(ctx: ScoringContext, rows: np.ndarray, weeks: np.ndarray) -> dict[str, np.ndarray]:
    """Where the products ``rows`` (one category) stood at the start of each of ``weeks``: arrays over
    the listed (product, week) cells: row, segment (index into ``weeks``), price (mean log price over
    the two weeks before), rank (mean relative rank over the four weeks before), units (internal, over
    those four weeks), z (how far the units exceeded what the rank implied, see the module notes),
    implied (the units the rank implied), rank_position, units_position and top (among the category's
    top sellers by units that week)."""
    m = ctx.product_matrices
    n_weeks = len(m.days) // 7 + 1
    price_sum, price_days = _weekly_cumulative(m.log_price[rows], n_weeks)
    rank_sum, rank_days = _weekly_cumulative(m.rel_rank[rows], n_weeks)
    units = weekly_units(ctx)[rows]
    units_sum = np.hstack([np.zeros((rows.size, 1)), np.nancumsum(units, axis=1, dtype=np.float64)])
    units_weeks = np.hstack([np.zeros((rows.size, 1)), np.cumsum(~np.isnan(units), axis=1)])
    n_price = _between(price_days, weeks, PRICE_WEEKS)
    n_rank = _between(rank_days, weeks, SALES_WEEKS)
    n_units = _between(units_weeks, weeks, SALES_WEEKS)
    listed = (n_price >= MIN_PRICED_DAYS) & (n_rank >= MIN_RANKED_DAYS) & (n_units >= MIN_LISTED_WEEKS)
    r, k = np.nonzero(listed)
    cells = {
        "row": rows[r], "segment": k,
        "price": _between(price_sum, weeks, PRICE_WEEKS)[r, k] / n_price[r, k],
        "rank": _between(rank_sum, weeks, SALES_WEEKS)[r, k] / n_rank[r, k],
        "units": _between(units_sum, weeks, SALES_WEEKS)[r, k] * SALES_WEEKS / n_units[r, k],
    }
    return _beyond_rank(cells, weeks.size)


def _beyond_rank(cells: dict[str, np.ndarray], n_segments: int) -> dict[str, np.ndarray]:
    """``cells`` with z, implied, rank_position, units_position and top, per segment (category-week)."""
    segment = cells["segment"]
    x, y = cells["rank"], np.log1p(cells["units"])
    by_rank, starts = _segment_order(x, segment, n_segments)
    s, xs, ys = segment[by_rank], x[by_rank], y[by_rank]
    first, stop = starts[s], starts[s + 1]
    position = np.arange(s.size)
    lo, hi = np.maximum(first, position - NEIGHBOURS), np.minimum(stop, position + NEIGHBOURS + 1)

    def window_sum(values):  # over the neighbours in rank, the cell itself left out
        cumulative = np.concatenate([[0.0], np.cumsum(values)])
        return cumulative[hi] - cumulative[lo] - values

    n = window_sum(np.ones(s.size))
    sx, sy, sxx, sxy = window_sum(xs), window_sum(ys), window_sum(xs * xs), window_sum(xs * ys)
    with np.errstate(invalid="ignore", divide="ignore"):
        spread = n * sxx - sx * sx
        slope = np.where(spread > 1e-9 * np.maximum(n * n, 1), (n * sxy - sx * sy) / spread, 0.0)
        predicted = (sy - slope * sx) / n + slope * xs
    residual = ys - predicted
    scale = 1.4826 * _segment_median(np.abs(residual - _segment_median(residual, s, n_segments)[s]), s, n_segments)
    # The leader's rank says only that it sells more than the next: how much more is nothing its rank
    # implies (a dominant leader is not one selling beyond its rank), so it is not judged.
    leader = position == first
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where((stop - first >= MIN_RIVALS) & (n >= 2) & (scale[s] > 0) & ~leader, residual / scale[s], np.nan)
    for name, values in (("z", z), ("implied", np.expm1(predicted)), ("rank_position", position - first + 1)):
        cells[name] = np.empty_like(values)
        cells[name][by_rank] = values
    by_units, starts = _segment_order(-y, segment, n_segments)
    cells["units_position"] = np.empty(segment.size, dtype=np.int64)
    cells["units_position"][by_units] = np.arange(segment.size) - starts[segment[by_units]] + 1
    top_count = np.clip(np.ceil(TOP_SHARE * np.diff(starts)), TOP_MIN, TOP_MAX)
    cells["top"] = cells["units_position"] <= top_count[segment]
    return cells


# --- aims and the aimed rivals' sales beyond rank ------------------------------------------------------

AIM_COLUMNS = ("action", "row", "seller", "day_idx", "launch", "log_price", "aim_row", "aim_seller", "undercut",
               "units", "implied_units", "z", "rank_position", "units_position")


def aims(ctx: ScoringContext, actions: pd.DataFrame) -> pd.DataFrame:
    """Every (action, aim) pair: each top seller of another seller that the action's new price undercuts
    by at most MAX_UNDERCUT (top sellers are few, so an action has one or two), with where the aim
    stood. Sellers are integer codes (``seller_codes``). Per category, its top sellers of each week are
    sorted by price once and every action is a range in that order (categories can hold thousands of
    products and thousands of actions)."""
    m = ctx.product_matrices
    seller_of_row = seller_codes(ctx)
    category_of_row = pd.factorize(m.products["category"])[0]
    row = actions["row"].to_numpy(dtype=np.int64)
    day = actions["day_idx"].to_numpy(dtype=np.int64)
    log_price = actions["log_price"].to_numpy(dtype=float)
    launch = (actions["kind"] == "launch").to_numpy()
    seller, week = seller_of_row[row], day // 7
    rows_of = pd.Series(np.arange(len(m.products))).groupby(category_of_row).indices
    found = []
    for category, mine in pd.Series(np.arange(row.size)).groupby(category_of_row[row]).indices.items():
        weeks = np.unique(week[mine])
        cells = standings(ctx, np.asarray(rows_of[category]), weeks)
        top = np.flatnonzero(cells["top"])
        if top.size == 0:
            continue
        top = top[_segment_order(cells["price"][top], cells["segment"][top], weeks.size)[0]]
        segment, price = cells["segment"][top], cells["price"][top]
        span = float(max(np.abs(price).max(), np.abs(log_price[mine]).max())) * 2 + 1
        key = segment * span + price
        low = np.searchsorted(weeks, week[mine]) * span + log_price[mine]
        lo = np.searchsorted(key, low, side="left")
        length = np.maximum(np.searchsorted(key, low + MAX_UNDERCUT, side="right") - lo, 0)
        if length.sum() == 0:
            continue
        action = np.repeat(mine, length)
        candidate = top[np.repeat(lo, length) + np.arange(length.sum()) - np.repeat(np.cumsum(length) - length, length)]
        rival = seller_of_row[cells["row"][candidate]] != seller[action]
        action, candidate = action[rival], candidate[rival]
        found.append({
            "action": action, "row": row[action], "seller": seller[action], "day_idx": day[action],
            "launch": launch[action], "log_price": log_price[action], "aim_row": cells["row"][candidate],
            "aim_seller": seller_of_row[cells["row"][candidate]],
            "undercut": cells["price"][candidate] - log_price[action], "units": cells["units"][candidate],
            "implied_units": cells["implied"][candidate], "z": cells["z"][candidate],
            "rank_position": cells["rank_position"][candidate], "units_position": cells["units_position"][candidate],
        })
    if not found:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in AIM_COLUMNS})
    aimed = pd.DataFrame({c: np.concatenate([part[c] for part in found]) for c in AIM_COLUMNS})
    return aimed.sort_values(["day_idx", "action", "undercut"], kind="stable").reset_index(drop=True)


@per_context
def seller_codes(ctx: ScoringContext) -> np.ndarray:
    """Per product row, its seller as an integer code (index into ``seller_ids``)."""
    return pd.factorize(ctx.product_matrices.products["seller_id"])[0].astype(np.int64)


def seller_ids(ctx: ScoringContext) -> np.ndarray:
    return pd.factorize(ctx.product_matrices.products["seller_id"])[1].to_numpy(dtype=object)


def sales_beyond_rank(aimed: pd.DataFrame) -> pd.DataFrame:
    """``aimed`` with p_units: the share of the other sellers' aims whose rival sold at least as far
    beyond its rank (with +1), NaN where z is unknown or too few other aims make a baseline."""
    aimed = aimed.assign(p_units=np.nan)
    judged = np.flatnonzero(aimed["z"].notna().to_numpy())
    z = aimed["z"].to_numpy(dtype=float)[judged]
    if z.size == 0:
        return aimed
    seller = aimed["seller"].to_numpy(dtype=np.int64)[judged]
    at_least = z.size - np.searchsorted(np.sort(z), z, side="left")
    # The seller's own aims at least as far beyond: a sort by (seller, -z), counted per seller.
    order, starts = _segment_order(-z, seller, int(seller.max()) + 1)
    low = float((-z).min())
    key = (seller * (float((-z).max()) - low + 1.0) + (-z - low))[order]
    own_at_least = np.searchsorted(key, (seller * (float((-z).max()) - low + 1.0) + (-z - low)), side="right") \
        - starts[seller]
    others = z.size - np.diff(starts)[seller]
    p = (1 + at_least - own_at_least) / (1 + others)
    column = aimed["p_units"].to_numpy(copy=True)
    column[judged] = np.where(others >= MIN_NULL_ACTIONS, np.clip(p, 0, 1), np.nan)
    aimed["p_units"] = column
    return aimed


# --- V: telling look-ups of the aimed rival ----------------------------------------------------------------

def telling_lookups(touches: pd.DataFrame) -> pd.DataFrame | None:
    """Look-ups of sellers' figures that could be aimed: not by a regular of that seller (an employee
    who looked at its figures on REGULAR_DAYS days or more), in a selective session (an employee's day
    in a category that looked up at most SELECTIVE_SELLERS of its sellers), with session (how many of
    the category's sellers that session looked up). None when there is no access log."""
    if touches.empty:
        return None
    # Looks at sales figures where the log says so; otherwise any view (the touches keep ordinary
    # views only when no action of the log is a look at sales figures).
    looks = touches[touches["kind"].isin(["sales", "view"])].dropna(subset=["seller_id", "category"])
    looks = looks[["employee_id", "day_idx", "seller_id", "product_idx", "category"]]
    if looks.empty:
        return looks.assign(session=pd.Series(dtype=np.int64))
    employee = looks["employee_id"].cat.codes.to_numpy().astype(np.int64)
    seller = looks["seller_id"].cat.codes.to_numpy().astype(np.int64)
    category = looks["category"].cat.codes.to_numpy().astype(np.int64)
    day = looks["day_idx"].to_numpy()
    pair = employee * (seller.max() + 1) + seller
    regular = _distinct_per(pair, day + (1 << 20)) >= REGULAR_DAYS
    session_key = (employee * (category.max() + 1) + category) * (1 << 21) + (day + (1 << 20))
    session = _distinct_per(session_key, seller)
    keep = ~regular & (session <= SELECTIVE_SELLERS)
    return looks[keep].assign(session=session[keep])


def _distinct_per(key: np.ndarray, value: np.ndarray) -> np.ndarray:
    """For each element, the number of distinct ``value``s among the elements with its ``key`` (both
    non-negative integers). By sorting: millions of log rows, and a sort beats hashing them here."""
    width = int(value.max()) + 1
    pairs = np.sort(key * width + value)
    pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]]] // width  # one per distinct (key, value), by key
    starts = np.flatnonzero(np.r_[True, pairs[1:] != pairs[:-1]])
    keys, counts = pairs[starts], np.diff(np.r_[starts, pairs.size])
    return counts[np.searchsorted(keys, key)]


class LookupCounter:
    """Telling look-ups of a product's figures in day windows, from sessions of at least ``size``
    sellers: those naming the product, plus those of its whole seller."""

    def __init__(self, looks: pd.DataFrame, products: pd.DataFrame, size: int):
        looks = looks[looks["session"] >= size]
        self._seller_of_row = pd.factorize(products["seller_id"])[0]
        named = looks[looks["product_idx"] >= 0]
        self._by_product = DayCounter(named["product_idx"].to_numpy(), named["day_idx"].to_numpy())
        whole = looks[looks["product_idx"] < 0].drop_duplicates(["employee_id", "day_idx", "seller_id"])
        codes = positions(pd.unique(products["seller_id"]), whole["seller_id"])
        self._by_seller = DayCounter(codes, whole["day_idx"].to_numpy())

    def count(self, rows, start, stop) -> np.ndarray:
        rows = np.asarray(rows)
        return self._by_product.count(rows, start, stop) + \
            self._by_seller.count(self._seller_of_row[rows], start, stop)


def lookups(looks: pd.DataFrame | None, ctx: ScoringContext, aimed: pd.DataFrame) -> pd.DataFrame:
    """``aimed`` with session (the largest session of telling look-ups of the aim in the LOOKUP_DAYS
    before the action, 0 for none) and p_lookup, its mid p-value against the usual rate of such
    look-ups of the aim: its own count on its other days, with PRIOR_DAYS of its category's rate for
    aimed products (so an aim with a short history, or one never looked up otherwise, is judged by
    products like it). NaN where there is no access log."""
    aimed = aimed.assign(session=np.nan, p_lookup=np.nan)
    if looks is None or aimed.empty:
        return aimed
    m = ctx.product_matrices
    # Queries in key order: sorted searches into the large sorted look-up arrays stay in cache.
    order = np.lexsort((aimed["day_idx"].to_numpy(), aimed["aim_row"].to_numpy()))
    row = aimed["aim_row"].to_numpy(dtype=np.int64)[order]
    day = aimed["day_idx"].to_numpy(dtype=np.int64)[order]
    unique_rows, first_of, aim_of = np.unique(row, return_index=True, return_inverse=True)
    n_days = len(m.days)
    listed_days = np.maximum(n_days - np.maximum(_launch_days(ctx)[unique_rows], 0), 1)
    exposure = np.maximum(listed_days[aim_of] - LOOKUP_DAYS, 1)  # days it could be looked up on, window left out
    category = pd.factorize(m.products["category"].to_numpy()[unique_rows])[0]
    observed = np.zeros(row.size)
    beyond = np.ones(row.size)  # chance of a session at least as large as the one seen
    next_beyond = np.ones(row.size)  # and of a larger one
    for size in range(1, SELECTIVE_SELLERS + 1):
        counter = LookupCounter(looks, m.products, size)
        inside = counter.count(row, day - LOOKUP_DAYS, day)
        total = counter.count(unique_rows, np.full(unique_rows.size, -(1 << 19)), np.full(unique_rows.size, n_days))
        usual = np.bincount(category, weights=total) / np.bincount(category, weights=listed_days)
        rate = (total[aim_of] - inside + PRIOR_DAYS * usual[category][aim_of]) / (exposure + PRIOR_DAYS)
        chance = -np.expm1(-LOOKUP_DAYS * rate)
        seen = inside > 0
        observed = np.where(seen, size, observed)
        beyond = np.where(seen, chance, beyond)
        next_beyond = np.where(seen, 0.0, np.where(observed == size - 1, chance, next_beyond))
    session, p_lookup = np.empty(row.size), np.empty(row.size)
    session[order], p_lookup[order] = observed, (beyond + next_beyond) / 2  # mid p: the count is small, discrete
    return aimed.assign(session=session, p_lookup=p_lookup)


# --- the signal ---------------------------------------------------------------------------------------------

def judged_aims(ctx: ScoringContext) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Every (action, aim) pair with p_units and p_lookup; and the telling look-ups (None without a log)."""
    actions = pd.concat([launches(ctx), price_cuts(ctx)], ignore_index=True)
    looks = telling_lookups(staff_touches(ctx))
    if actions.empty:
        return sales_beyond_rank(pd.DataFrame({c: pd.Series(dtype=float) for c in AIM_COLUMNS})).assign(
            session=np.nan, p_lookup=np.nan), looks
    aimed = sales_beyond_rank(aims(ctx, actions))
    return lookups(looks, ctx, aimed), looks


def _sidak_min(group: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per distinct ``group`` key (NaN p-values left out): (the key, its smallest p-value,
    Sidak-corrected for the group's size)."""
    judged = ~np.isnan(p)
    keys, inverse, size = np.unique(group[judged], return_inverse=True, return_counts=True)
    smallest = np.ones(keys.size)
    np.minimum.at(smallest, inverse, p[judged])
    return keys, np.clip(-np.expm1(size * np.log1p(-np.minimum(smallest, 1 - 1e-12))), 1e-300, 1.0)


def seller_p_values(aimed: pd.DataFrame) -> pd.DataFrame:
    """One row per seller with a judged aim: seller (code), rivals, actions, looked_up, p_value.

    U is about the rival (how far it sold beyond its rank), so repeated aims at one rival are one
    finding: its most telling aim, Sidak-corrected for how many there were (a repricer cutting under the
    same rival again and again is one story). V is about the action (a look-up just before it), so each
    action is one finding: its most telling aim, Sidak-corrected for its candidates. Fisher's method
    over the seller's findings."""
    seller = aimed["seller"].to_numpy(dtype=np.int64)
    rival = seller * (int(aimed["aim_seller"].max()) + 1 if len(aimed) else 1) + aimed["aim_seller"].to_numpy(np.int64)
    rivals, p_rival = _sidak_min(rival, aimed["p_units"].to_numpy(dtype=float))
    actions, p_action = _sidak_min(aimed["action"].to_numpy(dtype=np.int64), aimed["p_lookup"].to_numpy(dtype=float))
    seller_of_action = pd.Series(seller, index=aimed["action"].to_numpy()).groupby(level=0).first()
    finding_seller = np.concatenate([rivals // (int(aimed["aim_seller"].max()) + 1 if len(aimed) else 1),
                                     seller_of_action.reindex(actions).to_numpy(dtype=np.int64)])
    log_p = np.log(np.concatenate([p_rival, p_action]))
    is_rival = np.r_[np.ones(rivals.size, dtype=bool), np.zeros(actions.size, dtype=bool)]
    per_seller = pd.DataFrame({"seller": finding_seller, "log_p": log_p, "rival": is_rival, "action": ~is_rival}) \
        .groupby("seller").agg(log_p=("log_p", "sum"), findings=("log_p", "size"), rivals=("rival", "sum"),
                               actions=("action", "sum"))
    seen = aimed.loc[aimed["session"] > 0, ["seller", "action"]].drop_duplicates()["seller"].value_counts()
    per_seller["looked_up"] = seen.reindex(per_seller.index, fill_value=0).to_numpy()
    per_seller["p_value"] = stats.chi2.sf(-2 * per_seller["log_p"], 2 * per_seller["findings"])
    return per_seller.reset_index()


def find(ctx: ScoringContext) -> SignalResult:
    m = ctx.product_matrices
    if len(m.products) == 0 or len(m.days) < 7 * SALES_WEEKS + LAUNCH_WEEK:
        return SignalResult.empty()
    aimed, looks = judged_aims(ctx)
    if aimed.empty:
        return SignalResult.empty()
    per_seller = seller_p_values(aimed)
    n_tests = len(per_seller)
    candidates = per_seller[per_seller["p_value"] <= report_limit(n_tests, FDR)]
    ids, products = seller_ids(ctx), m.products["product_id"].to_numpy()
    reported = aimed[aimed["seller"].isin(candidates["seller"])]
    reported = reported.assign(seller_id=ids[reported["seller"].to_numpy(np.int64)],
                               aim_seller_id=ids[reported["aim_seller"].to_numpy(np.int64)],
                               aim_product_id=products[reported["aim_row"].to_numpy(np.int64)])
    by_seller = dict(tuple(reported.groupby("seller")))
    rows = [_evidence_row(ctx, c, ids[c.seller], by_seller[c.seller], looks) for c in candidates.itertuples()]
    return SignalResult(pd.DataFrame(rows, columns=list(EVIDENCE_COLUMNS)), n_tests)


def _who_looked(looks: pd.DataFrame | None, aim) -> str:
    """Plain words for the telling look-ups of one aim before its action."""
    if looks is None:
        return ""
    day = int(aim["day_idx"])
    seen = looks[(looks["seller_id"] == aim["aim_seller_id"])
                 & ((looks["product_idx"] < 0) | (looks["product_idx"] == int(aim["aim_row"])))
                 & (looks["day_idx"] >= day - LOOKUP_DAYS) & (looks["day_idx"] < day)]
    if seen.empty:
        return ""
    employees = pd.unique(seen["employee_id"].astype(str))
    who = f"employee {employees[0]}" if len(employees) == 1 else f"{len(employees)} employees"
    days = day - int(seen["day_idx"].max())
    return f"; {who} looked up that rival's figures {days} day{'s' if days != 1 else ''} before"


def _evidence_row(ctx: ScoringContext, c, seller_id: str, own: pd.DataFrame, looks: pd.DataFrame | None) -> dict:
    m = ctx.product_matrices
    p = own[["p_units", "p_lookup"]].to_numpy(dtype=float)
    tests = (~np.isnan(p)).sum(axis=1)
    log_p = np.where(np.isnan(p), 0.0, np.log(np.clip(p, 1e-300, 1.0))).sum(axis=1)
    own = own.assign(p_aim=np.where(tests > 0, stats.chi2.sf(-2 * log_p, 2 * np.maximum(tests, 1)), 1.0))
    best = own.sort_values(["p_aim", "day_idx"]).iloc[0]  # the most telling aim: U and V together
    day = m.days[int(best["day_idx"])].date()
    product_id = m.products["product_id"].iat[int(best["row"])]
    what = "launched" if best["launch"] else "cut the price of"
    units = float(best["units"])
    implied = float(best["implied_units"]) if np.isfinite(best["z"]) else np.nan  # a leader's rank implies no volume
    sentence = (f"{what} {product_id} on {day} priced {100 * (1 - np.exp(-best['undercut'])):.0f}% under "
                f"{best['aim_seller_id']}'s {best['aim_product_id']}, number {int(best['units_position'])} in "
                f"its category by internal sales and {int(best['rank_position'])} by public rank")
    if np.isfinite(units) and np.isfinite(implied):
        sentence += (f"; it sold {units:,.0f} units in the 4 weeks before, {(units + 1) / (implied + 1):.1f}x what "
                     f"its public rank implied")
    sentence += _who_looked(looks, best)
    if c.actions > 1:
        beyond = int(own.loc[own["z"] >= 1, "aim_seller"].nunique())
        sentence += (f"; {c.actions} of its launches and price cuts undercut top sellers ({beyond} of "
                     f"{own['aim_seller'].nunique()} rivals selling more than their public rank showed), "
                     f"{c.looked_up} of them just after a look-up of the rival's figures")
    return {
        "seller_id": seller_id,
        "signal": NAME,
        "changepoint_date": day,
        "before": implied if np.isfinite(implied) else np.nan,
        "after": units if np.isfinite(units) else np.nan,
        "effect": float(best["z"]) if np.isfinite(best["z"]) else np.nan,
        "p_value": float(c.p_value),
        "measure": "units the aimed rival sold in the 4 weeks before: implied by its public sales rank -> "
                   "actual (internal figure)",
        "product_id": product_id,
        "related_seller_id": best["aim_seller_id"],
        "detail": sentence,
    }
