"""Daily sales: prices, ad spend, units sold, listing gaps and the category sales rank.

Works one category at a time on a products x days matrix, so memory stays bounded and the rank is a
column-wise sort.

The public sales rank is what a marketplace like Amazon publishes (its Best Sellers Rank): an order,
not a volume, computed from a recency-weighted average of recent sales, and only loosely tied to the
units a listing really sells. What it counts differs from units by a lasting factor per listing
(multi-unit and bulk orders, sales fulfilled off-site, returns), and the published figure jitters from
hour to hour. So a seller can read who sells well off the rank, but not how much, and
two listings a few places apart can sell very different volumes; that is what internal ``units_sold``
figures reveal and what insiders sell.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.signal import lfilter

from analytics.generator.market import Categories, Products, Sellers
from analytics.generator.scenarios import Plan, Targeted, work_ms
from analytics.generator.staff import Staff
from analytics.generator.timeline import Timeline

TOP_PER_WEEK = 30  # best sellers per category and week that category managers look at
RANK_HALF_LIFE = 3.0  # days: the rank weighs the last few days' sales most
RANK_BIAS_SD = 0.45  # log sd of the lasting factor between what the rank counts and units sold
RANK_JITTER_SD = 0.1  # log sd of the published rank's day-to-day jitter
LEADER_AIMED_SHARE = 0.3  # ordinary launches priced just under one of the visible leaders
VISIBLE_LEADERS = 5  # the best-ranked listings an ordinary launch may price under


@dataclass
class Sales:
    """One row per product per listed day (the product_daily table), plus what staff look at."""

    product: np.ndarray
    day: np.ndarray
    units: np.ndarray
    rank: np.ndarray          # 0 = not ranked that day (null in the export)
    price: np.ndarray         # float32 (cents are restored when written)
    ad_spend: np.ndarray      # float32; NaN = the seller does not advertise (null in the export)
    weekly_top: dict[int, np.ndarray] = field(default_factory=dict)  # category -> (weeks, TOP) products, -1 pad
    traces: list[tuple] = field(default_factory=list)

    def drop_prices_and_ranks(self) -> None:
        """Free the columns only the export needs, once it is written."""
        self.rank = self.price = self.ad_spend = None


def _windows(n: int, days: int, rows: np.ndarray, start: np.ndarray, end: np.ndarray, value: np.ndarray) -> np.ndarray:
    """(n, days) sum of ``value`` over each row's [start, end) windows."""
    diff = np.zeros((n, days + 1))
    start = np.clip(start, 0, days)
    end = np.clip(end, 0, days)
    np.add.at(diff, (rows, start), value)
    np.add.at(diff, (rows, end), -value)
    return np.cumsum(diff[:, :days], axis=1)


def _effect_matrix(effects: np.ndarray, local: np.ndarray, n: int, days: int) -> np.ndarray:
    out = np.zeros((n, days))
    t = np.arange(days)
    for product, start, amp, ramp, hold, tau, end in effects:
        rel = t - start
        shape = np.clip((rel + 1) / ramp, 0, 1) * np.exp(-np.maximum(rel - ramp - hold, 0) / tau)
        shape[(rel < 0) | (t >= end)] = 0
        out[local[int(product)]] += amp * shape
    return out


