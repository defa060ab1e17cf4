"""Sales intelligence: launches and price cuts aimed at listings whose internal sales an employee pulled.

Staff sold sellers the internal ``units_sold`` figures the marketplace never shows (DOMAIN.md, "Sales
intelligence"). The trace is the link between a look-up and an action: an employee pulls the sales
figures of a handful of listings, often in a category their own work never touches, and days to weeks
later one seller launches or cuts a price against exactly those listings, often more than once. Honest
staff and sellers do each half every day: category managers review their categories' top sellers
regularly, sometimes many in one sitting; ordinary launches price just under the category's leaders. So:

1. Actions: a product launch (its price over its first week), or a sustained price cut (the price
   steps down at least 5% and the week after is at least 10% below the two weeks before).
2. V, the link, judged by the looking employee's own history (``unusual_lookups``): each look-up of
   sales figures gets its rarity, the share of that employee's earlier logged work (every action before
   that day, any kind) that was looking up this category's figures, shrunk towards the team's share. No
   filter on session size or on "regulars": a manager's sitting in their own category is usual for them
   however large; a moderator or another category's analyst pulling this category's figures is rare.
   An action is linked to an unusual look-up (rarity at most ``UNUSUAL``) of another seller's listing in
   its category priced within 15% of its new price either way, made 1 to ``MAX_LAG`` days before.
   The delay is not fixed: a link's score multiplies the look-up's rarity, its delay (a share of four
   months), the price gap and, where the looking employee also acted for the acting seller between as
   long before the look-up as the action came after it and the action (one dealing: an insider checks
   the buyer's account or pulls its figures beside the rivals'), the chance of such a touch given how
   many of the category's sellers that employee touched then (``StaffContacts``; 1 without a touch)
   (``link_p_values``); the action's tightest link is judged against every
   other seller's actions (empirical p-value with +1: whatever honest launching near unusual look-ups
   does, in a busy category or after a sweep, is in the baseline; within its category). A seller's actions: Fisher
   (independent under the null; one lucky link is never enough).
3. U, sales beyond rank (``sales_beyond_rank``): the aims are the category's top sellers by internal
   units that the new price undercuts by at most 15%; U is how far an aim's units exceeded what its
   public rank implied, against the other sellers' aims. Only behind a premise check on the marketplace
   at hand (``premise_p``: do aimed rivals sell beyond their rank at all, over all actions?): where it
   fails, U carries no weight (NaN), so it can never dilute the link.

The seller's p-value is the min-p combination of V and U (whichever are present). Every tested seller's
p-value goes to ``SignalResult.tested``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analytics import queries
from analytics.scoring.context import ScoringContext
from analytics.signals import EVIDENCE_COLUMNS, SignalResult, tested_frame
from analytics.signals.combination import min_p_combination
from analytics.signals.rivalry import per_context, positions, report_limit, staff_touches, window_mean_at
from analytics.signals.staff_history import MIN_HISTORY

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
MAX_UNDERCUT = -np.log(0.85)  # aims: a rival priced at most 15% above the new price (links: either way)
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
PREMISE_P = 0.05  # U counts only where aimed rivals sell beyond their rank at this level, here
MAX_LAG = 112  # the longest look-up-to-action delay linked (days); shorter delays score as tighter links
PRIOR_ACTIONS = 1.0  # pseudo-actions of the team's mix a look-up's rarity is shrunk by
GAP_FLOOR = 0.01  # price gaps under 1% are all "exactly" (prices are noisy at that scale)
PAIR_CELLS = 2_000_000  # (action, look-up) cells paired at a time: bounded memory in large categories
UNUSUAL = 0.1  # look-ups at most this usual for their employee are linked (pruning: usual ones tell little)
UNUSUAL_SHARE = 0.05  # and at most the log's most unusual twentieth (pairs grow with a category's size squared)
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


@per_context
def prices_before_week(ctx: ScoringContext) -> np.ndarray:
    """Per product row and week w, the mean log price over the PRICE_WEEKS whole weeks before week w
    (float32, NaN where it was not listed then): what a launch or cut in week w is priced against, as
    ``standings`` reads it, looked up once per (listing, action) pair instead of re-averaged."""
    m = ctx.product_matrices
    n_weeks = len(m.days) // 7 + 1
    price_sum, price_days = _weekly_cumulative(m.log_price, n_weeks)
    weeks = np.arange(n_weeks + 1)
    days = _between(price_days, weeks, PRICE_WEEKS)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(days > 0, _between(price_sum, weeks, PRICE_WEEKS) / days, np.nan).astype(np.float32)


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
    found, top_z = [], []
    for category, mine in pd.Series(np.arange(row.size)).groupby(category_of_row[row]).indices.items():
        weeks = np.unique(week[mine])
        cells = standings(ctx, np.asarray(rows_of[category]), weeks)
        top = np.flatnonzero(cells["top"])
        if top.size == 0:
            continue
        top_z.append(cells["z"][top])
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
    aimed = aimed.sort_values(["day_idx", "action", "undercut"], kind="stable").reset_index(drop=True)
    # What any top seller shows in the category-weeks with actions: the premise check's reference.
    aimed.attrs["top_z"] = np.concatenate(top_z) if top_z else np.empty(0)
    return aimed


@per_context
def seller_codes(ctx: ScoringContext) -> np.ndarray:
    """Per product row, its seller as an integer code (index into ``seller_ids``)."""
    return pd.factorize(ctx.product_matrices.products["seller_id"])[0].astype(np.int64)


@per_context
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


# --- the premise of U: do aimed rivals sell beyond their rank at all, here? ---------------------------------

def premise_p(aimed: pd.DataFrame) -> float:
    """Whether, on this marketplace, the rivals that launches and price cuts aim at sell beyond what their
    public rank shows at all, more than top sellers do anyway (picking the top by units favours listings
    that sell beyond their rank, so the reference is every top seller of the category-weeks with actions,
    not 0): a one-sided rank-sum test of the aims' z (one value per seller and rival, the mean of its aims,
    so a repricer does not count many times) against the top sellers' z. Where it fails, a rival's sales
    beyond its rank says nothing about who knew them, and U carries no weight (NaN)."""
    judged = aimed[aimed["z"].notna()]
    top_z = np.asarray(aimed.attrs.get("top_z", np.empty(0)), dtype=float)
    top_z = top_z[np.isfinite(top_z)]
    if judged.empty or top_z.size < MIN_NULL_ACTIONS:
        return np.nan
    z = judged.groupby(["seller", "aim_seller"])["z"].mean().to_numpy(dtype=float)
    if z.size < MIN_NULL_ACTIONS:
        return np.nan
    return float(stats.mannwhitneyu(z, top_z, alternative="greater").pvalue)


# --- V: the look-up-to-action link, judged by the looking employee's own history ----------------------------

def unusual_lookups(ctx: ScoringContext) -> pd.DataFrame | None:
    """Every look-up of sales figures with how usual it was for the employee who made it: rarity, the
    share of that employee's earlier logged work (every action before that day, of any kind) that was
    looking up this category's sales figures, shrunk by PRIOR_ACTIONS pseudo-actions towards the team's
    share; NaN where the employee had done fewer than MIN_HISTORY actions before (no history to judge
    by). A category manager's routine sitting is usual for them however many sellers it takes in; an
    employee pulling a category's figures their own work never touched is not, however few. Only the
    past counts ("a category they had not touched for months"), so a look-up is judged as it stood on
    its day and the run never needs labels. None without an access log."""
    touches = staff_touches(ctx)
    if touches.empty:
        return None
    looks = touches[touches["kind"].isin(["sales", "view"])].dropna(subset=["seller_id", "category"])
    looks = looks[["employee_id", "day_idx", "seller_id", "product_idx", "category"]].reset_index(drop=True)
    if looks.empty:
        return looks.assign(rarity=pd.Series(dtype=float), past_in_category=0, past_actions=0)
    employees = looks["employee_id"].cat.categories
    employee = looks["employee_id"].cat.codes.to_numpy(np.int64)
    category = looks["category"].cat.codes.to_numpy(np.int64)
    day = looks["day_idx"].to_numpy(np.int64)
    # Actions of any kind per employee before each day.
    work = ctx.query("sales_intel_staff_days")
    work_employee = positions(employees, work["employee_id"])
    work = work[work_employee >= 0].assign(e=work_employee[work_employee >= 0])
    work = work.sort_values(["e", "day_idx"])
    before = work.groupby("e")["actions"].cumsum().to_numpy() - work["actions"].to_numpy()
    work_key = work["e"].to_numpy(np.int64) * (1 << 21) + (work["day_idx"].to_numpy(np.int64) + (1 << 20))
    look_key = employee * (1 << 21) + (day + (1 << 20))
    at = np.clip(np.searchsorted(work_key, look_key), 0, max(work_key.size - 1, 0))
    past_actions = np.where(work_key[at] == look_key, before[at], 0.0) if work_key.size else np.zeros(day.size)
    # Look-ups of this category's figures by the employee before that day.
    n_categories = len(looks["category"].cat.categories)
    session = (employee * n_categories + category) * (1 << 21) + (day + (1 << 20))
    keys, first, per_session = np.unique(session, return_inverse=True, return_counts=True)
    pair = keys // (1 << 21)
    cumulative = np.cumsum(per_session) - per_session
    pair_start = cumulative[np.searchsorted(pair, pair, side="left")]
    past_in_category = (cumulative - pair_start)[first]
    total_work = max(float(work["actions"].sum()), float(len(looks)))
    team = np.bincount(category, minlength=n_categories) / total_work
    rarity = (past_in_category + PRIOR_ACTIONS * team[category]) / (past_actions + PRIOR_ACTIONS)
    rarity = np.where(past_actions >= MIN_HISTORY, rarity, np.nan)
    return looks.assign(rarity=rarity, past_in_category=past_in_category, past_actions=past_actions,
                        session_size=per_session[first])


LINK_COLUMNS = ("action", "look", "lag", "gap", "rarity", "aim_row", "contact", "score")


class StaffContacts:
    """Which sellers each employee touched on which days (any logged action naming the seller or one of
    its products, views of accounts included), to ask of a link: did the employee who pulled the rivals'
    figures also act for the seller who then aimed at them, and how likely was that by chance?

    ``share(employee, seller, category, start, stop)``: NaN where the employee did not touch the seller
    on days [start, stop]; otherwise the chance of such a touch (capped at 1): the employee's touches of
    the category's sellers over those days, times this seller's share of all staff's touches of the
    category's sellers (a big seller draws more attention than a small one), plus the touches of this seller
    the employee's own work makes in so many days elsewhere in the log. A category manager touching half
    the category in a fortnight, or an account manager who looks after this seller every week, makes a
    touch unremarkable; an employee who touched two of the category's sellers, and this one never
    before or after, does not (and a seller's repeated actions are not linked by one habit again and
    again)."""

    DAY = 1 << 21  # day keys: day_idx + OFFSET fits below this (the log may start before the data)
    OFFSET = 1 << 20

    def __init__(self, ctx: ScoringContext):
        cells = ctx.con.execute(queries.load("sales_intel_staff_contacts"),
                                {"as_of": ctx.as_of, "first_day": ctx.first_day}).fetchnumpy()
        products = ctx.product_matrices.products
        sorted_sellers = np.sort(pd.unique(products["seller_id"]).astype(object))
        code_of_sorted = positions(seller_ids(ctx), sorted_sellers)
        employee = np.asarray(cells["employee_idx"], dtype=np.int64)
        seller = code_of_sorted[np.asarray(cells["seller_idx"], dtype=np.int64)]
        day = np.asarray(cells["day_idx"], dtype=np.int64) + self.OFFSET
        self.n_sellers = int(len(sorted_sellers))
        self.log_days = int(day.max() - day.min() + 1) if day.size else 1
        self.pair_keys = np.sort((employee * self.n_sellers + seller) * self.DAY + day)
        # Which (employee, seller) pairs ever touched, one bit each: most pairs a link asks about never
        # did, and a bit lookup answers them without searching the dated keys.
        n_pairs = (int(employee.max()) + 1 if employee.size else 0) * self.n_sellers
        self.ever = np.zeros((n_pairs + 7) // 8, dtype=np.uint8)
        pair = employee * self.n_sellers + seller
        np.bitwise_or.at(self.ever, pair >> 3, (1 << (pair & 7)).astype(np.uint8))
        # Per (employee, category, day): sellers of the category touched, cumulated in key order.
        categories, category_of_row = np.unique(products["category"].to_numpy(dtype=object), return_inverse=True)
        self.categories = pd.Index(categories)
        listed = pd.DataFrame({"seller": seller_codes(ctx), "category": category_of_row}).drop_duplicates()
        # How much staff attention each seller draws (touch-days, any employee), and each category's
        # sellers together: a big seller is touched far more often than a small one by chance.
        self.seller_touches = np.bincount(seller, minlength=self.n_sellers).astype(float) + 1.0
        self.category_touches = np.bincount(listed["category"], weights=self.seller_touches[listed["seller"]],
                                            minlength=len(categories))
        touched = pd.DataFrame({"employee": employee, "seller": seller, "day": day}) \
            .merge(listed, on="seller")
        key = (touched["employee"].to_numpy(np.int64) * len(categories) + touched["category"].to_numpy(np.int64)) \
            * self.DAY + touched["day"].to_numpy(np.int64)
        self.count_keys, counts = np.unique(key, return_counts=True)
        self.cumulative = np.cumsum(counts)

    def _count_through(self, key: np.ndarray) -> np.ndarray:
        at = np.searchsorted(self.count_keys, key, side="right")
        return np.where(at > 0, self.cumulative[np.maximum(at - 1, 0)], 0)

    def share(self, employee, seller, category, start, stop) -> np.ndarray:
        employee, seller, category = (np.asarray(a, dtype=np.int64) for a in (employee, seller, category))
        out = np.full(employee.size, np.nan)
        pair = employee * self.n_sellers + seller
        inside = pair < self.ever.size * 8
        ever = np.zeros(employee.size, dtype=bool)
        ever[inside] = (self.ever[pair[inside] >> 3] >> (pair[inside] & 7)) & 1 == 1
        asked = np.flatnonzero(ever)
        if asked.size == 0:
            return out
        employee, category, pair = employee[asked], category[asked], pair[asked]
        lo = np.asarray(start, dtype=np.int64)[asked] + self.OFFSET
        hi = np.asarray(stop, dtype=np.int64)[asked] + self.OFFSET
        in_span_days = (np.searchsorted(self.pair_keys, pair * self.DAY + hi, side="right")
                        - np.searchsorted(self.pair_keys, pair * self.DAY + lo, side="left"))
        touched = in_span_days > 0
        all_days = (np.searchsorted(self.pair_keys, (pair + 1) * self.DAY, side="left")
                    - np.searchsorted(self.pair_keys, pair * self.DAY, side="left"))
        span = hi - lo + 1
        habit = (all_days - in_span_days) / np.maximum(self.log_days - span, 1) * span
        base = (employee * len(self.categories) + category) * self.DAY
        in_span = self._count_through(base + hi) - self._count_through(base + lo - 1)
        seller = pair % self.n_sellers
        attention = self.seller_touches[seller] / np.maximum(self.category_touches[category], 1.0)
        chance = np.minimum(in_span * attention + habit, 1.0)
        out[asked] = np.where(touched, chance, np.nan)
        return out


@per_context
def staff_contacts(ctx: ScoringContext) -> StaffContacts:
    return StaffContacts(ctx)


def links(ctx: ScoringContext, actions: pd.DataFrame, looks: pd.DataFrame) -> pd.DataFrame:
    """Each action's tightest link (``_tightest_in_order``) among the (action, unusual look-up) pairs that
    could be its source: the look-up named a listing of another seller in the action's category (a look-up of a whole seller names all its listings
    there), made 1 to MAX_LAG days before the action, priced within MAX_UNDERCUT of the action's new
    price either way (the listing it was aimed against). Only look-ups with rarity at most UNUSUAL, and
    among the log's UNUSUAL_SHARE most unusual, are paired (a pruning for speed: an action whose only
    sources are usual look-ups has nothing to link).
    Per category: the pairs are a small matrix there."""
    m = ctx.product_matrices
    empty = pd.DataFrame({c: pd.Series(dtype=float) for c in LINK_COLUMNS})
    rarity = looks["rarity"].to_numpy(float)
    known = rarity[np.isfinite(rarity)]
    cutoff = min(UNUSUAL, float(np.quantile(known, UNUSUAL_SHARE))) if known.size else UNUSUAL
    looks = looks[looks["rarity"] <= cutoff]
    if looks.empty or actions.empty:
        return empty
    seller_of_row = seller_codes(ctx)
    categories = pd.Index(looks["category"].cat.categories)
    category_of_row = categories.get_indexer(m.products["category"])
    # Listings looked up: named products, or every listing of the named seller in that category.
    look_category = looks["category"].cat.codes.to_numpy(np.int64)
    named = looks["product_idx"].to_numpy(np.int64)
    whole = np.flatnonzero(named < 0)
    look_of, listing = np.flatnonzero(named >= 0), named[named >= 0]
    if whole.size:
        codes = positions(seller_ids(ctx), looks["seller_id"].to_numpy()[whole])
        rows = pd.DataFrame({"seller": seller_of_row, "category": category_of_row,
                             "row": np.arange(len(m.products))})
        wanted = pd.DataFrame({"look": whole, "seller": codes, "category": look_category[whole]})
        expanded = wanted.merge(rows, on=["seller", "category"])
        look_of = np.concatenate([look_of, expanded["look"].to_numpy(np.int64)])
        listing = np.concatenate([listing, expanded["row"].to_numpy(np.int64)])
    listing_category = category_of_row[listing]
    look_rarity = looks["rarity"].to_numpy(float)
    look_employee = looks["employee_id"].cat.codes.to_numpy(np.int64)
    contacts = staff_contacts(ctx)
    contact_category = contacts.categories.get_indexer(categories)
    rival_prices = prices_before_week(ctx)
    look_day = looks["day_idx"].to_numpy(np.int64)[look_of]
    row = actions["row"].to_numpy(np.int64)
    day = actions["day_idx"].to_numpy(np.int64)
    price = actions["log_price"].to_numpy(float)
    action_category = category_of_row[row]
    found = []
    by_category = pd.Series(np.arange(listing.size)).groupby(listing_category).indices
    for c, mine in pd.Series(np.arange(row.size)).groupby(action_category).indices.items():
        theirs = by_category.get(c)
        if c < 0 or theirs is None:
            continue
        # A large category has tens of thousands of actions and look-ups: pair them a block of actions
        # at a time, so memory is bounded by the block, not by the category.
        per_block = max(1, PAIR_CELLS // max(len(theirs), 1))
        their_day = look_day[theirs].astype(np.int16)
        their_seller = seller_of_row[listing[theirs]]
        for lo in range(0, len(mine), per_block):
            block = mine[lo:lo + per_block]
            lag = day[block].astype(np.int16)[:, None] - their_day[None, :]
            a, k = np.nonzero((lag >= 1) & (lag <= MAX_LAG))  # grouped by action, in order
            if a.size == 0:
                continue
            pair_lag = lag[a, k].astype(np.int64)
            del lag
            keep = seller_of_row[row[block[a]]] != their_seller[k]
            action, j, pair_lag = block[a[keep]], theirs[k[keep]], pair_lag[keep]
            gap = rival_prices[listing[j], day[action] // 7] - price[action]
            near = np.abs(gap) <= MAX_UNDERCUT
            if near.any():
                action, j, pair_lag, gap = action[near], j[near], pair_lag[near], gap[near]
                look = look_of[j]
                # Did the looking employee also act for this seller, from as long before the look-up as
                # the action came after it, up to the action? (One dealing: the insider checks the buyer.)
                contact = contacts.share(look_employee[look], seller_of_row[row[action]],
                                         np.full(action.size, contact_category[c]), look_day[j] - pair_lag,
                                         day[action])
                found.append(_tightest_in_order(action, look, pair_lag, gap, listing[j], look_rarity[look],
                                                np.nan_to_num(contact, nan=1.0)))
    if not found:
        return empty
    # One row per action already: each action is paired within one category and one block.
    paired = pd.concat(found, ignore_index=True)
    # "look" names the row of the full look-up table (its index), not of the unusual ones kept here.
    return paired.assign(look=looks.index.to_numpy()[paired["look"].to_numpy(np.int64)])


def link_score(rarity, lag, gap, contact=1.0) -> np.ndarray:
    """A link's score: the product of four shares, each at most 1 and smaller where the link is tighter
    (see ``link_p_values``)."""
    return (np.asarray(rarity, dtype=float) * np.asarray(lag, dtype=float) / MAX_LAG
            * np.maximum(np.abs(np.asarray(gap, dtype=float)), GAP_FLOOR) / MAX_UNDERCUT
            * np.asarray(contact, dtype=float))


def _tightest_in_order(action, look, lag, gap, aim_row, rarity, contact) -> pd.DataFrame:
    """Each action's tightest link only (the one ``link_p_values`` judges), for pairs grouped by action
    as a block's pairs come: each group's smallest score, ties to the shorter lag, found in one pass
    without sorting (a large category pairs an action with thousands of look-ups, and all but one are
    dropped as soon as they are found)."""
    score = link_score(rarity, lag, gap, contact)
    key = score * (1 + lag * 1e-9)  # the score decides; among equal scores the shorter lag (relative: scores are tiny)
    starts = np.flatnonzero(np.r_[True, action[1:] != action[:-1]])
    best = np.minimum.reduceat(key, starts)
    group = np.cumsum(np.r_[True, action[1:] != action[:-1]]) - 1
    hit = np.flatnonzero(key == best[group])
    first = hit[np.r_[True, group[hit][1:] != group[hit][:-1]]]
    return pd.DataFrame({"action": action[first], "look": look[first], "lag": lag[first], "gap": gap[first],
                         "aim_row": aim_row[first], "rarity": rarity[first], "contact": contact[first],
                         "score": score[first]})


def _empirical_p(score: np.ndarray, seller: np.ndarray, stratum: np.ndarray) -> np.ndarray:
    """Per action, the share of the other sellers' actions in its stratum (its category) whose score is at
    most as large (lower = more telling), with +1: the null is what the category's other sellers' actions
    show, so whatever honest launching near unusual look-ups does there (a busy category, a category an
    insider serving others keeps looking at, a sweep) is in it. Infinite score: p = 1."""
    frame = pd.DataFrame({"score": np.where(np.isfinite(score), score, np.finfo(float).max),
                          "seller": seller, "stratum": stratum})
    at_most = frame.groupby("stratum")["score"].rank(method="max").to_numpy()
    size = frame.groupby("stratum")["score"].transform("size").to_numpy()
    own_at_most = frame.groupby(["stratum", "seller"])["score"].rank(method="max").to_numpy()
    own = frame.groupby(["stratum", "seller"])["score"].transform("size").to_numpy()
    p = (1 + at_most - own_at_most) / (1 + size - own)
    return np.where(np.isfinite(score), np.clip(p, 0.0, 1.0), 1.0)


def link_p_values(actions: pd.DataFrame, paired: pd.DataFrame, seller: np.ndarray,
                  category: np.ndarray) -> pd.DataFrame:
    """Per action: p_link and the link that decided it (look, lag, rarity, aim_row, gap, contact; -1 /
    NaN for none), from ``links``' tightest link per action. A link's score is the product of four shares,
    each at most 1 and smaller where the link is tighter: how usual the look-up was for its employee
    (rarity), how long before the action it came (lag / MAX_LAG: days to weeks, never a fixed window),
    how far the action's price is from the looked-up listing's (|gap| / MAX_UNDERCUT, floored at
    GAP_FLOOR: "against exactly those listings") and the chance of the employee's touch of the seller
    (contact, 1 without one). p_link is its empirical p-value against the other sellers' actions in its
    category, so the null calibrates whatever the product does."""
    n = len(actions)
    best = paired
    score = np.full(n, np.inf)
    score[best["action"].to_numpy(np.int64)] = best["score"].to_numpy(float)
    out = pd.DataFrame({"p_link": _empirical_p(score, seller, category), "look": -1, "lag": np.nan, "rarity": np.nan,
                        "aim_row": -1, "gap": np.nan, "contact": np.nan})
    idx = best["action"].to_numpy(np.int64)
    for column in ("look", "lag", "rarity", "aim_row", "gap", "contact"):
        out.loc[idx, column] = best[column].to_numpy()
    return out


# --- the signal ---------------------------------------------------------------------------------------------

def judged_actions(ctx: ScoringContext) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None, float]:
    """The actions with p_link (NaN without an access log), every (action, aim) pair with p_units, the
    look-ups (None without a log), and the premise test's p-value for U."""
    actions = pd.concat([launches(ctx), price_cuts(ctx)], ignore_index=True)
    actions["row"] = actions["row"].astype(np.int64)
    actions["day_idx"] = actions["day_idx"].astype(np.int64)
    actions = actions.reset_index(drop=True)
    actions["seller"] = seller_codes(ctx)[actions["row"].to_numpy(np.int64)]
    looks = unusual_lookups(ctx)
    if actions.empty:
        aimed = sales_beyond_rank(pd.DataFrame({c: pd.Series(dtype=float) for c in AIM_COLUMNS}))
        return actions.assign(p_link=np.nan), aimed, looks, np.nan
    aimed = sales_beyond_rank(aims(ctx, actions))
    if looks is None:
        linked = actions.assign(p_link=np.nan, look=-1, lag=np.nan, rarity=np.nan, aim_row=-1, gap=np.nan,
                                contact=np.nan)
    else:
        paired = links(ctx, actions, looks)
        category = pd.factorize(ctx.product_matrices.products["category"])[0][actions["row"].to_numpy(np.int64)]
        linked = pd.concat([actions, link_p_values(actions, paired, actions["seller"].to_numpy(), category)], axis=1)
    return linked, aimed, looks, premise_p(aimed)


