"""Reviews: who writes them, what they rate, and who takes them down.

Organic reviews arrive in proportion to units sold, rated by the product's quality, from a customer
population whose members review in several categories. Removals come from customers, automated
filters and staff moderators (one by one and in sweeps). Then the scenarios act: bought bursts,
sabotage by sock-puppets, selective wipes of negative reviews, and honest clean-ups.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytics.generator.market import Categories, Products, rating_probabilities
from analytics.generator.sales import Sales
from analytics.generator.scenarios import Plan, work_ms, work_ms_many
from analytics.generator.staff import Staff
from analytics.generator.timeline import DAY_MS, HOUR_MS, MINUTE_MS, Timeline

NOT_REMOVED, BY_CUSTOMER, BY_AUTOMATED, BY_STAFF = range(4)
REMOVERS = (None, "customer", "automated", "staff")
# Share of reviews posted in each UTC hour: the marketplace's buyers are mostly in the Americas.
_HOUR_WEIGHT = np.array([6, 5, 4, 3, 2, 1.5, 1, 1, 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 5.5, 6, 6, 6.5, 7, 7, 7, 6.5])


@dataclass
class Reviews:
    product: np.ndarray
    reviewer: np.ndarray
    rating: np.ndarray
    created_ms: np.ndarray
    verified: np.ndarray
    removed_ms: np.ndarray     # -1 while shown
    removed_by: np.ndarray     # index into REMOVERS
    remover: np.ndarray        # employee for staff removals, -1 otherwise
    logged: np.ndarray         # the staff removal shows up in access_log
    n_reviewers: int

    @property
    def n(self) -> int:
        return len(self.product)

    def activity(self, products: Products, n_sellers: int) -> "ReviewActivity":
        """The little the access log needs, so the reviews themselves can be let go."""
        logged = np.flatnonzero((self.removed_by == BY_STAFF) & self.logged)
        return ReviewActivity(
            per_seller=np.bincount(products.seller[self.product], minlength=n_sellers),
            removal_employee=self.remover[logged], removal_ms=self.removed_ms[logged],
            removal_product=self.product[logged])


@dataclass
class ReviewActivity:
    per_seller: np.ndarray         # reviews per seller (moderators look where reviews are)
    removal_employee: np.ndarray   # staff removals that the moderation tool logged
    removal_ms: np.ndarray
    removal_product: np.ndarray


class _Population:
    """Customers who write reviews: a few very active, most with one or two; each shops in a handful
    of categories, so reviewers overlap across rival listings as they do on real sites."""

    def __init__(self, rng: np.random.Generator, cats: Categories, size: int):
        self.rng = rng
        self.size = size
        activity = np.minimum(rng.pareto(2.0, size) + 1, 150)
        self.verified_p = np.where(rng.random(size) < 0.9, rng.beta(12, 1.2, size), rng.beta(2, 3, size))
        extra = np.minimum(rng.poisson(1.0, size), 5)
        members = [np.arange(size)]
        cats_of = [rng.choice(cats.n, size, p=cats.weight)]
        for k in range(1, 6):
            who = np.flatnonzero(extra >= k)
            members.append(who)
            cats_of.append(rng.choice(cats.n, who.size, p=cats.weight))
        pairs = _distinct(np.concatenate(cats_of).astype(np.int64) * size + np.concatenate(members))
        self.cat_start = np.searchsorted(pairs // size, np.arange(cats.n + 1))
        self.member = (pairs % size).astype(np.int64)
        weight = activity[self.member]
        # Cumulative weights within each category, for sampling by activity.
        self.cum = np.empty_like(weight)
        for c in range(cats.n):
            lo, hi = self.cat_start[c], self.cat_start[c + 1]
            self.cum[lo:hi] = np.cumsum(weight[lo:hi]) / max(weight[lo:hi].sum(), 1e-12)

    def draw(self, category: int, count: int) -> np.ndarray:
        lo, hi = self.cat_start[category], self.cat_start[category + 1]
        if hi == lo:
            return self.rng.integers(0, self.size, count)
        pos = np.searchsorted(self.cum[lo:hi], self.rng.random(count))
        return self.member[lo + np.minimum(pos, hi - lo - 1)]


def _distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values: numpy's hash-based unique is far slower on millions of integers."""
    values = np.sort(values)
    return values[np.r_[True, values[1:] != values[:-1]]] if values.size else values