class _CategoryMarket:
    """The matrices of one category, kept so targeted launches can be re-simulated consistently."""

    def __init__(self, rng, tl: Timeline, cats: Categories, sellers: Sellers, products: Products,
                 c: int, idx: np.ndarray, effects: np.ndarray, cuts: np.ndarray, campaigns: np.ndarray,
                 blocked: np.ndarray, quiet: np.ndarray):
        D = tl.days
        n = idx.size
        self.rng, self.tl, self.idx, self.n = rng, tl, idx, n
        self.products = products
        local = np.full(products.n, -1, dtype=np.int64)
        local[idx] = np.arange(n)
        self.local = local
        t = np.arange(D)
        age = t[None, :] - products.launch_day[idx][:, None]
        self.exists = (age >= 0) & (t[None, :] < products.discontinue_day[idx][:, None])

        # A look-alike's listing keeps still around its own event, so that event is what moves it.
        calm = np.zeros(n, dtype=bool)
        calm_from = np.zeros(n, dtype=np.int64)
        calm_to = np.zeros(n, dtype=np.int64)
        for product, first, last in quiet:
            calm[local[product]] = True
            calm_from[local[product]], calm_to[local[product]] = first, last

        # Prices: permanent re-pricings, short sales, repricer jitter, the category's own sale.
        k = rng.poisson(4 * D / 365, n)
        rows = np.repeat(np.arange(n), k)
        moves = _windows(n, D, rows, rng.integers(0, D, rows.size), np.full(rows.size, D),
                         rng.normal(0, 0.05, rows.size))
        k = rng.poisson(3 * D / 365, n)
        rows = np.repeat(np.arange(n), k)
        start = rng.integers(0, D, rows.size)
        end = start + rng.integers(2, 8, rows.size)
        depth = np.log(1 - rng.uniform(0.08, 0.3, rows.size))
        keep = ~calm[rows] | (end <= calm_from[rows]) | (start >= calm_to[rows])
        moves += _windows(n, D, rows[keep], start[keep], end[keep], depth[keep])
        jitter = rng.random(n) < 0.25
        moves[jitter] += rng.normal(0, 0.015, (jitter.sum(), D))
        if cats.surge_start[c] >= 0:
            joins = np.flatnonzero(rng.random(n) < 0.4)
            moves += _windows(n, D, joins, np.full(joins.size, cats.surge_start[c]),
                              np.full(joins.size, cats.surge_end[c]), np.log(rng.uniform(0.8, 0.92, joins.size)))
        if len(cuts):
            moves += _windows(n, D, local[cuts[:, 0].astype(np.int64)], cuts[:, 1].astype(np.int64),
                              cuts[:, 3].astype(np.int64), np.log(cuts[:, 2]))
        self.log_ref = np.log(products.ref_price[idx])
        self.price_moves = moves

        # Ad spend: campaigns for sellers who advertise, in bursts of one to six weeks.
        revenue = products.base_demand[idx] * products.ref_price[idx]
        self.revenue = revenue
        advertiser = sellers.advertises[products.seller[idx]]
        k = np.where(advertiser, rng.poisson(4 * D / 365, n), 0)
        rows = np.repeat(np.arange(n), k)
        start = rng.integers(0, D, rows.size)
        end = start + rng.integers(7, 46, rows.size)
        spend = revenue[rows] * rng.uniform(0.03, 0.15, rows.size)
        keep = ~calm[rows] | (end <= calm_from[rows]) | (start >= calm_to[rows])
        budget = _windows(n, D, rows[keep], start[keep], end[keep], spend[keep])
        self.ad_beta = products.ad_beta[idx].copy()
        if len(campaigns):
            rows = local[campaigns[:, 0].astype(np.int64)]
            budget += _windows(n, D, rows, campaigns[:, 1].astype(np.int64), campaigns[:, 2].astype(np.int64),
                               campaigns[:, 3])
            self.ad_beta[rows] = campaigns[:, 4]
        spend = np.round(budget * rng.lognormal(0, 0.25, (n, D)), 2)
        self.ad_spend = np.where(advertiser[:, None], spend, np.nan)

        # Demand that price, ads and the scenarios do not touch.
        lifecycle = np.log1p(-0.9 * np.exp(-np.maximum(age, 0) / products.ramp_tau[idx][:, None]))
        phi = products.ar_phi[idx]
        sigma = products.ar_sigma[idx]
        shocks = rng.standard_normal((n, D)) * (sigma * np.sqrt(1 - phi**2))[:, None]
        ar = np.empty((n, D))
        ar[:, 0] = sigma * rng.standard_normal(n)
        for d in range(1, D):
            ar[:, d] = phi * ar[:, d - 1] + shocks[:, d]
        weekly = np.log(cats.weekly[c][tl.weekday])
        self.base_part = (np.log(products.base_demand[idx])[:, None] + cats.season_log[c][None, :]
                          + (products.season_gain[idx] - 1)[:, None] * cats.surge_log[c][None, :]
                          + weekly[None, :] + products.trend[idx][:, None] * (t / 365.0)[None, :]
                          + lifecycle + ar)
        self.effects = _effect_matrix(effects, local, n, D)
        self.noise = rng.gamma(3.0, 1 / 3.0, (n, D))

        # Listing gaps: out of stock for a few days now and then, export glitches, suspensions.
        k = rng.poisson(1.2 * D / 365, n)
        rows = np.repeat(np.arange(n), k)
        start = rng.integers(0, D, rows.size)
        out_of_stock = _windows(n, D, rows, start, start + rng.integers(1, 13, rows.size), np.ones(rows.size)) > 0
        self.listed = self.exists & ~out_of_stock & (rng.random((n, D)) >= 0.003)
        if len(blocked):
            down = _windows(n, D, local[blocked[:, 0]], blocked[:, 1], blocked[:, 2], np.ones(len(blocked))) > 0
            self.listed &= ~down
        self.units = self._draw(np.arange(n), 0)

        # What the public rank counts per unit sold: a lasting factor per listing (it does not wander on
        # its own, so a rank moves only when sales do).
        self.rank_factor = np.exp(rng.normal(0, RANK_BIAS_SD, n))

    def log_demand(self, rows: np.ndarray) -> np.ndarray:
        price_term = -self.products.elasticity[self.idx[rows]][:, None] * self.price_moves[rows]
        ads = np.nan_to_num(self.ad_spend[rows])
        ad_term = self.ad_beta[rows][:, None] * np.log1p(ads / (0.05 * self.revenue[rows][:, None]))
        return self.base_part[rows] + price_term + ad_term + self.effects[rows]

    def _draw(self, rows: np.ndarray, from_day: int) -> np.ndarray:
        lam = np.exp(self.log_demand(rows)[:, from_day:]) * self.noise[rows, from_day:]
        return np.where(self.exists[rows, from_day:], self.rng.poisson(lam), 0)

    def price(self, rows, day: int) -> np.ndarray:
        return np.exp(self.log_ref[rows] + self.price_moves[rows, day])

    def redraw(self, rows: np.ndarray, from_day: int) -> None:
        self.units[rows, from_day:] = self._draw(rows, from_day)

    def add_effect(self, row: int, start: int, amp: float, *, ramp: float, hold: float, tau: float) -> None:
        self.effects[row] += _effect_matrix(np.array([(self.idx[row], start, amp, ramp, hold, tau, 10**6)]),
                                            self.local, self.n, self.tl.days)[row]

    def sales_before(self, day: int, window: int) -> np.ndarray:
        """Units per product over the ``window`` days before ``day`` (what insiders can see)."""
        lo = max(0, day - window)
        return np.where(self.listed[:, lo:day], self.units[:, lo:day], 0).sum(axis=1)

    def rank_score(self) -> np.ndarray:
        """What the public rank sorts by, per product and day: a recency-weighted (exponentially
        decaying) average of the units the rank counts."""
        counted = np.where(self.listed, self.units, 0) * self.rank_factor[:, None]
        alpha = 1 - 0.5 ** (1 / RANK_HALF_LIFE)
        return lfilter([alpha], [1.0, -(1 - alpha)], counted, axis=1)

    def visible_leaders(self, day: int, exclude: np.ndarray, k: int, score: np.ndarray | None = None) -> np.ndarray:
        """The ``k`` rows with the best public standing over the week before ``day`` (what any seller
        can see), leaving out the rows ``exclude`` marks; best first. ``score``: ``rank_score()`` if
        already at hand."""
        score = self.rank_score() if score is None else score
        lo = max(0, day - 7)
        standing = np.where(exclude, -np.inf, score[:, lo:max(day, lo + 1)].mean(axis=1))
        return np.argsort(-standing, kind="stable")[:k]

    def ranks(self) -> np.ndarray:
        units = np.where(self.listed, self.units, 0)
        trailing = np.cumsum(units, axis=1)
        trailing[:, 7:] -= trailing[:, :-7].copy()
        ranked = self.listed & (trailing > 0) & (self.rng.random(units.shape) >= 0.002)
        jitter = np.exp(RANK_JITTER_SD * self.rng.standard_normal(units.shape))
        key = np.where(ranked, self.rank_score() * jitter, -1.0)
        order = np.argsort(-key, axis=0, kind="stable")
        rank = np.empty_like(order)
        np.put_along_axis(rank, order, np.arange(1, self.n + 1)[:, None], axis=0)
        return np.where(ranked, rank, 0).astype(np.int32)


