"""access_log: staff looking at and acting on seller data.

Most rows are routine: support agents, moderators, account-health staff and category managers
viewing many sellers' accounts, listings, reviews and sales every working day, and managers going
through their category's best sellers in one sitting. Staff actions recorded elsewhere (review
removals, suspensions, reinstatements) appear here when the tool logged them. The insider look-ups
planned by the scenarios are mixed in, and nothing marks them out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytics.generator.market import Products, Sellers
from analytics.generator.reviews import ReviewActivity
from analytics.generator.staff import ACCOUNT_HEALTH, CATEGORY_MANAGER, MODERATOR, SUPPORT, Staff
from analytics.generator.timeline import DAY_MS, HOUR_MS, Timeline

ACTIONS = ("view_account", "view_sales", "view_reviews", "view_listing", "export_reviewers",
           "remove_review", "suspend_account", "reinstate_account")
_CODE = {a: i for i, a in enumerate(ACTIONS)}
# Routine actions per working day, and their mix, by role.
_DAILY = {SUPPORT: 6.0, MODERATOR: 5.0, ACCOUNT_HEALTH: 4.0, CATEGORY_MANAGER: 3.0}
_MIX = {
    SUPPORT: {"view_account": 0.35, "view_sales": 0.25, "view_reviews": 0.2, "view_listing": 0.2},
    MODERATOR: {"view_reviews": 0.55, "view_listing": 0.2, "view_account": 0.2, "export_reviewers": 0.05},
    ACCOUNT_HEALTH: {"view_account": 0.6, "view_sales": 0.15, "view_reviews": 0.1, "view_listing": 0.15},
    CATEGORY_MANAGER: {"view_sales": 0.6, "view_listing": 0.3, "view_account": 0.1},
}


@dataclass
class AccessLog:
    employee: np.ndarray
    ts_ms: np.ndarray
    action: np.ndarray   # index into ACTIONS
    seller: np.ndarray   # -1 = none
    product: np.ndarray  # -1 = none


def _cumulative(weight: np.ndarray) -> np.ndarray:
    cum = np.cumsum(weight, dtype=float)
    return cum / cum[-1]


def simulate_access(rng: np.random.Generator, tl: Timeline, sellers: Sellers, products: Products,
                    weekly_top: dict[int, np.ndarray], reviews: ReviewActivity, staff: Staff,
                    extra: list[tuple], account_actions: list[tuple]) -> AccessLog:
    """``weekly_top``: each category's best sellers by week (``Sales.weekly_top``); ``reviews``: what
    the review stage leaves for this one; ``extra``: planned look-ups (employee, ms, action, seller,
    product); ``account_actions``: logged suspensions and reinstatements."""
    D = tl.days
    weekday = tl.weekday
    by_seller = np.argsort(products.seller, kind="stable")
    p_start = np.searchsorted(products.seller[by_seller], np.arange(sellers.n))
    p_count = np.bincount(products.seller, minlength=sellers.n)
    review_count = reviews.per_seller
    seller_weight = {
        SUPPORT: np.sqrt(sellers.scale) + 0.2,
        MODERATOR: np.sqrt(review_count) + 0.5,
        ACCOUNT_HEALTH: np.ones(sellers.n),
    }
    parts = []

    # Routine: one Poisson count per employee and day.
    works = (weekday[None, :] < 5) | (rng.random((staff.n, D)) < 0.12)
    rate = np.array([_DAILY[r] for r in staff.role])
    count = np.where(works, rng.poisson(rate[:, None], (staff.n, D)), 0)
    emp, day = np.nonzero(count)
    reps = count[emp, day]
    emp, day = np.repeat(emp, reps), np.repeat(day, reps)
    ts = tl.day_ms(day) + ((staff.shift_start_hour[emp] + rng.uniform(0, 9, emp.size)) * HOUR_MS).astype(np.int64)
    action = np.empty(emp.size, dtype=np.int8)
    seller = np.empty(emp.size, dtype=np.int64)
    product = np.full(emp.size, -1, dtype=np.int64)
    role = staff.role[emp]
    for r, mix in _MIX.items():
        rows = np.flatnonzero(role == r)
        names = list(mix)
        action[rows] = np.array([_CODE[a] for a in names])[rng.choice(len(names), rows.size, p=list(mix.values()))]
        if r == CATEGORY_MANAGER:
            continue
        cum = _cumulative(seller_weight[r])
        seller[rows] = np.minimum(np.searchsorted(cum, rng.random(rows.size)), sellers.n - 1)
    # Category managers browse their own categories' listings, the bigger ones more often.
    managers = np.flatnonzero(role == CATEGORY_MANAGER)
    if managers.size:
        pairs = [(m, c) for c, ms in enumerate(staff.managed) for m in ms]
        pairs = np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)
        m_start = np.searchsorted(pairs[:, 0], np.arange(staff.n))
        m_count = np.bincount(pairs[:, 0], minlength=staff.n)
        who = emp[managers]
        has = m_count[who] > 0
        pick = m_start[who] + (rng.random(who.size) * np.maximum(m_count[who], 1)).astype(np.int64)
        cat = np.where(has, pairs[np.minimum(pick, len(pairs) - 1), 1], 0)
        by_cat = np.lexsort((np.arange(products.n), products.category))
        c_start = np.searchsorted(products.category[by_cat], np.arange(int(products.category.max()) + 2))
        for c in np.unique(cat):
            rows = managers[cat == c]
            members = by_cat[c_start[c]:c_start[c + 1]]
            if members.size == 0:  # a category nobody lists in: the manager browses elsewhere
                members = by_cat
            cum = _cumulative(np.sqrt(products.base_demand[members]))
            product[rows] = members[np.minimum(np.searchsorted(cum, rng.random(rows.size)), members.size - 1)]
        seller[managers] = products.seller[product[managers]]
    # Most views of sales, listings and reviews name one of the seller's products.
    about_listings = np.isin(action, [_CODE["view_sales"], _CODE["view_listing"], _CODE["view_reviews"]])
    name_product = (product < 0) & about_listings & (rng.random(emp.size) < 0.6)
    rows = np.flatnonzero(name_product)
    product[rows] = by_seller[p_start[seller[rows]] + (rng.random(rows.size) * p_count[seller[rows]]).astype(np.int64)]
    parts.append((emp, ts, action, seller, product))

    # Sittings: a manager goes through last week's best sellers of a category, minutes apart.
    for c, top in weekly_top.items():
        for m in staff.managed[c]:
            n_weeks = top.shape[0]
            sittings = np.flatnonzero(rng.random(n_weeks) < 0.6)
            sittings = sittings[sittings + 1 < n_weeks]
            for w in sittings:
                width = top.shape[1]
                listing = top[w][top[w] >= 0][: int(rng.integers(min(10, width), width + 1))]
                if listing.size == 0:
                    continue
                day = min((w + 1) * 7 + int(rng.integers(0, 5)), D - 1)
                start = tl.day_ms(day) + int((staff.shift_start_hour[m] + rng.uniform(0.5, 6)) * HOUR_MS)
                when = start + np.cumsum(rng.integers(20_000, 200_000, listing.size))
                k = listing.size
                parts.append((np.full(k, m), when, np.full(k, _CODE["view_sales"], dtype=np.int8),
                              products.seller[listing].astype(np.int64), listing.astype(np.int64)))

    # Staff actions recorded elsewhere, when the tool logged them.
    k = reviews.removal_employee.size
    parts.append((reviews.removal_employee.astype(np.int64), reviews.removal_ms - 2000,
                  np.full(k, _CODE["remove_review"], dtype=np.int8),
                  products.seller[reviews.removal_product].astype(np.int64),
                  reviews.removal_product.astype(np.int64)))
    if account_actions:
        a = list(zip(*account_actions))
        parts.append((np.array(a[0]), np.array(a[1]), np.array([_CODE[x] for x in a[2]], dtype=np.int8),
                      np.array(a[3]), np.full(len(a[0]), -1)))
    if extra:
        a = list(zip(*extra))
        parts.append((np.array(a[0]), np.array(a[1]), np.array([_CODE[x] for x in a[2]], dtype=np.int8),
                      np.array(a[3]), np.array(a[4])))

    cols = [np.concatenate([np.asarray(p[i]) for p in parts]) for i in range(5)]
    ts = cols[1].astype(np.int64) // 1000 * 1000  # the log keeps whole seconds
    day = (ts - tl.start_ms) // DAY_MS
    # Nobody looks at an account before it exists, nor at a listing before it is launched.
    named = cols[4] >= 0
    cols[4] = np.where(named & (day < products.launch_day[np.maximum(cols[4], 0)]), -1, cols[4])
    has_seller = cols[3] >= 0
    keep = (ts >= tl.start_ms) & (ts <= tl.end_ms) & \
        (~has_seller | (day >= sellers.registered_day[np.maximum(cols[3], 0)]))
    order = np.lexsort((cols[2][keep], cols[0][keep], ts[keep]))
    return AccessLog(cols[0][keep][order].astype(np.int32), ts[keep][order], cols[2][keep][order].astype(np.int8),
                     cols[3][keep][order].astype(np.int64), cols[4][keep][order].astype(np.int64))
