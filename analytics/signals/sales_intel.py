"""Sales intelligence: launches and price cuts aimed at the rivals whose internal sales are highest.

Staff sold sellers the internal ``units_sold`` figures that the marketplace never shows. A seller
who bought them can aim its new products and price cuts at the rivals that really sell, which the
public sales rank only hints at; often soon after an employee looked up exactly those rivals.
Honest sellers aim too, but only by what they can see: ordinary launches often price just under the
category leader, and category managers look up top sellers' figures in sittings, so:

1. Actions: a product launch (its price over its first week), or a sustained price cut (the price
   steps down at least 5% and the week after is at least 10% below the two weeks before).
2. Aim: the rival product (another seller's, same category) the new price undercuts most narrowly,
   by at most 15%. An action that undercuts no rival is not aimed at anyone and is not judged.
3. U, sales beyond rank: how much more the aimed rival sold in the four weeks before than its public
   rank implied, read off its nearest rivals in rank (the standardised residual of ln(1 + units) on
   mean relative rank, fitted to them alone over the same weeks). The null is every other seller's
   aims in the marketplace (empirical p-value with +1), so whatever honest aiming does to z
   (aiming at leaders, at rising products) is in the baseline. Needs ``MIN_NULL_ACTIONS`` of them.
4. V, staff look-up (only where access_log has rows): the aimed rival's sales figures were looked up
   in the 30 days before by a selective sitting (an employee's day that looked up at most
   ``SELECTIVE_SELLERS`` sellers of the category: a category manager reviewing all top sellers in
   one sitting is aiming at no one), against the share of the rivals nearest to it in rank that were
   so looked up then. The count of aims so looked up is a Poisson-binomial tail.

One hypothesis per seller: Fisher's combination of U (itself Fisher over its distinct aims: one per
rival) and V, which are independent by design. A single lucky aim is never enough on its own.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analytics import queries
from analytics.scoring.context import ScoringContext
from analytics.signals import EVIDENCE_COLUMNS, SignalResult
from analytics.signals.rivalry import (DayCounter, WindowMeans, positions, report_limit, staff_touches,
                                       successes_tail, window_mean_at)

NAME = "sales_intel"
TITLE = "Launches and price cuts aimed at rivals' hidden sales"
COLOR = "#9467bd"
CORE = True
FDR = 0.05
WEIGHT = 1.0

LAUNCH_WEEK = 7  # days over which a launch price is read
CUT_STEP = np.log(0.95)  # a price cut starts with a step down of at least 5%
CUT_SUSTAINED = np.log(0.90)  # and the week after is at least 10% under the two weeks before
CUT_GAP = 28  # cuts of one product closer together than this are one cut
MAX_UNDERCUT = -np.log(0.85)  # aims: a rival priced at most 15% above the new price
RIVAL_PRICE_DAYS = 14  # rival prices are read over the two weeks before the action
SALES_WEEKS = 4  # the aimed rival's units and public rank are read over the four whole weeks before
MIN_RANKED_DAYS = 14  # days ranked in those weeks for a product to count
MIN_FIT_PRODUCTS = 6  # rank neighbours with sales needed to say what the aim's rank implies
MIN_NULL_ACTIONS = 30  # other sellers' aims needed for an empirical null of sales beyond rank
LOOKUP_DAYS = 30  # a staff look-up of the aimed rival counts in the days before the action
BAND = 10  # rivals nearest in rank whose look-ups make the baseline
SELECTIVE_SELLERS = 3  # a sitting that looked up more sellers of a category than this is a review
ROW_CHUNK = 20_000  # rows of the price matrix handled at once (memory)


# --- actions -------------------------------------------------------------------------------------------

def launches(ctx: ScoringContext) -> pd.DataFrame:
    """Launches with a known first-week price, late enough that rivals have a month of history."""
    m = ctx.product_matrices
    products = m.products
    launched = pd.to_datetime(products["launched_on"])
    day = ((launched - pd.Timestamp(m.days[0])).dt.days).to_numpy()
    rows = np.flatnonzero((day >= 7 * SALES_WEEKS) & (day <= len(m.days) - 3))
    if rows.size == 0:
        return pd.DataFrame(columns=["row", "day_idx", "log_price", "kind"])
    price, observed = window_mean_at(m.log_price, products["product_idx"].to_numpy()[rows], day[rows], LAUNCH_WEEK)
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
    if n_days < RIVAL_PRICE_DAYS + LAUNCH_WEEK:
        return empty
    step = np.empty((min(ROW_CHUNK, n_rows), n_days - 1))
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
    judged = (day >= RIVAL_PRICE_DAYS) & (day + LAUNCH_WEEK <= n_days)
    row, day = row[judged], day[judged]
    if row.size == 0:
        return empty
    before, n_before = window_mean_at(prices, row, day - RIVAL_PRICE_DAYS, RIVAL_PRICE_DAYS)
    after, n_after = window_mean_at(prices, row, day, LAUNCH_WEEK)
    with np.errstate(invalid="ignore"):
        sustained = (after - before <= CUT_SUSTAINED) & (n_before >= 7) & (n_after >= 5)
    cuts = pd.DataFrame({"row": row[sustained], "day_idx": day[sustained], "log_price": after[sustained]})
    cuts = cuts.sort_values(["row", "day_idx"])
    # A launch's introductory pricing is not a cut; one cut per product per CUT_GAP days.
    launched = (pd.to_datetime(m.products["launched_on"]) - pd.Timestamp(m.days[0])).dt.days.to_numpy()
    cuts = cuts[cuts["day_idx"] - launched[cuts["row"].to_numpy()] > CUT_GAP]
    first = (cuts["row"] != cuts["row"].shift()) | (cuts["day_idx"].diff() > CUT_GAP)
    return cuts[first.to_numpy()].assign(kind="price cut")


# --- aims and the aimed rivals' sales beyond rank ------------------------------------------------------

def weekly_units(ctx: ScoringContext, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Internal units sold per week for the product matrix ``rows`` asked for: (the rows, sorted and
    unique; a rows x weeks matrix, NaN = not listed that week)."""
    m = ctx.product_matrices
    rows = np.unique(np.asarray(rows, dtype=np.int64))
    units = np.full((rows.size, len(m.days) // 7 + 1), np.nan)
    if rows.size == 0:
        return rows, units
    cells = ctx.con.execute(queries.load("targeting_weekly_units"),
                            {"as_of": ctx.as_of, "first_day": ctx.first_day,
                             "product_rows": rows.tolist()}).fetchnumpy()
    units[np.searchsorted(rows, np.asarray(cells["product_idx"])), np.asarray(cells["week"])] = \
        np.asarray(cells["units"], dtype=float)
    return rows, units


def _segment_search(segment: np.ndarray, value: np.ndarray, seg_of_query: np.ndarray, query: np.ndarray
                    ) -> np.ndarray:
    """For arrays sorted by (segment, value): the position of the first entry of each query's segment
    whose value is >= the query (may be the next segment's start: check the segment)."""
    # Values are shifted into disjoint ranges per segment, so one sorted search serves all segments.
    span = float(np.nanmax(np.abs(np.concatenate([value, query])))) * 2 + 1 if value.size else 1.0
    return np.searchsorted(segment * span + value, seg_of_query * span + query, side="left")


def aims(ctx: ScoringContext, actions: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Each aimed action with the rival product its price undercuts most narrowly (aim_row) and the
    undercut; and, aligned with the rows, the BAND rivals nearest the aim in public rank (matrix rows,
    the aim first, -1 padding) with that rank. Rival prices are read over the two whole weeks before the
    action's week, public ranks over the four: per category and week the listed rivals are sorted once
    by price and once by rank, and every action of that week is a binary search (categories can hold
    thousands of products and thousands of actions)."""
    m = ctx.product_matrices
    products = m.products
    actions = actions.astype({"row": np.int64, "day_idx": np.int64, "log_price": float}).reset_index(drop=True)
    sellers = pd.factorize(products["seller_id"])[0]
    categories = products["category"].to_numpy()
    actions = actions.assign(category=categories[actions["row"].to_numpy()],
                             seller=sellers[actions["row"].to_numpy()], week=actions["day_idx"] // 7)
    rows_of = products.groupby("category").indices
    found, bands, band_ranks = [], [], []
    for category, own in actions.groupby("category", sort=False):
        rows = rows_of[category]
        weeks = np.unique(own["week"].to_numpy())
        start = 7 * weeks[None, :]
        local = np.arange(rows.size)[:, None]
        price, n_price = WindowMeans(m.log_price[rows])(local, start - RIVAL_PRICE_DAYS, start)  # rows x weeks
        rank, n_rank = WindowMeans(m.rel_rank[rows])(local, start - 7 * SALES_WEEKS, start)
        listed = (n_price >= 5) & (n_rank >= MIN_RANKED_DAYS)
        r, w = np.nonzero(listed)  # listed (row, week) cells
        if r.size == 0:
            continue
        # Sorted by (week, price) and by (week, rank).
        by_price = np.lexsort((price[r, w], w))
        by_rank = np.lexsort((rank[r, w], w))
        rank_position = np.empty_like(by_rank)
        rank_position[by_rank] = np.arange(by_rank.size)
        week_start = np.searchsorted(w[by_rank], np.arange(weeks.size), side="left")
        week_stop = np.searchsorted(w[by_rank], np.arange(weeks.size), side="right")
        action_week = np.searchsorted(weeks, own["week"].to_numpy())
        position = _segment_search(w[by_price], price[r, w][by_price], action_week, own["log_price"].to_numpy())
        # The first rival at or above the new price that is not the seller's own product (a few steps).
        aim_cell = np.full(len(own), -1)
        pending = np.ones(len(own), dtype=bool)
        for _ in range(6):
            inside = pending & (position < by_price.size)
            cell = by_price[np.minimum(position, by_price.size - 1)]
            inside &= w[cell] == action_week
            mine = inside & (sellers[rows[r[cell]]] == own["seller"].to_numpy())
            found_now = inside & ~mine
            aim_cell[found_now] = cell[found_now]
            pending &= ~found_now & inside
            position = position + 1
        undercut = np.where(aim_cell >= 0, price[r[aim_cell], w[aim_cell]] - own["log_price"].to_numpy(), np.inf)
        aimed = (aim_cell >= 0) & (undercut >= 0) & (undercut <= MAX_UNDERCUT)
        if not aimed.any():
            continue
        cells = aim_cell[aimed]
        # The band: the aim and the rivals next to it in rank that week.
        centre = rank_position[cells]
        lowest, highest = week_start[w[cells]], week_stop[w[cells]]
        first = np.clip(centre - BAND // 2, lowest, np.maximum(highest - BAND, lowest))
        offsets = first[:, None] + np.arange(BAND)[None, :]
        valid = offsets < highest[:, None]
        band_cells = by_rank[np.minimum(offsets, by_rank.size - 1)]
        band_cells = np.where(valid & (band_cells != cells[:, None]), band_cells, -1)
        band_cells = _aim_first(np.column_stack([cells, band_cells]))  # the aim, then its neighbours
        cell = np.maximum(band_cells, 0)
        band_rows = np.where(band_cells >= 0, rows[r[cell]], -1)
        band_rank = np.where(band_cells >= 0, rank[r[cell], w[cell]], np.nan)
        bands.append(band_rows)
        band_ranks.append(band_rank)
        found.append(own[aimed].assign(aim_row=rows[r[cells]], undercut=undercut[aimed]))
    if not found:
        return actions.iloc[0:0].assign(aim_row=[], undercut=[]), np.empty((0, BAND), int), np.empty((0, BAND))
    aimed = pd.concat(found, ignore_index=True)
    band, band_rank = np.concatenate(bands), np.concatenate(band_ranks)
    aimed["seller_id"] = products["seller_id"].to_numpy()[aimed["row"].to_numpy()]
    aimed["aim_product_id"] = products["product_id"].to_numpy()[aimed["aim_row"].to_numpy()]
    aimed["aim_seller_id"] = products["seller_id"].to_numpy()[aimed["aim_row"].to_numpy()]
    aimed = aimed.drop(columns=["seller", "week"])
    # One judgement per (seller, rival): repeated cuts at the same rival are one aim, the first.
    keep = aimed.sort_values("day_idx", kind="stable").drop_duplicates(["seller_id", "aim_seller_id"]).index
    keep = np.sort(keep.to_numpy())
    return aimed.loc[keep].reset_index(drop=True), band[keep], band_rank[keep]


def _aim_first(cells: np.ndarray) -> np.ndarray:
    """Rows of (aim, neighbours with -1 gaps): the aim, then the neighbours in order, gaps at the end,
    BAND wide."""
    rest = cells[:, 1:]
    order = np.argsort(rest < 0, axis=1, kind="stable")  # valid ones first, in their order
    return np.column_stack([cells[:, 0], np.take_along_axis(rest, order, axis=1)])[:, :BAND]


def units_beyond_rank(ctx: ScoringContext, aimed: pd.DataFrame, band: np.ndarray, band_rank: np.ndarray
                      ) -> pd.DataFrame:
    """``aimed`` with the aimed rival's units over the four whole weeks before the action's week, the
    units its public rank implied, and z, the standardised surprise. What a rank implies is read off
    its nearest neighbours in rank (the band without the aim: a line of ln(1 + units) on mean relative
    rank, fitted to them alone), so the aim's own sales never set its own yardstick."""
    week = (aimed["day_idx"].to_numpy() // 7)[:, None]
    daily = getattr(ctx.product_matrices, "units", None)
    if daily is not None:  # the scoring matrices carry units: read the windows straight off them
        start = np.broadcast_to(7 * (week - SALES_WEEKS), band.shape)
        mean, days = window_mean_at(daily, np.maximum(band, 0).ravel(), start.ravel(), 7 * SALES_WEEKS)
        sold, listed_share = (mean * days).reshape(band.shape), (days / (7 * SALES_WEEKS)).reshape(band.shape)
    else:  # otherwise weekly sums of just the products asked for
        rows, weekly = weekly_units(ctx, band[band >= 0])
        cumulative = np.hstack([np.zeros((rows.size, 1)), np.nancumsum(weekly, axis=1)])
        listed = np.hstack([np.zeros((rows.size, 1)), np.cumsum(~np.isnan(weekly), axis=1)])
        first = np.clip(week - SALES_WEEKS, 0, weekly.shape[1])
        last = np.clip(week, 0, weekly.shape[1])
        at = np.searchsorted(rows, np.maximum(band, 0))
        sold = cumulative[at, last] - cumulative[at, first]
        listed_share = (listed[at, last] - listed[at, first]) / SALES_WEEKS
    usable = (band >= 0) & (listed_share >= 0.5) & np.isfinite(band_rank) & np.isfinite(sold)
    y, x = np.log1p(sold), band_rank
    fit = usable.copy()
    fit[:, 0] = False  # the aim is judged against the others
    n = fit.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx = np.where(fit, x, 0.0).sum(axis=1) / n
        my = np.where(fit, y, 0.0).sum(axis=1) / n
        sxx = np.where(fit, (x - mx[:, None]) ** 2, 0.0).sum(axis=1)
        sxy = np.where(fit, (x - mx[:, None]) * (y - my[:, None]), 0.0).sum(axis=1)
        slope = np.where(sxx > 1e-9, sxy / sxx, 0.0)  # rivals of one rank: their mean is the yardstick
        predicted = my[:, None] + slope[:, None] * (x - mx[:, None])
        sd = np.sqrt(np.where(fit, (y - predicted) ** 2, 0.0).sum(axis=1) / (n - 2))
        z = (y[:, 0] - predicted[:, 0]) / sd
    ok = usable[:, 0] & (n >= MIN_FIT_PRODUCTS) & (sd > 0)
    return aimed.assign(units=np.where(usable[:, 0], sold[:, 0], np.nan),
                        implied_units=np.where(ok, np.expm1(predicted[:, 0]), np.nan),
                        z=np.where(ok, z, np.nan))


def sales_beyond_rank(aimed: pd.DataFrame) -> pd.DataFrame:
    """``aimed`` with p_units: the share of the other sellers' aims whose rival sold at least as far
    beyond its rank (with +1), NaN where z is unknown or too few other aims make a baseline."""
    aimed = aimed.assign(p_units=np.nan)
    judged = aimed["z"].notna().to_numpy()
    z = aimed.loc[judged, "z"].to_numpy()
    if z.size == 0:
        return aimed
    at_least = z.size - np.searchsorted(np.sort(z), z, side="left")
    own = pd.DataFrame({"seller": aimed.loc[judged, "seller_id"].to_numpy(), "z": z})
    own_at_least = own.groupby("seller")["z"].rank(ascending=False, method="max").to_numpy()
    others = z.size - own.groupby("seller")["z"].transform("size").to_numpy()
    p = (1 + at_least - own_at_least) / (1 + others)
    aimed.loc[judged, "p_units"] = np.where(others >= MIN_NULL_ACTIONS, np.clip(p, 0, 1), np.nan)
    return aimed


# --- V: staff look-ups of the aimed rival ----------------------------------------------------------------

def selective_lookups(touches: pd.DataFrame) -> pd.DataFrame | None:
    """Look-ups of sellers' sales figures made in selective sittings: an employee's day in a category
    that touched at most SELECTIVE_SELLERS sellers. A category manager's review of all top sellers in
    one sitting is not aimed at anyone. None when there is no access log."""
    if touches.empty:
        return None
    # Looks at sales figures where the log says so; otherwise any view (the touches keep ordinary
    # views only when no action of the log is a look at sales figures).
    looks = touches[touches["kind"].isin(["sales", "view"])].dropna(subset=["seller_id", "category"])
    sitting = looks.groupby(["employee_id", "day_idx", "category"])["seller_id"].transform("nunique")
    return looks[sitting <= SELECTIVE_SELLERS]


class LookupCounter:
    """Look-ups of a product's figures in day windows: those naming the product, plus those of its
    whole seller."""

    def __init__(self, looks: pd.DataFrame, products: pd.DataFrame):
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


def lookups(looks: pd.DataFrame | None, products: pd.DataFrame, aimed: pd.DataFrame,
            band: np.ndarray) -> pd.DataFrame:
    """``aimed`` with looked_up (1 if the aimed rival's figures were looked up in the LOOKUP_DAYS before
    the action) and band_share (the share of its band looked up then): the chance of a look-up at a
    rival like it. Both NaN where there is no access log."""
    aimed = aimed.assign(looked_up=np.nan, band_share=np.nan)
    if looks is None:
        return aimed
    counter = LookupCounter(looks, products)
    day = aimed["day_idx"].to_numpy()
    hit = counter.count(aimed["aim_row"].to_numpy(), day - LOOKUP_DAYS, day) > 0
    in_band = band >= 0
    band_hit = counter.count(np.where(in_band, band, 0), (day - LOOKUP_DAYS)[:, None], day[:, None]) > 0
    sizes = in_band.sum(axis=1)
    aimed["looked_up"] = hit.astype(float)
    aimed["band_share"] = np.where(sizes > 0, (band_hit & in_band).sum(axis=1) / np.maximum(sizes, 1), np.nan)
    return aimed


# --- the signal ---------------------------------------------------------------------------------------------

def find(ctx: ScoringContext) -> SignalResult:
    m = ctx.product_matrices
    if len(m.products) == 0 or len(m.days) < 7 * SALES_WEEKS + LAUNCH_WEEK:
        return SignalResult.empty()
    actions = pd.concat([launches(ctx), price_cuts(ctx)], ignore_index=True)
    if actions.empty:
        return SignalResult.empty()
    aimed, band, band_rank = aims(ctx, actions)
    if aimed.empty:
        return SignalResult.empty()
    aimed = sales_beyond_rank(units_beyond_rank(ctx, aimed, band, band_rank))
    looks = selective_lookups(staff_touches(ctx))
    aimed = lookups(looks, m.products, aimed, band)

    # Per seller: Fisher over its aims' p_units, and the look-up count against its chances.
    aimed["log_p_units"] = np.log(np.clip(aimed["p_units"], 1e-300, 1.0))
    judged_v = aimed["looked_up"].notna() & aimed["band_share"].notna()
    per_seller = aimed.assign(
        judged_units=aimed["p_units"].notna(),
        lookups_judged=judged_v,
        hit=aimed["looked_up"].where(judged_v, 0.0),
        chance=aimed["band_share"].where(judged_v, 0.0),
    ).groupby("seller_id").agg(
        units_aims=("judged_units", "sum"), log_p=("log_p_units", "sum"),
        lookup_aims=("lookups_judged", "sum"), lookups=("hit", "sum"), expected=("chance", "sum"))
    per_seller["p_units"] = np.where(per_seller["units_aims"] > 0,
                                     stats.chi2.sf(-2 * per_seller["log_p"], 2 * per_seller["units_aims"]), np.nan)
    tail = successes_tail(aimed[judged_v], "seller_id", "looked_up", "band_share")
    per_seller["p_lookup"] = tail["p"].reindex(per_seller.index)  # NaN: no look-up could be judged
    # U and V are independent by design and both usually informative: Fisher's method.
    p = per_seller[["p_units", "p_lookup"]].to_numpy()
    available = (~np.isnan(p)).sum(axis=1)
    statistic = -2 * np.nansum(np.log(np.clip(p, 1e-300, 1.0)), axis=1)
    per_seller["p_value"] = np.where(available > 0, stats.chi2.sf(statistic, 2 * np.maximum(available, 1)), np.nan)
    per_seller = per_seller[available > 0].reset_index()
    n_tests = len(per_seller)

    candidates = per_seller[per_seller["p_value"] <= report_limit(n_tests, FDR)]
    by_seller = dict(tuple(aimed[aimed["seller_id"].isin(candidates["seller_id"])].groupby("seller_id")))
    looks_of = {}
    if looks is not None:  # only the look-ups an evidence sentence can name, by seller looked up
        named = aimed[aimed["seller_id"].isin(candidates["seller_id"]) & (aimed["looked_up"] == 1)]
        looks = looks[looks["seller_id"].isin(named["aim_seller_id"])]
        looks_of = {seller: frame for seller, frame in looks.groupby("seller_id", observed=True)}
    rows = [_evidence_row(ctx, c, by_seller[c.seller_id], looks_of) for c in candidates.itertuples()]
    return SignalResult(pd.DataFrame(rows, columns=list(EVIDENCE_COLUMNS)), n_tests)


def _evidence_row(ctx: ScoringContext, c, own: pd.DataFrame, looks_of: dict) -> dict:
    m = ctx.product_matrices
    # The most telling aim: smallest p for sales beyond rank, a look-up breaking ties.
    own = own.assign(order_p=own["p_units"].fillna(1.0) * np.where(own["looked_up"] == 1,
                                                                   own["band_share"].fillna(1.0), 1.0))
    best = own.sort_values(["order_p", "day_idx"]).iloc[0]
    day = m.days[int(best["day_idx"])].date()
    product_id = m.products["product_id"].iat[int(best["row"])]
    what = "launched" if best["kind"] == "launch" else "cut the price of"
    sentence = (f"{what} {product_id} on {day} priced {100 * (1 - np.exp(-best['undercut'])):.0f}% under "
                f"{best['aim_seller_id']}'s {best['aim_product_id']}")
    if np.isfinite(best.get("units", np.nan)) and np.isfinite(best.get("implied_units", np.nan)):
        ratio = (best["units"] + 1) / (best["implied_units"] + 1)
        sentence += (f", a rival whose internal sales ({best['units']:,.0f} units in the 4 weeks before) were "
                     f"{ratio:.1f}x what its public rank implied")
    beyond = int((own["z"] >= 1).sum())
    if len(own) > 1 and beyond > 0:
        sentence += (f"; {beyond} of its {len(own)} aimed launches and price cuts went at rivals selling more "
                     f"than their public rank showed")
    if c.lookups > 0 and looks_of:
        looked = own[own["looked_up"] == 1]
        seen = [looks_of[seller] for seller in set(looked["aim_seller_id"]) if seller in looks_of]
        seen = pd.concat(seen) if seen else pd.DataFrame(columns=["product_idx", "day_idx", "employee_id"])
        seen = seen[(seen["product_idx"] < 0) | seen["product_idx"].isin(looked["aim_row"])]
        seen = seen[(seen["day_idx"] < looked["day_idx"].max()) &
                    (seen["day_idx"] >= looked["day_idx"].min() - LOOKUP_DAYS)]
        employees = seen["employee_id"].unique()
        who = f"employee {employees[0]}" if len(employees) == 1 else "staff"
        sentence += (f"; {who} looked up the aimed rival's figures in the {LOOKUP_DAYS} days before "
                     f"{len(looked)} of them")
    units, implied = best.get("units", np.nan), best.get("implied_units", np.nan)
    return {
        "seller_id": c.seller_id,
        "signal": NAME,
        "changepoint_date": day,
        "before": float(implied) if np.isfinite(implied) else np.nan,
        "after": float(units) if np.isfinite(units) else np.nan,
        "effect": float(best["z"]) if np.isfinite(best.get("z", np.nan)) else np.nan,
        "p_value": float(c.p_value),
        "measure": "units the aimed rival sold in the 4 weeks before: implied by its public sales rank -> "
                   "actual (internal figure)",
        "product_id": product_id,
        "related_seller_id": best["aim_seller_id"],
        "detail": sentence,
    }