def _log_lookup(m: _CategoryMarket, tg: Targeted, rng, tl: Timeline, staff: Staff, traces: list,
                target_rows: np.ndarray, sessions: bool) -> None:
    """The insider's look-up of the rivals' sales. Plainly, one line per listing at moments of their
    working day; with variant ``sessions``, in one sitting minutes apart, often among other listings
    of the category (a session of 1 to 40 listings like the honest ones)."""
    rows = target_rows
    if sessions and rng.random() < 0.6:
        size = int(np.clip(np.exp(rng.uniform(0, np.log(40))), rows.size, 40))
        others = np.setdiff1d(np.flatnonzero(m.exists[:, tg.lookup_day]), rows)
        if others.size and size > rows.size:
            standing = m.sales_before(tg.lookup_day, 7)[others].astype(float) + 1.0
            pad = rng.choice(others, min(size - rows.size, others.size), replace=False, p=standing / standing.sum())
            rows = rng.permutation(np.r_[rows, pad])
    if sessions:
        start = work_ms(rng, tl, staff, tg.employee, tg.lookup_day)
        when = start + np.cumsum(rng.integers(15_000, 240_000, rows.size))
    else:
        when = [work_ms(rng, tl, staff, tg.employee, tg.lookup_day) for _ in rows]
    for r, ms in zip(rows, when):
        traces.append((tg.employee, int(ms), "view_sales", int(m.products.seller[m.idx[r]]), int(m.idx[r])))


