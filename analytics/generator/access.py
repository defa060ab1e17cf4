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
from analytics.generator.staff import ACCOUNT_HEALTH, CATEGORY_MANAGER, MODERATOR, SUPPORT, TEAMS, Staff
from analytics.generator.timeline import DAY_MS, HOUR_MS, Timeline
from analytics.generator.variants import Mess, draw_lags, employee_lags

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


def _by_group(group: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices sorted by group, and each group's start in them (length n_groups + 1)."""
    order = np.argsort(group, kind="stable")
    return order, np.searchsorted(group[order], np.arange(n_groups + 1))


def _draw_in(rng, group_of_row: np.ndarray, members: np.ndarray, start: np.ndarray, weight: np.ndarray,
             fallback: np.ndarray) -> np.ndarray:
    """For each row, one member of its group (``members[start[g]:start[g + 1]]``), by ``weight``."""
    out = np.empty(group_of_row.size, dtype=np.int64)
    for g in np.unique(group_of_row):
        rows = np.flatnonzero(group_of_row == g)
        pool = members[start[g]:start[g + 1]]
        if pool.size == 0:
            pool = fallback
        cum = _cumulative(weight[pool])
        out[rows] = pool[np.minimum(np.searchsorted(cum, rng.random(rows.size)), pool.size - 1)]
    return out


def _session_sizes(rng: np.random.Generator, k: int) -> np.ndarray:
    """Sittings of 1 to 40 listings: single look-ups most often, big reviews now and then."""
    return np.clip(np.floor(np.exp(rng.uniform(0, np.log(41), k))), 1, 40).astype(np.int64)


def simulate_access(rng: np.random.Generator, tl: Timeline, sellers: Sellers, products: Products,
                    weekly_top: dict[int, np.ndarray], reviews: ReviewActivity, staff: Staff,
                    extra: list[tuple], account_actions: list[tuple], *, account_views: list[tuple] = (),
                    seller_team: np.ndarray | None = None, mess: Mess = Mess(),
                    lag_rng: np.random.Generator | None = None,
                    session_rng: np.random.Generator | None = None) -> AccessLog:
    """``weekly_top``: each category's best sellers by week (``Sales.weekly_top``); ``reviews``: what
    the review stage leaves for this one; ``extra``: planned look-ups (employee, ms, action, seller,
    product); ``account_actions``: logged suspensions and reinstatements (employee, event ms, action,
    seller), written a few seconds from their event or, with variant ``lags``, seconds to hours before
    or after it; ``account_views``: staff opening an account before acting on it."""
    D = tl.days
    weekday = tl.weekday
    by_seller = np.argsort(products.seller, kind="stable")
    p_start = np.searchsorted(products.seller[by_seller], np.arange(sellers.n))
    p_count = np.bincount(products.seller, minlength=sellers.n)
    review_count = reviews.per_seller
    if seller_team is None:
        seller_team = np.zeros(sellers.n, dtype=np.int8)
    seller_weight = {
        SUPPORT: np.sqrt(sellers.scale) + 0.2,
        MODERATOR: np.sqrt(review_count) + 0.5,
        ACCOUNT_HEALTH: np.ones(sellers.n),
    }
    parts = []
    n_cats = len(staff.managed)
    cat_products, cat_start = _by_group(products.category.astype(np.int64), n_cats)
    team_sellers, team_start = _by_group(seller_team.astype(np.int64), len(TEAMS))
    all_sellers = np.arange(sellers.n)

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

    # Own work: moderators mostly look at listings in their queues' categories, account-health staff
    # at sellers of their team's region; the rest of their look-ups go anywhere.
    home_rows = np.flatnonzero((role == MODERATOR) & (rng.random(emp.size) < 0.85))
    if home_rows.size:
        pairs = np.array(sorted((int(m), c) for c, ms in enumerate(staff.queue) for m in ms), dtype=np.int64)
        pairs = pairs.reshape(-1, 2)
        q_start = np.searchsorted(pairs[:, 0], np.arange(staff.n))
        q_count = np.bincount(pairs[:, 0], minlength=staff.n)
        who = emp[home_rows]
        keep = q_count[who] > 0
        home_rows, who = home_rows[keep], who[keep]
        cat = pairs[q_start[who] + (rng.random(who.size) * q_count[who]).astype(np.int64), 1]
        weight = products.base_demand * products.review_rate
        product[home_rows] = _draw_in(rng, cat, cat_products, cat_start, weight, np.arange(products.n))
        seller[home_rows] = products.seller[product[home_rows]]
    home_rows = np.flatnonzero((role == ACCOUNT_HEALTH) & (rng.random(emp.size) < 0.85))
    if home_rows.size:
        team = np.maximum(staff.team[emp[home_rows]], 0).astype(np.int64)
        seller[home_rows] = _draw_in(rng, team, team_sellers, team_start, np.ones(sellers.n), all_sellers)

    # Category managers browse their own categories' listings, the bigger ones more often; now and then
    # one covers a colleague's category for a week or three.
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
        cover_cat, cover_from, cover_to = _cover_periods(rng, staff, D)
        covering = (cover_cat[who] >= 0) & (day[managers] >= cover_from[who]) & (day[managers] < cover_to[who])
        covering &= rng.random(who.size) < 0.5
        cat = np.where(covering, cover_cat[who], cat)
        weight = np.sqrt(products.base_demand)
        product[managers] = _draw_in(rng, cat, cat_products, cat_start, weight, np.arange(products.n))
        seller[managers] = products.seller[product[managers]]
    else:
        cover_cat = np.full(staff.n, -1)
    # Most views of sales, listings and reviews name one of the seller's products.
    about_listings = np.isin(action, [_CODE["view_sales"], _CODE["view_listing"], _CODE["view_reviews"]])
    name_product = (product < 0) & about_listings & (rng.random(emp.size) < 0.6)
    rows = np.flatnonzero(name_product)
    product[rows] = by_seller[p_start[seller[rows]] + (rng.random(rows.size) * p_count[seller[rows]]).astype(np.int64)]
    parts.append((emp, ts, action, seller, product))

    if mess.sessions:
        parts.extend(_sessions(session_rng if session_rng is not None else rng, tl, products, weekly_top, staff,
                               cover_cat))
    else:
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
                    day_ = min((w + 1) * 7 + int(rng.integers(0, 5)), D - 1)
                    start = tl.day_ms(day_) + int((staff.shift_start_hour[m] + rng.uniform(0.5, 6)) * HOUR_MS)
                    when = start + np.cumsum(rng.integers(20_000, 200_000, listing.size))
                    k = listing.size
                    parts.append((np.full(k, m), when, np.full(k, _CODE["view_sales"], dtype=np.int8),
                                  products.seller[listing].astype(np.int64), listing.astype(np.int64)))

    # Staff actions recorded elsewhere, when the tool logged them: a few seconds from the event, or
    # (variant lags) seconds to six hours before or after it, by the employee's tool.
    if mess.lags:
        lag_rng = lag_rng if lag_rng is not None else rng
        typical, direction = employee_lags(lag_rng, staff.n)
    k = reviews.removal_employee.size
    offset = (draw_lags(lag_rng, reviews.removal_employee, typical, direction) if mess.lags
              else np.full(k, -2000, dtype=np.int64))
    parts.append((reviews.removal_employee.astype(np.int64), reviews.removal_ms + offset,
                  np.full(k, _CODE["remove_review"], dtype=np.int8),
                  products.seller[reviews.removal_product].astype(np.int64),
                  reviews.removal_product.astype(np.int64)))
    if account_actions:
        a = list(zip(*account_actions))
        who, event_ms, kind = np.array(a[0], dtype=np.int64), np.array(a[1], dtype=np.int64), np.array(a[2])
        if mess.lags:
            offset = draw_lags(lag_rng, who, typical, direction)
        else:  # the suspension is logged half a minute after; the reinstating click seconds before
            offset = np.where(kind == "suspend_account", 30_000, -1000 * (3 + (event_ms // 1000) % 40))
        parts.append((who, event_ms + offset, np.array([_CODE[x] for x in kind], dtype=np.int8),
                      np.array(a[3]), np.full(len(a[0]), -1)))
    for lines in (extra, account_views):
        if lines:
            a = list(zip(*lines))
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


def _cover_periods(rng: np.random.Generator, staff: Staff, days: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per employee: a colleague's category a manager covers for a week or three (-1 = none that year)."""
    n_cats = len(staff.managed)
    cover_cat = np.full(staff.n, -1, dtype=np.int64)
    covers = (staff.role == CATEGORY_MANAGER) & (rng.random(staff.n) < 0.25 * days / 365)
    cover_cat[covers] = rng.integers(0, n_cats, int(covers.sum()))
    length = rng.integers(7, 22, staff.n)
    cover_from = rng.integers(0, max(1, days - 7), staff.n)
    return cover_cat, cover_from, cover_from + length


def _sessions(rng: np.random.Generator, tl: Timeline, products: Products, weekly_top: dict[int, np.ndarray],
              staff: Staff, cover_cat: np.ndarray) -> list[tuple]:
    """Variant sessions: managers look at their categories' sales figures in sittings of 1 to 40
    listings, the best sellers of last week most but others too, about twice a week; support and
    account-health staff pull a few sellers' figures in one sitting now and then (a payout dispute, a
    complaint about a category)."""
    D = tl.days
    parts = []
    view = _CODE["view_sales"]
    by_cat = {c: np.flatnonzero(products.category == c) for c in weekly_top}
    cum = {c: _cumulative(np.sqrt(products.base_demand[members])) for c, members in by_cat.items() if members.size}
    launch = products.launch_day
    for c, top in weekly_top.items():
        n_weeks = top.shape[0]
        members = by_cat[c]
        if members.size == 0:
            continue
        managers = np.r_[staff.managed[c], np.flatnonzero(cover_cat == c)]
        for m in managers:
            n_sessions = rng.poisson(1.6 * n_weeks * (0.25 if m not in staff.managed[c] else 1.0))
            week = rng.integers(1, max(2, n_weeks), n_sessions)
            size = _session_sizes(rng, n_sessions)
            for w, k in zip(week, size):
                day = min(w * 7 + int(rng.integers(0, 7)), D - 1)
                best = top[w - 1][top[w - 1] >= 0]
                if rng.random() < 0.7 and best.size:
                    listing = best[: int(min(k, best.size))]
                    if k > best.size:  # and some further down
                        more = members[rng.integers(0, members.size, int(k - best.size))]
                        listing = np.unique(np.r_[listing, more[launch[more] <= day]])
                else:  # a look at a few particular listings, not necessarily the best
                    listing = np.unique(members[np.minimum(np.searchsorted(cum[c], rng.random(int(k))),
                                                           members.size - 1)])
                    listing = listing[launch[listing] <= day]
                    if listing.size == 0:
                        continue
                listing = rng.permutation(listing)
                start = tl.day_ms(day) + int((staff.shift_start_hour[m] + rng.uniform(0.2, 7)) * HOUR_MS)
                when = start + np.cumsum(rng.integers(15_000, 240_000, listing.size))
                parts.append((np.full(listing.size, m), when, np.full(listing.size, view, dtype=np.int8),
                              products.seller[listing].astype(np.int64), listing.astype(np.int64)))
    others = np.flatnonzero((staff.role == SUPPORT) | (staff.role == ACCOUNT_HEALTH))
    n_sessions = rng.poisson(0.15 * others.size * D / 7)
    who = rng.choice(others, n_sessions) if others.size else np.zeros(0, dtype=np.int64)
    size = np.minimum(_session_sizes(rng, n_sessions), 12)
    cats = rng.choice(list(by_cat), n_sessions) if by_cat else np.zeros(0, dtype=np.int64)
    for m, k, c in zip(who, size, cats):
        members = by_cat[int(c)]
        if members.size == 0:
            continue
        weight = np.sqrt(products.base_demand[members])
        listing = rng.choice(members, min(int(k), members.size), replace=False, p=weight / weight.sum())
        day = int(rng.integers(0, D))
        start = tl.day_ms(day) + int((staff.shift_start_hour[m] + rng.uniform(0.2, 7)) * HOUR_MS)
        when = start + np.cumsum(rng.integers(15_000, 240_000, listing.size))
        parts.append((np.full(listing.size, m), when, np.full(listing.size, view, dtype=np.int8),
                      products.seller[listing].astype(np.int64), listing.astype(np.int64)))
    return parts