def _sidak_min(group: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per distinct ``group`` key (NaN p-values left out): (the key, its smallest p-value,
    Sidak-corrected for the group's size)."""
    judged = ~np.isnan(p)
    keys, inverse, size = np.unique(group[judged], return_inverse=True, return_counts=True)
    smallest = np.ones(keys.size)
    np.minimum.at(smallest, inverse, p[judged])
    return keys, np.clip(-np.expm1(size * np.log1p(-np.minimum(smallest, 1 - 1e-12))), 1e-300, 1.0)


def seller_p_values(linked: pd.DataFrame, aimed: pd.DataFrame, premise: float) -> pd.DataFrame:
    """One row per tested seller: seller (code), actions, linked (actions with a look-up link), p_link
    (Fisher over the seller's actions, independent under the null: a buyer acts on bought figures "often
    more than once"; one lucky link among many actions is never enough), p_units (U: Fisher over its rivals, each rival's most telling aim
    Sidak-corrected for their number; NaN where the premise fails here) and p_value (min-p over the two
    present). A seller none of whose actions could be judged either way is not tested."""
    by_seller = linked.groupby("seller")["p_link"]
    log_p = np.log(np.clip(linked["p_link"].to_numpy(float), 1e-300, 1.0))
    per_seller = pd.DataFrame({
        "actions": by_seller.size(),
        "linked": linked.assign(has=linked["p_link"] < 1).groupby("seller")["has"].sum(),
        "smallest": by_seller.min(),
        "log_p": pd.Series(log_p, index=linked.index).groupby(linked["seller"]).sum(),
    })
    n = per_seller["actions"].to_numpy(float)
    fisher = stats.chi2.sf(-2 * per_seller["log_p"].to_numpy(float), 2 * n)
    per_seller["p_link"] = np.where(per_seller["smallest"].notna(), fisher, np.nan)
    per_seller["p_units"] = np.nan
    if len(aimed) and np.isfinite(premise) and premise < PREMISE_P:
        seller = aimed["seller"].to_numpy(dtype=np.int64)
        width = int(aimed["aim_seller"].max()) + 1
        rivals, p_rival = _sidak_min(seller * width + aimed["aim_seller"].to_numpy(np.int64),
                                     aimed["p_units"].to_numpy(dtype=float))
        u = pd.DataFrame({"seller": rivals // width, "log_p": np.log(p_rival)}).groupby("seller")["log_p"] \
            .agg(["sum", "size"])
        p_units = pd.Series(stats.chi2.sf(-2 * u["sum"], 2 * u["size"]), index=u.index)
        per_seller["p_units"] = p_units.reindex(per_seller.index)
    per_seller["p_value"] = min_p_combination(per_seller[["p_link", "p_units"]].to_numpy(float))
    return per_seller[per_seller["p_value"].notna()].rename_axis("seller").reset_index()


def find(ctx: ScoringContext) -> SignalResult:
    m = ctx.product_matrices
    if len(m.products) == 0 or len(m.days) < 7 * SALES_WEEKS + LAUNCH_WEEK:
        return SignalResult.empty()
    linked, aimed, looks, premise = judged_actions(ctx)
    if linked.empty:
        return SignalResult.empty()
    per_seller = seller_p_values(linked, aimed, premise)
    n_tests = len(per_seller)
    ids = seller_ids(ctx)
    tested = tested_frame(ids[per_seller["seller"].to_numpy(np.int64)], per_seller["p_value"].to_numpy())
    candidates = per_seller[per_seller["p_value"] <= report_limit(n_tests, FDR)]
    own_actions = dict(tuple(linked[linked["seller"].isin(candidates["seller"])].groupby("seller")))
    own_aims = dict(tuple(aimed[aimed["seller"].isin(candidates["seller"])].groupby("seller")))
    rows = [_evidence_row(ctx, c, ids, own_actions[c.seller], own_aims.get(c.seller), looks)
            for c in candidates.itertuples()]
    return SignalResult(pd.DataFrame(rows, columns=list(EVIDENCE_COLUMNS)), n_tests, tested)


def _evidence_row(ctx: ScoringContext, c, ids: np.ndarray, actions: pd.DataFrame, aimed: pd.DataFrame | None,
                  looks: pd.DataFrame | None) -> dict:
    """The seller's most telling action in words: what it launched or repriced, against whose listing, and
    who had looked that listing up how many days before, with how unusual that was for them."""
    m = ctx.product_matrices
    products = m.products["product_id"].to_numpy()
    by_link = np.isfinite(c.p_link) and (not np.isfinite(c.p_units) or c.p_link <= c.p_units)
    if by_link:
        best = actions.sort_values(["p_link", "day_idx"]).iloc[0]
        what = "launched" if best["kind"] == "launch" else "cut the price of"
        day = m.days[int(best["day_idx"])].date()
        aim_row = int(best["aim_row"])
        look = looks.iloc[int(best["look"])]
        gap = float(best["gap"])
        side = "under" if gap >= 0 else "over"
        employee, lag = str(look["employee_id"]), int(best["lag"])
        sentence = (f"{what} {products[int(best['row'])]} on {day} priced {100 * abs(1 - np.exp(-gap)):.0f}% {side} "
                    f"{ids[seller_codes(ctx)[aim_row]]}'s {products[aim_row]}; employee {employee} looked up that "
                    f"rival's figures {lag} day{'s' if lag != 1 else ''} before, in a category their own work had "
                    f"touched {int(look['past_in_category'])} time{'s' if int(look['past_in_category']) != 1 else ''}"
                    f" in {int(look['past_actions']):,} earlier logged actions")
        contact = float(best.get("contact", np.nan))
        if np.isfinite(contact) and contact < 1:
            sentence += (f"; the same employee also acted for this seller between then and the "
                         f"{'launch' if best['kind'] == 'launch' else 'cut'} (by chance, given how many of the "
                         f"category's sellers they touched then: {contact:.0%})")
        if c.actions > 1:
            sentence += (f"; {int(c.linked)} of its {int(c.actions)} launches and price cuts came after unusual "
                         f"look-ups of the listings they priced against")
        return {
            "seller_id": ids[c.seller], "signal": NAME, "changepoint_date": day,
            "before": float(look["past_in_category"]), "after": float(look["session_size"]),
            "effect": float(-np.log10(max(float(best["rarity"]), 1e-300))),
            "p_value": float(c.p_value),
            "measure": "the looking employee's look-ups of this category's sales figures: before that day -> that day",
            "product_id": products[int(best["row"])], "related_seller_id": ids[seller_codes(ctx)[aim_row]],
            "detail": sentence,
        }
    own = aimed.sort_values(["p_units", "day_idx"])
    best = own.iloc[0]
    day = m.days[int(best["day_idx"])].date()
    what = "launched" if best["launch"] else "cut the price of"
    units, implied = float(best["units"]), float(best["implied_units"])
    sentence = (f"{what} {products[int(best['row'])]} on {day} priced {100 * (1 - np.exp(-best['undercut'])):.0f}% "
                f"under {ids[int(best['aim_seller'])]}'s {products[int(best['aim_row'])]}, number "
                f"{int(best['units_position'])} in its category by internal sales and {int(best['rank_position'])} "
                f"by public rank; it sold {units:,.0f} units in the 4 weeks before, {(units + 1) / (implied + 1):.1f}x "
                f"what its public rank implied")
    beyond = int(own.loc[own["z"] >= 1, "aim_seller"].nunique())
    sentence += f"; {beyond} of the {own['aim_seller'].nunique()} top sellers it aimed at sold more than their rank showed"
    return {
        "seller_id": ids[c.seller], "signal": NAME, "changepoint_date": day,
        "before": implied, "after": units, "effect": float(best["z"]), "p_value": float(c.p_value),
        "measure": "units the aimed rival sold in the 4 weeks before: implied by its public sales rank -> "
                   "actual (internal figure)",
        "product_id": products[int(best["row"])], "related_seller_id": ids[int(best["aim_seller"])],
        "detail": sentence,
    }