def _resolve(m: _CategoryMarket, tg: Targeted, plan_rng, tl: Timeline, staff: Staff, traces: list,
             labelled: np.ndarray, sessions: bool = False) -> None:
    """Price and size a launch or price cut from the rivals' figures, then re-simulate what changed."""
    products = m.products
    row = int(m.local[tg.product])
    own = products.seller[m.idx] == tg.seller
    # Rivals worth aiming at are ordinary sellers: a labelled look-alike stays a clean example.
    spoken_for = labelled[products.seller[m.idx]]
    look = tg.lookup_day if tg.lookup_day >= 0 else tg.act_day
    rng = plan_rng
    if tg.kind == "benign_launch":
        # The visible leader: the best-ranked listing of the past week (the rank is all it can see).
        leader = int(m.visible_leaders(tg.act_day, own, 1)[0])
        target_rows = np.array([leader])
        new_price = float(m.price([leader], tg.act_day - 1)[0] * rng.uniform(0.85, 0.98))
        recent = m.sales_before(tg.act_day, 7)
        base = max(recent[leader] / 7, 0.2) * np.exp(rng.uniform(np.log(0.03), np.log(0.5)))
        tau = rng.uniform(3, 30)
    else:
        # The rivals with the highest internal units over the month before the look-up.
        sold = np.where(own | spoken_for, -1, m.sales_before(look, 30))
        k = int(rng.integers(1, 4))
        target_rows = np.argsort(-sold, kind="stable")[:k]
        target_rows = target_rows[sold[target_rows] > 0]
        if target_rows.size == 0:
            target_rows = np.argsort(-sold, kind="stable")[:1]
        new_price = float(m.price(target_rows, look).min() * rng.uniform(0.88, 0.97))
        base = max(sold[target_rows].mean() / 30, 0.3) * rng.uniform(0.15, 0.6) * (0.5 + tg.strength)
        tau = rng.uniform(3, 10)
        for r in target_rows:
            m.add_effect(int(r), tg.act_day, -(0.05 + 0.2 * tg.strength), ramp=7, hold=30, tau=90)
        if tg.logged and tg.lookup_day >= 0:
            _log_lookup(m, tg, rng, tl, staff, traces, target_rows, sessions)
    if tg.kind == "intel_cut":
        current = float(m.price([row], tg.act_day - 1)[0])
        factor = min(new_price / current, 0.95)  # under the rival's price, and a visible cut
        m.price_moves[row, tg.act_day:] += np.log(factor)
        m.add_effect(row, tg.act_day, 0.15 + 0.4 * tg.strength, ramp=5, hold=30, tau=60)
    else:  # a new listing: set its price and size now that the rivals are known
        m.log_ref[row] = np.log(round(new_price, 2))
        m.price_moves[row] -= m.price_moves[row, tg.act_day]  # listed at exactly that price
        products.ref_price[tg.product] = round(new_price, 2)
        m.base_part[row] += np.log(base) - np.log(products.base_demand[tg.product])
        age = np.maximum(np.arange(tl.days) - tg.act_day, 0)
        old_tau = products.ramp_tau[tg.product]
        m.base_part[row] += np.log1p(-0.9 * np.exp(-age / tau)) - np.log1p(-0.9 * np.exp(-age / old_tau))
        products.base_demand[tg.product] = base
        products.ramp_tau[tg.product] = tau
    m.redraw(np.unique(np.r_[target_rows, row]), tg.act_day)