def _times(rng: np.random.Generator, tl: Timeline, day: np.ndarray) -> np.ndarray:
    hour = rng.choice(24, day.size, p=_HOUR_WEIGHT / _HOUR_WEIGHT.sum())
    ms = tl.day_ms(day) + hour * HOUR_MS + rng.integers(0, HOUR_MS, day.size)
    whole = rng.random(day.size) < 0.7  # most sources keep whole seconds
    return np.where(whole, ms // 1000 * 1000, ms)


def _organic(rng: np.random.Generator, tl: Timeline, products: Products, sales: Sales) -> tuple:
    count = rng.poisson(sales.units * products.review_rate[sales.product])
    rows = np.repeat(np.arange(sales.product.size), count)
    day = sales.day[rows].astype(np.int64) + rng.geometric(0.3, rows.size) - 1
    keep = day < tl.days
    rows, day = rows[keep], day[keep]
    product = sales.product[rows]
    created = _times(rng, tl, day)
    cum = np.cumsum(rating_probabilities(products.quality), axis=1)
    u = rng.random(product.size)
    rating = np.ones(product.size, dtype=np.int8)
    for k in range(4):
        rating += u > cum[product, k]
    return product, created, rating


def _dedupe(rng, pop: _Population, product: np.ndarray, reviewer: np.ndarray, category: np.ndarray,
            n_products: int) -> np.ndarray:
    """One review per customer and product: re-draw the customer for repeats once, then drop any
    repeat that remains. Returns the rows to keep."""
    def repeats() -> np.ndarray:
        key = reviewer.astype(np.int64) * n_products + product
        order = np.argsort(key)
        repeat = np.zeros(product.size, dtype=bool)
        repeat[order[1:]] = key[order[1:]] == key[order[:-1]]
        return repeat

    repeat = repeats()
    if repeat.any():
        rows = np.flatnonzero(repeat)
        for c in _distinct(category[rows]):
            mine = rows[category[rows] == c]
            reviewer[mine] = pop.draw(int(c), mine.size)
        repeat = repeats()
    return ~repeat


def _sort_key(product: np.ndarray, created_ms: np.ndarray, tl: Timeline) -> np.ndarray:
    """One int64 that orders reviews by product, then time."""
    return product.astype(np.int64) << 36 | (created_ms - tl.start_ms)


def simulate_reviews(rng_for, tl: Timeline, cats: Categories, products: Products, sales: Sales,
                     plan: Plan, staff: Staff, n_sellers: int) -> Reviews:
    rng = rng_for("reviews", 0)
    product, created, rating = _organic(rng, tl, products, sales)
    category = products.category[product].astype(np.int64)

    pop = _Population(rng_for("reviewers", 0), cats, max(500, int(product.size / 1.5)))
    reviewer = np.empty(product.size, dtype=np.int32)
    for c in range(cats.n):
        mine = np.flatnonzero(category == c)
        reviewer[mine] = pop.draw(c, mine.size)
    keep = np.flatnonzero(_dedupe(rng, pop, product, reviewer, category, products.n))
    # Rows arrive nearly in (product, time) order already, which a stable sort finishes quickly.
    keep = keep[np.argsort(_sort_key(product[keep], created[keep], tl), kind="stable")]
    product, created, rating, reviewer = (a[keep] for a in (product, created, rating, reviewer))
    del keep
    category = products.category[product].astype(np.int64)
    n = product.size
    prod_start = np.searchsorted(product, np.arange(products.n + 1))
    for burst in plan.bursts:  # once bought reviews stop, unhappy buyers show up
        lo = tl.day_ms(burst.day + burst.length + 30)
        rows = np.arange(prod_start[burst.product], prod_start[burst.product + 1])
        rows = rows[(created[rows] >= lo) & (created[rows] < lo + 60 * DAY_MS)]
        rating[rows[rng.random(rows.size) < burst.aftermath_one_star]] = 1
    verified = rng.random(n) < pop.verified_p[reviewer]

    removed_ms = np.full(n, -1, dtype=np.int64)
    removed_by = np.zeros(n, dtype=np.int8)
    remover = np.full(n, -1, dtype=np.int32)
    logged = np.zeros(n, dtype=bool)

    def remove(rows, when, by, employee=-1, log=False):
        ok = when <= tl.end_ms
        rows, when = rows[ok], np.asarray(when)[ok]
        removed_ms[rows] = when
        removed_by[rows] = by
        remover[rows] = np.asarray(employee)[ok] if np.ndim(employee) else employee
        logged[rows] = np.asarray(log)[ok] if np.ndim(log) else log

    # Ordinary removals, one review at a time.
    roll = rng.random(n)
    p_customer = 0.008
    p_filter = np.where(verified, 0.012, 0.06)
    p_staff = 0.006 * np.where((rating == 1) | (rating == 5), 1.3, 0.8)
    rows = np.flatnonzero(roll < p_customer)
    remove(rows, created[rows] + (rng.exponential(25, rows.size) * DAY_MS).astype(np.int64) + HOUR_MS,
           BY_CUSTOMER)
    rows = np.flatnonzero((roll >= p_customer) & (roll < p_customer + p_filter))
    remove(rows, created[rows] + (rng.exponential(1.5, rows.size) * DAY_MS).astype(np.int64) + 5 * MINUTE_MS,
           BY_AUTOMATED)
    rows = np.flatnonzero((roll >= p_customer + p_filter) & (roll < p_customer + p_filter + p_staff))
    # A moderator of the category's queue takes it down days later, during their working hours.
    employee = staff.moderators_for(rng, category[rows])
    day = (created[rows] - tl.start_ms) // DAY_MS + (rng.exponential(12, rows.size)).astype(np.int64)
    when = work_ms_many(rng, tl, staff, employee, day)
    when = np.where(when < created[rows] + HOUR_MS, when + DAY_MS, when)  # their next working day
    remove(rows, when, BY_STAFF, employee, rng.random(rows.size) < 0.7)

    def visible_at(rows: np.ndarray, ms: int) -> np.ndarray:
        return rows[(created[rows] < ms) & ((removed_ms[rows] < 0) | (removed_ms[rows] > ms))]

    def of_products(ps) -> np.ndarray:
        return np.concatenate([np.arange(prod_start[p], prod_start[p + 1]) for p in ps]) if len(ps) else \
            np.zeros(0, dtype=np.int64)

    # Staff sweeps of policy-breaking reviews (all ratings) on ordinary sellers' listings.
    unused_product = plan.unused[products.seller]
    sizes = np.diff(prod_start)
    sweepable = np.flatnonzero(unused_product & (sizes >= 15))
    sweep_cum = np.cumsum(sizes[sweepable], dtype=float)
    for _ in range(rng.poisson(0.006 * n_sellers * tl.days / 365) if sweepable.size else 0):
        p = int(sweepable[min(np.searchsorted(sweep_cum, rng.random() * sweep_cum[-1]), sweepable.size - 1)])
        day = int(rng.integers(min(30, tl.days - 1), tl.days))
        start = tl.day_ms(day)
        rows = visible_at(of_products([p]), start)
        rows = rows[created[rows] >= start - 90 * DAY_MS]
        pick = rows[rng.random(rows.size) < rng.uniform(0.3, 0.8) * np.where(rating[rows] == 5, 1.2, 0.9)][:40]
        employee = int(staff.moderators_for(rng, [products.category[p]])[0])
        when = work_ms(rng, tl, staff, employee, day) + np.sort(rng.integers(0, 2 * HOUR_MS, pick.size))
        remove(pick, when, BY_STAFF, employee, rng.random(pick.size) < 0.7)

    # Sellers report reviews they think break the rules (about shipping, abusive); staff agree now
    # and then and take down one to three negative ones: honest, and selective.
    negatives = np.flatnonzero(rating <= 2)
    neg_count = np.bincount(products.seller[product[negatives]], minlength=n_sellers)
    reporters = np.flatnonzero(plan.unused & (neg_count >= 8))
    reporters = reporters[rng.random(reporters.size) < 0.05 * tl.days / 365]
    neg_by_seller = negatives[np.argsort(products.seller[product[negatives]], kind="stable")]
    neg_start = np.searchsorted(products.seller[product[neg_by_seller]], np.arange(n_sellers + 1))
    for seller in reporters:
        day = int(rng.integers(min(30, tl.days - 1), tl.days))
        start = tl.day_ms(day)
        mine = visible_at(neg_by_seller[neg_start[seller]:neg_start[seller + 1]], start)
        pick = rng.permutation(mine)[: int(rng.integers(1, 4))]
        employee = int(staff.moderators_for(rng, [category[pick[0]] if pick.size else 0])[0])
        when = work_ms_many(rng, tl, staff, np.full(pick.size, employee), day + rng.integers(0, 3, pick.size))
        remove(pick, when, BY_STAFF, employee, rng.random(pick.size) < 0.7)

    # Spam-ring take-downs: the filter removes everything a flagged account has posted.
    flagged = rng.random(pop.size) < 0.002
    sweep_day = rng.integers(min(20, tl.days - 1), tl.days, pop.size)
    rows = np.flatnonzero(flagged[reviewer] & (created < tl.day_ms(sweep_day[reviewer])))
    remove(rows, tl.day_ms(sweep_day[reviewer[rows]]) + 3 * HOUR_MS + rng.integers(0, 30 * MINUTE_MS, rows.size),
           BY_AUTOMATED)

    # --- scenarios: removals of organic reviews ---------------------------------------------------
    for wipe in plan.wipes:
        start = tl.day_ms(wipe.day)
        mine = of_products(wipe.products)
        negative = mine[rating[mine] <= 2]
        rows = visible_at(negative, start)  # the most recent first: they are the ones shoppers read
        rows = rows[np.argsort(-created[rows], kind="stable")][: wipe.count]
        if rows.size == 0:
            continue
        days = wipe.day + rng.integers(0, wipe.span_days, rows.size)
        days[0] = wipe.day
        employee = rng.choice(wipe.employees, rows.size)
        when = work_ms_many(rng, tl, staff, employee, days)
        when[0] = min(when[0], start + DAY_MS - 1)
        remove(rows, when, BY_STAFF, employee, wipe.logged & (rng.random(rows.size) < 0.9))
        if wipe.second_day >= 0:
            second = tl.day_ms(wipe.second_day)
            rows = visible_at(negative, second)
            rows = rows[created[rows] >= start]
            employee = rng.choice(wipe.employees, rows.size)
            when = work_ms_many(rng, tl, staff, employee, np.full(rows.size, wipe.second_day))
            remove(rows, when, BY_STAFF, employee, wipe.logged & (rng.random(rows.size) < 0.9))
        if wipe.ongoing_until >= 0:
            rows = negative[(created[negative] > start) & (created[negative] < tl.day_ms(wipe.ongoing_until))]
            rows = rows[removed_ms[rows] < 0]
            when = created[rows] + (rng.uniform(6, 72, rows.size) * HOUR_MS).astype(np.int64)
            remove(rows, when, BY_STAFF, rng.choice(wipe.employees, rows.size),
                   wipe.logged & (rng.random(rows.size) < 0.9))

    for cleanup in plan.cleanups:
        start = tl.day_ms(cleanup.day)
        shown = visible_at(of_products(cleanup.products), start)
        rows = shown[created[shown] >= start - cleanup.window_days * DAY_MS]
        if rows.size < 10:  # a quiet listing: the sweep goes further back
            rows = shown
        pick = rows[rng.random(rows.size) < cleanup.fraction]
        # Not selective: whatever the draw, the sweep takes high and low ratings alike (reaching
        # back further for a rating the window lacks).
        for high in (True, False):
            group = rows[(rating[rows] >= 4) == high]
            if group.size == 0:
                group = shown[(rating[shown] >= 4) == high]
            if group.size and not np.isin(group, pick).any():
                pick = np.union1d(pick, rng.choice(group, 1))
        if pick.size < 5:
            pick = np.union1d(pick, rng.permutation(rows)[:5])
        if cleanup.remover == "automated":
            when = start + int(rng.integers(0, 20 * HOUR_MS)) + np.sort(rng.integers(0, 2 * HOUR_MS, pick.size))
            remove(pick, when, BY_AUTOMATED)
        else:
            first = min(work_ms(rng, tl, staff, cleanup.employee, cleanup.day), start + 20 * HOUR_MS)
            when = first + np.sort(rng.integers(0, 3 * HOUR_MS, pick.size))
            remove(pick, when, BY_STAFF, cleanup.employee, cleanup.logged & (rng.random(pick.size) < 0.9))

    organic = dict(product=product, reviewer=reviewer, rating=rating, created_ms=created, verified=verified,
                   removed_ms=removed_ms, removed_by=removed_by, remover=remover, logged=logged)
    injected, n_reviewers = _injected(rng_for("bought_reviews", 0), tl, products, plan, staff, pop, organic,
                                      category, prod_start)
    # Slot the bought reviews into the (product, time) order: one copy per column, no full re-sort.
    order = np.argsort(_sort_key(injected["product"], injected["created_ms"], tl), kind="stable")
    at = np.searchsorted(_sort_key(product, created, tl), _sort_key(injected["product"][order],
                                                                 injected["created_ms"][order], tl), side="right")
    merged = {k: np.insert(organic[k], at, injected[k][order]) for k in organic}
    return Reviews(**merged, n_reviewers=n_reviewers)


def _injected(rng, tl: Timeline, products: Products, plan: Plan, staff: Staff, pop: _Population,
              organic: dict, category: np.ndarray, prod_start: np.ndarray) -> tuple[dict, int]:
    """Reviews that were bought: harvested-reviewer bursts, sock-puppet attacks and praise."""
    cols = {k: [] for k in ("product", "reviewer", "rating", "created_ms", "verified", "removed_ms",
                            "removed_by", "remover", "logged")}
    next_id = pop.size
    created_org, reviewer_org = organic["created_ms"], organic["reviewer"]
    by_cat = np.argsort(category.astype(np.int64) << 36 | (created_org - tl.start_ms))
    cat_start = np.searchsorted(category[by_cat], np.arange(int(products.category.max()) + 2))
    created_by_cat = created_org[by_cat]
    seller_by_cat = products.seller[organic["product"][by_cat]]

    def add(product, reviewer, rating, created, verified, filtered_p):
        k = len(reviewer)
        caught = rng.random(k) < filtered_p
        when = created + (rng.exponential(3, k) * DAY_MS).astype(np.int64) + HOUR_MS
        caught &= when <= tl.end_ms
        cols["product"].append(np.full(k, product, dtype=np.int64) if np.ndim(product) == 0 else product)
        cols["reviewer"].append(np.asarray(reviewer, dtype=np.int64))
        cols["rating"].append(np.asarray(rating, dtype=np.int8))
        cols["created_ms"].append(np.asarray(created, dtype=np.int64))
        cols["verified"].append(np.asarray(verified, dtype=bool))
        cols["removed_ms"].append(np.where(caught, when, -1))
        cols["removed_by"].append(np.where(caught, BY_AUTOMATED, NOT_REMOVED).astype(np.int8))
        cols["remover"].append(np.full(k, -1, dtype=np.int32))
        cols["logged"].append(np.zeros(k, dtype=bool))

    def burst_times(day: int, length: int, count: int) -> np.ndarray:
        days = day + rng.integers(0, length, count)
        days[0] = day
        return np.minimum(_times(rng, tl, np.minimum(days, tl.days - 1)), tl.end_ms)

    for burst in plan.bursts:
        c = int(products.category[burst.product])
        start = tl.day_ms(burst.day)
        # The leaked list: reviewers of the category's other sellers, up to the burst.
        lo = cat_start[c]
        hi = lo + np.searchsorted(created_by_cat[lo:cat_start[c + 1]], start)
        already = reviewer_org[prod_start[burst.product]:prod_start[burst.product + 1]]
        n_harvest = max(4, int(round(burst.count * burst.harvested_share)))
        harvested = np.zeros(0, dtype=np.int64)
        if hi > lo:
            sample = lo + rng.integers(0, hi - lo, 4 * n_harvest)
            sample = sample[seller_by_cat[sample] != burst.seller]
            harvested = np.unique(reviewer_org[by_cat[sample]])
        harvested = rng.permutation(harvested[~np.isin(harvested, already)])[:n_harvest]
        others = pop.draw(c, burst.count - harvested.size)
        fresh = rng.random(others.size) < 0.3  # some brand-new accounts
        others[fresh] = next_id + np.arange(fresh.sum())
        next_id += int(fresh.sum())
        who = np.unique(np.concatenate([harvested, others[~np.isin(others, already)]]))
        who = rng.permutation(who)
        rating = rng.choice([5, 4, 3], who.size, p=[0.85, 0.12, 0.03])
        add(burst.product, who, rating, burst_times(burst.day, burst.length, who.size),
            rng.random(who.size) < burst.verified_p, burst.filtered_p)

    rings: list[np.ndarray] = []
    for ring in plan.sabotage:
        puppets = next_id + np.arange(ring.puppets)
        next_id += ring.puppets
        if ring.reuse_from >= 0 and ring.reuse_from < len(rings):
            old = rings[ring.reuse_from]
            puppets = np.concatenate([old[: max(1, old.size // 2)], puppets[: ring.puppets - old.size // 2]])
        rings.append(puppets)
        first = int(ring.attack_days.min())
        # Camouflage: a few ordinary-looking reviews before the attack.
        for pup in puppets:
            k = int(rng.integers(0, 4))
            if k and first > 1:
                ps = rng.integers(0, products.n, k)
                days = rng.integers(max(0, first - 120), first, k)
                ok = days >= products.launch_day[ps]
                if ok.any():
                    add(ps[ok], np.full(ok.sum(), pup), rng.choice([4, 5], ok.sum()),
                        _times(rng, tl, days[ok]), rng.random(ok.sum()) < 0.6, 0.0)
        for target, day in zip(ring.targets, ring.attack_days):
            length = int(rng.integers(2, 9))
            attackers = rng.permutation(puppets)[: ring.per_target]
            one_off = next_id + np.arange(ring.per_target - attackers.size)
            next_id += one_off.size
            who = np.concatenate([attackers, one_off])
            add(int(target), who, rng.choice([1, 2], who.size, p=[0.85, 0.15]),
                burst_times(int(day), length, who.size), rng.random(who.size) < 0.15, 0.1)
            if rng.random() < 0.5:
                # The victim complains and a moderator takes much of the attack down in a day or two:
                # honest staff removals of 1-star reviews, on a seller who bought nothing.
                cleanup_day = int(day) + length + int(rng.integers(3, 21))
                shown = cols["removed_by"][-1] == NOT_REMOVED
                pick = np.flatnonzero(shown & (rng.random(who.size) < rng.uniform(0.4, 0.9)))
                employee = int(staff.moderators_for(rng, [products.category[int(target)]])[0])
                when = work_ms_many(rng, tl, staff, np.full(pick.size, employee),
                                    cleanup_day + rng.integers(0, 2, pick.size))
                ok = when <= tl.end_ms
                pick, when = pick[ok], when[ok]
                cols["removed_ms"][-1][pick] = when
                cols["removed_by"][-1][pick] = BY_STAFF
                cols["remover"][-1][pick] = employee
                cols["logged"][-1][pick] = rng.random(pick.size) < 0.7
        praising = puppets[rng.random(puppets.size) < ring.praise_p]
        if praising.size == 0:  # the point of the ring: someone always praises the buyer
            praising = puppets[:1]
        if praising.size:
            days = np.minimum(first + rng.integers(0, 10, praising.size), tl.days - 1)
            add(ring.buyer_product, praising, np.full(praising.size, 5), _times(rng, tl, days),
                rng.random(praising.size) < 0.25, 0.1)

    out = {k: (np.concatenate(v) if v else np.zeros(0, dtype=np.int64)) for k, v in cols.items()}
    out["rating"] = out["rating"].astype(np.int8)
    out["verified"] = out["verified"].astype(bool)
    out["removed_by"] = out["removed_by"].astype(np.int8)
    out["remover"] = out["remover"].astype(np.int32)
    out["logged"] = out["logged"].astype(bool)
    return out, next_id