def _aim_ordinary_launches(m: _CategoryMarket, rng, labelled: np.ndarray, planned: np.ndarray) -> None:
    """Ordinary launches often price just under one of the category's visible leaders (the rank is
    what any seller can see). Only the price level is set: demand answers price changes, not the
    level, so nothing else moves. Labelled sellers and planned launches keep their own story."""
    products = m.products
    seller = products.seller[m.idx]
    launch = products.launch_day[m.idx]
    rows = np.flatnonzero((launch >= 7) & (launch < m.tl.days - 1) & ~labelled[seller] & ~np.isin(m.idx, planned))
    rows = rows[rng.random(rows.size) < LEADER_AIMED_SHARE]
    if rows.size == 0:
        return
    score = m.rank_score()
    for row in rows:
        day = int(launch[row])
        leaders = m.visible_leaders(day, seller == seller[row], VISIBLE_LEADERS, score)
        leader = int(rng.choice(leaders))
        price = round(float(m.price([leader], day - 1)[0] * rng.uniform(0.85, 0.99)), 2)
        m.log_ref[row] = np.log(max(price, 0.5)) - m.price_moves[row, day]
        products.ref_price[m.idx[row]] = round(float(np.exp(m.log_ref[row])), 2)


def simulate_sales(rng_for, tl: Timeline, cats: Categories, sellers: Sellers, products: Products,
                   plan: Plan, staff: Staff, blocked: dict[int, list[tuple[int, int]]], *,
                   sessions: bool = False) -> Sales:
    """``rng_for(name, c)`` returns the random generator for one category's draws."""
    D = tl.days
    effects = np.array(plan.effects, dtype=float).reshape(-1, 7)
    cuts = np.array(plan.price_cuts, dtype=float).reshape(-1, 4)
    campaigns = np.array(plan.campaigns, dtype=float).reshape(-1, 5)
    quiet = np.array(plan.quiet, dtype=np.int64).reshape(-1, 3)
    block_rows = []
    by_seller = np.argsort(products.seller, kind="stable")
    seller_start = np.searchsorted(products.seller[by_seller], np.arange(sellers.n))
    seller_end = np.searchsorted(products.seller[by_seller], np.arange(sellers.n), side="right")
    for seller, ranges in sorted(blocked.items()):
        for p in by_seller[seller_start[seller]:seller_end[seller]]:
            block_rows.extend((int(p), a, b) for a, b in ranges if b > a)
    blocked_arr = np.array(block_rows, dtype=np.int64).reshape(-1, 3)

    labelled = np.zeros(sellers.n, dtype=bool)
    labelled[list(plan.labels)] = True
    planned = np.array([t.product for t in plan.targeted], dtype=np.int64)
    parts = []
    weekly_top: dict[int, np.ndarray] = {}
    traces: list[tuple] = []
    for c in range(cats.n):
        idx = np.flatnonzero(products.category == c)
        if idx.size == 0:
            continue
        in_c = lambda arr: arr[products.category[arr[:, 0].astype(np.int64)] == c] if len(arr) else arr  # noqa: E731
        m = _CategoryMarket(rng_for("sales", c), tl, cats, sellers, products, c, idx, in_c(effects), in_c(cuts),
                            in_c(campaigns), in_c(blocked_arr), in_c(quiet))
        resolver_rng = rng_for("targeted", c)
        # In date order: each one re-simulates only from its own day, after what the earlier ones changed.
        for tg in sorted((t for t in plan.targeted if t.category == c), key=lambda t: (t.act_day, t.seller)):
            _resolve(m, tg, resolver_rng, tl, staff, traces, labelled, sessions)
        _aim_ordinary_launches(m, rng_for("launch_prices", c), labelled, planned)
        rank = m.ranks()
        units = np.where(m.listed, m.units, 0)
        weeks = D // 7
        weekly = units[:, : weeks * 7].reshape(m.n, weeks, 7).sum(axis=2)
        top = np.argsort(-weekly, axis=0, kind="stable")[:TOP_PER_WEEK].T
        weekly_top[c] = np.where(np.take_along_axis(weekly.T, top, axis=1) > 0, idx[top], -1)
        r, d = np.nonzero(m.listed)
        price = np.round(np.exp(m.log_ref[r] + m.price_moves[r, d]), 2)
        parts.append([idx[r].astype(np.int32), d.astype(np.int16), units[r, d].astype(np.int32),
                      rank[r, d], np.maximum(price, 0.5).astype(np.float32), m.ad_spend[r, d].astype(np.float32)])
        del m
    cols = []
    for i in range(6):  # column by column, letting go of the parts as they are joined
        cols.append(np.concatenate([part[i] for part in parts]))
        for part in parts:
            part[i] = None
    return Sales(*cols, weekly_top=weekly_top, traces=traces)
