"""Who buys insider services, who merely looks like it, and what each of them does when.

The plan made here is carried out by the other modules: ``sales`` applies demand effects, price cuts,
ad campaigns and the launches aimed at rivals; ``reviews`` writes review bursts and removals;
``accounts`` writes suspensions; ``access`` writes the staff look-ups. Each scenario is given a
strength in (0, 1] so that effects range from subtle to obvious.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from analytics.generator import accounts
from analytics.generator.accounts import Episode, Health
from analytics.generator.market import Categories, Products, Sellers, new_products, rating_probabilities
from analytics.generator.staff import Staff, team_of_country
from analytics.generator.timeline import DAY_MS, HOUR_MS, Timeline
from analytics.generator.variants import Mess

INSIDER_SCENARIOS = ("review_wipe", "harvested_reviewers", "competitor_sabotage", "bought_reinstatement",
                     "sales_intel", "sales_intel_unlogged")
BENIGN_SCENARIOS = ("benign_price_cut", "benign_ad_campaign", "benign_seasonal", "benign_viral",
                    "benign_spam_cleanup", "benign_slow_reinstatement", "benign_fast_verification",
                    "benign_launch")
INSIDER_SHARE = 0.01   # of sellers, per insider scenario
RARE_SHARE = 0.001     # of sellers, per insider scenario, in the rare variant (0.5 % in all)
RARE_FLOOR = 15        # ... but never fewer per scenario than this (nor more than INSIDER_SHARE)
BENIGN_SHARE = 0.015   # of sellers, per look-alike scenario
CROWDED_SHARE = 0.1    # of the crowded category's sellers, and of the crowded team's reinstatements
SECONDARY_SHARE = 0.25  # buyers who use their insider for a second, smaller service too


def insider_counts(sellers: int, mess: Mess) -> tuple[int, int]:
    """Buyers per insider scenario, and how many sales-intelligence buyers have no logged look-up
    (at most a fifth of all sales-intelligence buyers; they come on top)."""
    usual = max(2, round(INSIDER_SHARE * sellers))
    if mess.rare:
        per = max(2, round(RARE_SHARE * sellers), min(RARE_FLOOR, usual))
    else:
        per = usual
    return per, per // 4


def total_buyers(sellers: int, mess: Mess) -> int:
    per, unlogged = insider_counts(sellers, mess)
    return 5 * per + unlogged


@dataclass
class Wipe:
    """Staff remove the seller's own 1-2 star reviews, selectively, in a short span."""
    seller: int
    products: np.ndarray
    day: int
    span_days: int
    count: int
    employees: np.ndarray
    logged: bool
    second_day: int = -1       # a second round of removals, -1 = none
    ongoing_until: int = -1    # new negative reviews removed soon after posting until this day


@dataclass
class Burst:
    """A burst of bought, mostly 5-star reviews, many from reviewers of the rivals' products."""
    seller: int
    product: int
    day: int
    length: int
    count: int
    harvested_share: float
    verified_p: float
    filtered_p: float             # share the automated filter catches later
    aftermath_one_star: float     # extra share of 1-star reviews once the boost has faded


@dataclass
class Sabotage:
    """Sock-puppets flood the rivals' listings with 1-star reviews and praise the buyer."""
    buyer: int
    buyer_product: int
    targets: np.ndarray           # rival products attacked
    attack_days: np.ndarray
    per_target: int
    puppets: int
    reuse_from: int               # index of an earlier ring whose puppets come back, -1 = none
    praise_p: float


@dataclass
class Cleanup:
    """A one-off sweep removing reviews of all ratings from a seller's listings."""
    seller: int
    products: np.ndarray
    day: int
    window_days: int
    fraction: float
    remover: str                  # automated or staff
    employee: int
    logged: bool


@dataclass
class Targeted:
    """A launch or price cut whose price depends on the rivals' figures (resolved in ``sales``)."""
    seller: int
    category: int
    product: int
    kind: str                     # intel_launch, intel_cut or benign_launch
    act_day: int
    lookup_day: int               # staff look-up of the rivals' sales, -1 = none (benign launch)
    employee: int
    strength: float
    logged: bool = True           # the look-up shows in access_log


@dataclass
class Plan:
    labels: dict[int, list] = field(default_factory=dict)          # seller -> [scenario, onset_day]
    effects: list[tuple] = field(default_factory=list)  # (product, start, amp, ramp, hold, tau, end)
    price_cuts: list[tuple] = field(default_factory=list)          # (product, day, factor, end_day)
    campaigns: list[tuple] = field(default_factory=list)           # (product, start, end, budget, beta)
    quiet: list[tuple] = field(default_factory=list)  # (product, first, last day) without ordinary sales or ads
    episodes: list[Episode] = field(default_factory=list)
    wipes: list[Wipe] = field(default_factory=list)
    bursts: list[Burst] = field(default_factory=list)
    sabotage: list[Sabotage] = field(default_factory=list)
    cleanups: list[Cleanup] = field(default_factory=list)
    targeted: list[Targeted] = field(default_factory=list)
    traces: list[tuple] = field(default_factory=list)  # (employee, ms, action, seller, product or -1)
    victims: set[int] = field(default_factory=set)
    unused: np.ndarray | None = None   # sellers with no scenario and not a victim

    def effect(self, product: int, start: int, amp: float, *, ramp: float = 1.0, hold: float = 0.0,
               tau: float = np.inf, end: int | None = None) -> None:
        """A log-multiplier on demand from ``start``: ramps in, holds, then decays with ``tau`` days."""
        self.effects.append((int(product), int(start), float(amp), float(ramp), float(hold), float(tau),
                             int(end) if end is not None else 10**6))


class _Picker:
    """Draws scenario sellers without replacement from those not yet used."""

    def __init__(self, rng: np.random.Generator, n: int):
        self.rng = rng
        self.free = np.ones(n, dtype=bool)

    def take(self, eligible: np.ndarray, count: int, weight: np.ndarray | None = None) -> np.ndarray:
        pool = np.flatnonzero(eligible & self.free)
        count = min(count, pool.size)
        if count == 0:
            return pool[:0]
        p = None
        if weight is not None:
            w = np.asarray(weight, dtype=float)[pool]
            p = w / w.sum()
        chosen = np.sort(self.rng.choice(pool, count, replace=False, p=p))
        self.free[chosen] = False
        return chosen


def work_ms(rng: np.random.Generator, tl: Timeline, staff: Staff, employee: int, day: int) -> int:
    """A moment in the employee's working day."""
    # Within the UTC day: a late shift's small hours count towards the day it ends in.
    hours = (staff.shift_start_hour[employee] + rng.uniform(0.2, 8.5)) % 24
    return int(tl.day_ms(day) + hours * HOUR_MS + rng.integers(0, 60_000))


def work_ms_many(rng: np.random.Generator, tl: Timeline, staff: Staff, employees: np.ndarray,
                 days: np.ndarray) -> np.ndarray:
    """``work_ms`` for many (employee, day) pairs at once."""
    employees = np.asarray(employees, dtype=np.int64)
    hours = (staff.shift_start_hour[employees] + rng.uniform(0.2, 8.5, employees.size)) % 24
    return (tl.day_ms(days) + (hours * HOUR_MS).astype(np.int64) + rng.integers(0, 60_000, employees.size))


def plan_scenarios(rng: np.random.Generator, tl: Timeline, cats: Categories, sellers: Sellers,
                   products: Products, staff: Staff, mess: Mess = Mess()) -> Plan:
    plan = Plan()
    n = sellers.n
    D = tl.days
    lo, hi = max(30, int(0.25 * D)), D - 14

    # Each seller's products in its primary category, best seller first: the ones a buyer cares about.
    in_primary = (products.category == sellers.primary_category[products.seller]) & \
        (products.discontinue_day >= D)  # still listed at the end of the window
    order = np.lexsort((-products.base_demand, products.seller))
    order = order[in_primary[order]]
    focus_start = np.searchsorted(products.seller[order], np.arange(n))
    focus_end = np.searchsorted(products.seller[order], np.arange(n), side="right")
    has_focus = focus_end > focus_start
    main = np.where(has_focus, order[np.minimum(focus_start, order.size - 1)], -1)

    def focus(s: int, k: int = 3) -> np.ndarray:
        return order[focus_start[s]:min(focus_end[s], focus_start[s] + k)]

    main_units = np.where(has_focus, products.base_demand[main], 0.0)
    reviews_day = np.where(has_focus, products.base_demand[main] * products.review_rate[main], 0.0)
    neg_share = rating_probabilities(products.quality)[:, :2].sum(axis=1)
    neg_day = np.where(has_focus, reviews_day * neg_share[np.maximum(main, 0)], 0.0)
    history = has_focus & (sellers.registered_day <= lo - 45) & \
        (products.launch_day[np.maximum(main, 0)] <= lo - 45)

    # Headroom: how many listings in the category sell more than the seller's main product (a rank
    # can only jump where there is room above it).
    by_cat = np.lexsort((-products.base_demand, products.category))
    position = np.empty(products.n, dtype=np.int64)
    cat_first = np.searchsorted(products.category[by_cat], np.arange(cats.n))
    position[by_cat] = np.arange(products.n) - cat_first[products.category[by_cat]]
    headroom = np.where(has_focus, position[np.maximum(main, 0)], 0)
    # Close rivals: listings selling up to 2.2x the main product's units, which a doubling overtakes.
    key = products.category[by_cat] * 1000.0 + np.log(products.base_demand[by_cat])
    reach = np.searchsorted(key, products.category * 1000.0 + np.log(2.2 * products.base_demand), side="right")
    close = np.empty(products.n, dtype=np.int64)
    close[by_cat] = reach[by_cat] - np.arange(products.n) - 1
    close_above = np.where(has_focus, close[np.maximum(main, 0)], 0)
    room = (headroom >= 8) & (close_above >= np.maximum(3, 0.3 * headroom))

    # Rivals: sellers per category, and each seller's standing in its primary category.
    pairs = np.sort(products.category.astype(np.int64) * n + products.seller)
    pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]]]
    sellers_in_cat = np.bincount(pairs // n, minlength=cats.n)
    crowded = sellers_in_cat[sellers.primary_category] >= 5

    picker = _Picker(rng, n)
    n_insider, n_unlogged = insider_counts(n, mess)
    n_benign = max(2, round(BENIGN_SHARE * n))
    cat_of = sellers.primary_category
    seller_team = team_of_country(sellers.country)

    # Variant crowded: a tenth of one category's sellers are buyers, spread over the scenarios; the
    # other buyers come from elsewhere, so the category holds that tenth and no more.
    in_bad = cat_of == staff.crowded_category if staff.crowded_category >= 0 else np.zeros(n, dtype=bool)
    quota = dict.fromkeys(("competitor_sabotage", "review_wipe", "sales_intel", "harvested_reviewers",
                           "bought_reinstatement"), 0)
    if in_bad.any():
        total = int(round(CROWDED_SHARE * in_bad.sum()))
        for k, scenario in enumerate(quota):
            quota[scenario] = total // len(quota) + (k < total % len(quota))

    def take_buyers(scenario: str, eligible: np.ndarray, count: int, weight=None) -> np.ndarray:
        if not in_bad.any():
            return picker.take(eligible, count, weight)
        inside = picker.take(eligible & in_bad, min(quota.get(scenario, 0), count), weight)
        outside = picker.take(eligible & ~in_bad, count - inside.size, weight)
        return np.sort(np.r_[inside, outside])

    # Variant crowded: the bad team's own corrupt members serve only its quota of reinstatements.
    bad_team = staff.crowded_team
    team_insiders = staff.corrupt[staff.team[staff.corrupt] == bad_team] if bad_team >= 0 else staff.corrupt[:0]

    def insider(action: str, s: int) -> int:
        """The corrupt employee a broker sends seller ``s`` to for ``action``."""
        if in_bad[s] and staff.crowded_insiders is not None and rng.random() < 0.7:
            return int(rng.choice(staff.crowded_insiders))
        home = {"remove_review": staff.queue[cat_of[s]], "view_sales": staff.managed[cat_of[s]],
                "reinstate_account": staff.team_members(int(seller_team[s]))}.get(action)
        return staff.insider_for(rng, action, exclude=team_insiders, home=home)

    def onset_for(s: int, *, after: int = 14) -> int:
        """A day with at least ``after`` days of data behind it."""
        return int(rng.integers(lo, D - after + 1))

    def calm_listing(p: int, day: int) -> None:
        """A clean look-alike: no ordinary sales or ad bursts around its event, and demand that
        wanders less than most, so the event is what moves it."""
        plan.quiet.append((p, day - 35, day + 28))
        products.ar_sigma[p] = rng.uniform(0.06, 0.14)

    def label(s: int, scenario: str, onset: int) -> None:
        plan.labels[int(s)] = [scenario, int(onset)]

    secondary: list[tuple[int, int, int, str]] = []  # (seller, employee, after day, primary scenario)

    def maybe_secondary(s: int, employee: int, onset: int, scenario: str) -> None:
        if rng.random() < SECONDARY_SHARE:
            secondary.append((int(s), int(employee), int(onset), scenario))

    def rival_listings(s: int, k: int) -> np.ndarray:
        c = cat_of[s]
        rivals = np.flatnonzero((products.category == c) & (products.seller != s))
        return rivals[np.argsort(-products.base_demand[rivals], kind="stable")][:k]

    # --- look-alikes with narrow eligibility first ---------------------------------------------
    surge_cat = cats.surge_start[sellers.primary_category]
    seasonal_ok = history & (surge_cat >= 30) & (surge_cat <= hi) & (main_units >= 0.3)
    for s in picker.take(seasonal_ok, n_benign):
        p = main[s]
        products.season_gain[focus(s)] = rng.uniform(1.8, 3.0)
        start = int(cats.surge_start[sellers.primary_category[s]])
        end = int(cats.surge_end[sellers.primary_category[s]])
        if rng.random() < 0.5:  # joins the category's sale with a discount too
            plan.price_cuts.append((p, start, rng.uniform(0.8, 0.92), end))
        label(s, "benign_seasonal", start)

    # --- competitor sabotage: victims must be innocent bystanders --------------------------------
    sabotage_ok = history & crowded & (main_units >= 0.2)
    for s in take_buyers("competitor_sabotage", sabotage_ok, n_insider):
        c = cat_of[s]
        rivals_p = np.flatnonzero((products.category == c) & (products.seller != s)
                                  & (products.base_demand > main_units[s]))
        rivals_p = rivals_p[picker.free[products.seller[rivals_p]]]
        rivals_p = rivals_p[~np.isin(products.seller[rivals_p], list(plan.victims))]
        if rivals_p.size == 0:
            picker.free[s] = True
            continue
        top = rivals_p[np.argsort(-products.base_demand[rivals_p], kind="stable")][:8]
        _, first_of_seller = np.unique(products.seller[top], return_index=True)
        candidates = top[np.sort(first_of_seller)]
        strength = rng.uniform(0.05, 1.0)
        targets = rng.choice(candidates, min(candidates.size, int(rng.integers(1, 4))), replace=False)
        onset = onset_for(s)
        attack = onset + np.concatenate([[0], rng.integers(0, 16, targets.size - 1)])
        attack = np.minimum(attack, D - 3)
        employee = insider("suspend_account", s)
        first_act = onset
        ring = Sabotage(int(s), int(main[s]), targets.astype(np.int64), attack.astype(np.int64),
                        per_target=int(5 + round(25 * strength)), puppets=int(4 + round(8 * strength)),
                        reuse_from=(int(rng.integers(0, len(plan.sabotage)))
                                    if plan.sabotage and rng.random() < 0.3 else -1),
                        praise_p=0.75)
        plan.sabotage.append(ring)
        for t, day in zip(targets, attack):
            plan.effect(t, day, -(0.15 + 0.45 * strength), ramp=3, hold=10, tau=40)
            picker.free[products.seller[t]] = False
            plan.victims.add(int(products.seller[t]))
        plan.effect(main[s], onset, 0.15 + 0.6 * strength, ramp=7, hold=14, tau=45)
        if rng.random() < 0.2 + 0.35 * strength:  # a rival suspended on a made-up complaint
            victim = int(products.seller[targets[0]])
            day = int(min(onset + rng.integers(0, 11), D - 2))
            ep = accounts.slow_episode(rng, victim, work_ms(rng, tl, staff, employee, day),
                                       str(rng.choice(("safety complaint", "IP claim", "counterfeit complaint"))),
                                       Health(staff, int(seller_team[victim])), serious=True, must_reinstate=True)
            ep.suspended_by, ep.suspend_logged = employee, rng.random() < 0.6
            plan.episodes.append(ep)
            first_act = min(first_act, day)
        if rng.random() < 0.5:  # the same employee looks at the rival's sales first
            day = max(1, first_act - int(rng.integers(1, 6)))
            for t in targets:
                plan.traces.append((employee, work_ms(rng, tl, staff, employee, day), "view_sales",
                                    int(products.seller[t]), int(t)))
            first_act = day
        label(s, "competitor_sabotage", first_act)
        maybe_secondary(s, employee, onset, "competitor_sabotage")

    # --- review wipe: needs negative reviews to remove ---------------------------------------------
    # The buyer waits until there are negative reviews worth paying for (a dozen expected).
    ready_day = np.ceil(12 / np.maximum(neg_day, 1e-9))
    wipe_ok = history & (ready_day <= hi - 10)
    for s in take_buyers("review_wipe", wipe_ok, n_insider, weight=np.sqrt(np.maximum(neg_day, 1e-9))):
        strength = rng.uniform(0.05, 1.0)
        onset = int(rng.integers(max(lo, int(ready_day[s])), hi + 1))
        first = insider("remove_review", s)
        employees = np.unique([first, insider("remove_review", s)]) if rng.random() < 0.25 else np.array([first])
        wipe = Wipe(int(s), focus(s), onset, span_days=int(rng.integers(1, 6)),
                    count=int(5 + round(30 * strength)), employees=employees.astype(np.int64),
                    logged=rng.random() < 0.65)
        if rng.random() < 0.25 + 0.4 * strength and onset + 50 < D:
            wipe.second_day = int(onset + rng.integers(20, 50))
        if rng.random() < 0.3:
            wipe.ongoing_until = int(min(onset + 60, D))
        plan.wipes.append(wipe)
        for p in focus(s):
            plan.effect(p, onset, 0.15 + 0.7 * strength, ramp=5, hold=60, tau=200)
        label(s, "review_wipe", onset)
        maybe_secondary(s, first, onset, "review_wipe")

    # --- benign spam clean-up: needs reviews to sweep ----------------------------------------------
    # A sweep needs something to sweep: about thirty reviews posted by then.
    swept_day = np.ceil(30 / np.maximum(reviews_day, 1e-9))
    cleanup_ok = history & (swept_day <= hi - 10)
    for s in picker.take(cleanup_ok, n_benign):
        onset = int(rng.integers(max(lo, int(swept_day[s])), hi + 1))
        automated = rng.random() < 0.7
        moderator = int(staff.moderators_for(rng, [cat_of[s]])[0])
        plan.cleanups.append(Cleanup(int(s), focus(s, 5), onset, int(rng.integers(60, 150)),
                                     float(rng.uniform(0.2, 0.6)), "automated" if automated else "staff",
                                     moderator, logged=rng.random() < 0.7))
        label(s, "benign_spam_cleanup", onset)

    # --- sales intelligence and ordinary launches aimed at the category's best sellers ---------------
    launches: list[tuple[int, int]] = []  # (seller, day): listed all at once below

    def add_launch(s: int, day: int) -> int:
        launches.append((int(s), int(day)))
        return products.n + len(launches) - 1

    def intel_delay() -> int:
        """Days from the look-up to the launch or cut it informs."""
        return int(rng.integers(14, 57)) if mess.slow else int(rng.integers(1, 11))

    buyers = take_buyers("sales_intel", history & crowded, n_insider)
    unlogged = take_buyers("sales_intel_unlogged", history & crowded, n_unlogged) if n_unlogged else buyers[:0]
    for s, logged in [(s, True) for s in buyers] + [(s, False) for s in unlogged]:
        strength = rng.uniform(0.05, 1.0)
        employee = insider("view_sales", s)
        delay = intel_delay()
        day = int(rng.integers(lo, max(lo + 1, D - delay - 3)))  # the look-up
        first = day
        for round_ in range(2):
            act = int(min(day + delay, D - 3))
            if rng.random() < 0.65 or not has_focus[s]:
                kind, product = "intel_launch", add_launch(s, act)
            else:
                kind, product = "intel_cut", int(main[s])
            plan.targeted.append(Targeted(int(s), int(cat_of[s]), product, kind, act, day, employee, strength,
                                          logged=logged and (round_ == 0 or rng.random() < 0.8)))
            day = act + int(rng.integers(30, 80))
            delay = intel_delay()
            if round_ == 0 and (rng.random() > 0.35 or day + delay > D - 12):
                break
        label(s, "sales_intel" if logged else "sales_intel_unlogged", first)
        if logged:  # an unlogged buyer leaves no trace in the log at all
            maybe_secondary(s, employee, first, "sales_intel")

    for s in picker.take(history & crowded, n_benign):
        day = onset_for(s)
        product = add_launch(s, day)
        plan.targeted.append(Targeted(int(s), int(cat_of[s]), product, "benign_launch", day, -1, -1, 0.0))
        label(s, "benign_launch", day)

    # --- rank movers with honest explanations ----------------------------------------------------------
    # Look-alikes whose own event should explain the move stay out of categories with a promotion
    # surge, which would move them too.
    no_surge = cats.surge_start[sellers.primary_category] < 0
    # Listings with close rivals just above them are preferred: that is where a rank visibly jumps.
    movers_ok = history & (main_units >= 1.5) & (headroom >= 5) & no_surge
    prefer_room = np.where(room & (main_units >= 2), 20.0, 1.0)
    elastic = products.elasticity[np.maximum(main, 0)] >= 1.8  # where price cuts pay
    for s in picker.take(movers_ok & elastic, n_benign, weight=prefer_room):
        p = int(main[s])
        day = onset_for(s, after=21)
        depth = rng.uniform(0.15, 0.4)
        # Deep enough that demand visibly responds (about 2.5x the units or more).
        depth = min(max(depth, 1 - np.exp(-0.9 / products.elasticity[p])), 0.5)
        end = D if rng.random() < 0.7 else int(day + rng.integers(42, 85))
        plan.price_cuts.append((p, day, 1 - depth, end))
        calm_listing(int(main[s]), day)
        label(s, "benign_price_cut", day)

    for s in picker.take(movers_ok, n_benign, weight=prefer_room):
        p = int(main[s])
        day = onset_for(s, after=21)
        sellers.advertises[s] = True
        revenue = products.base_demand[p] * products.ref_price[p]
        plan.campaigns.append((p, day, int(min(day + rng.integers(21, 71), D)),
                               revenue * rng.uniform(0.6, 2.0), rng.uniform(0.25, 0.4)))
        calm_listing(int(main[s]), day)
        label(s, "benign_ad_campaign", day)

    for s in picker.take(history & (main_units >= 0.3) & (headroom >= 3) & no_surge, n_benign):
        day = onset_for(s, after=21)
        # A hit sells: at least a few units a day, however small the listing was.
        lift = max(rng.uniform(3, 12), rng.uniform(4, 10) / main_units[s])
        plan.effect(main[s], day, np.log(min(lift, 60)), ramp=rng.uniform(2, 6),
                    hold=rng.uniform(3, 10), tau=rng.uniform(15, 80))
        calm_listing(int(main[s]), day)
        label(s, "benign_viral", day)

    # --- harvested reviewer emails ---------------------------------------------------------------------
    for s in take_buyers("harvested_reviewers", history & crowded, n_insider):
        strength = rng.uniform(0.05, 1.0)
        p = int(main[s])
        day = onset_for(s)
        first = day
        r30 = reviews_day[s] * 30
        for k in range(2):
            count = int(np.clip(round(6 + (0.4 + 1.6 * strength) * r30 + 12 * strength), 8, 150))
            length = int(rng.integers(3, 15))
            if k:  # a smaller top-up later
                count = max(5, int(count * rng.uniform(0.5, 1)))
            plan.bursts.append(Burst(int(s), p, day, length, count,
                                     harvested_share=0.55 + 0.4 * strength,
                                     verified_p=rng.uniform(0.1, 0.4), filtered_p=rng.uniform(0.05, 0.2),
                                     aftermath_one_star=0.04 + 0.08 * strength))
            plan.effect(p, day, 0.25 + 0.9 * strength, ramp=length, hold=length, tau=25)
            plan.effect(p, day + length + 35, -0.05 - 0.1 * strength, ramp=10, hold=60, tau=60)
            day = day + int(rng.integers(20, 46))
            if k == 0 and (rng.random() > 0.35 or day > D - 10):
                break
        employee = insider("export_reviewers", s)
        if rng.random() < 0.55:  # the leaked reviewer list shows up as exports of rivals' reviewers
            lookup = max(1, first - int(rng.integers(1, 7)))
            for r in rival_listings(s, 3):
                plan.traces.append((employee, work_ms(rng, tl, staff, employee, lookup), "export_reviewers",
                                    int(products.seller[r]), -1))
            first = lookup
        label(s, "harvested_reviewers", first)
        maybe_secondary(s, employee, first, "harvested_reviewers")

    # --- reinstatements --------------------------------------------------------------------------------
    # Variant crowded: buyers from the bad team's region, lifted by its own corrupt members, until about
    # a tenth of that team's reinstatements are bought (its honest ones estimated from the ordinary
    # suspension rate and the look-alikes).
    def reinstate(s: int, employee: int, most: int = 4) -> int:
        """A buyer's bought reinstatements (at most ``most``): returns how many were made."""
        strength = rng.uniform(0.05, 1.0)
        day = onset_for(s)
        first, made = day, 0
        repeats = rng.binomial(3, 0.15 + 0.5 * strength)
        for _ in range(min(1 + repeats, most)):
            if day > D - 2:
                break
            plan.episodes.append(_bought_reinstatement(rng, tl, int(s), day, employee, strength))
            made += 1
            day = day + int(rng.integers(12, 61))
        label(s, "bought_reinstatement", first)
        maybe_secondary(s, employee, first, "bought_reinstatement")
        return made

    used = 0
    if bad_team >= 0 and team_insiders.size:
        in_team = seller_team == bad_team
        honest = in_team.sum() * 0.07 * D / 365 * 0.6 + 2 * n_benign * in_team.mean() * 0.75
        wanted = max(1, round(honest * CROWDED_SHARE / (1 - CROWDED_SHARE)))
        candidates = picker.take(history & in_team & ~in_bad, min(wanted, n_insider))
        for s in candidates:
            if wanted <= 0:
                picker.free[s] = True  # not needed after all
                continue
            wanted -= reinstate(int(s), int(rng.choice(team_insiders)), most=wanted)
            used += 1
    for s in take_buyers("bought_reinstatement", history, n_insider - used):
        reinstate(int(s), insider("reinstate_account", s))

    for s in picker.take(history, n_benign):
        day = onset_for(s)
        start = int(tl.day_ms(day) + rng.integers(0, DAY_MS))
        roll = rng.random()
        reason = (accounts.VERIFICATION_REASON if roll < 0.2 else
                  str(rng.choice(accounts.SERIOUS_REASONS if roll < 0.8 else accounts.MINOR_REASONS)))
        plan.episodes.append(accounts.slow_episode(rng, int(s), start, reason, Health(staff, int(seller_team[s])),
                                                   serious=roll < 0.8, must_reinstate=True))
        label(s, "benign_slow_reinstatement", day)

    for s in picker.take(history, n_benign):
        day = onset_for(s)
        start = int(tl.day_ms(day) + rng.integers(0, DAY_MS))
        plan.episodes.append(accounts.verification_hold(rng, int(s), start, Health(staff, int(seller_team[s])),
                                                        slow_share=0.0, fast_only=True))
        label(s, "benign_fast_verification", day)

    # --- a buyer often uses its insider for a second, smaller service ----------------------------------
    for s, employee, after, scenario in secondary:
        day = int(after + rng.integers(7, 61))
        if day > D - 3:
            continue
        if scenario != "review_wipe" and neg_day[s] * (day - lo + 45) >= 4 and rng.random() < 0.7:
            # A few of the seller's negative reviews taken down, by the same employee.
            plan.wipes.append(Wipe(int(s), focus(s), day, span_days=int(rng.integers(1, 3)),
                                   count=int(rng.integers(2, 5)), employees=np.array([employee]),
                                   logged=rng.random() < 0.65))
        elif scenario in ("review_wipe", "harvested_reviewers", "competitor_sabotage") and rng.random() < 0.5:
            # The rivals' reviewers exported for the buyer.
            for r in rival_listings(s, int(rng.integers(1, 4))):
                plan.traces.append((employee, work_ms(rng, tl, staff, employee, day), "export_reviewers",
                                    int(products.seller[r]), -1))
        else:
            # The rivals' sales figures looked up for the buyer.
            for r in rival_listings(s, int(rng.integers(1, 4))):
                plan.traces.append((employee, work_ms(rng, tl, staff, employee, day), "view_sales",
                                    int(products.seller[r]), int(r)))

    if launches:
        who, day = (np.array(x) for x in zip(*launches))
        products.append(new_products(rng, tl, cats, sellers, who, cat_of[who], day))
    plan.unused = picker.free.copy()
    return plan


def _bought_reinstatement(rng: np.random.Generator, tl: Timeline, seller: int, day: int, employee: int,
                          strength: float) -> Episode:
    """A serious suspension lifted within hours by the bribed employee, with no appeal or one written
    minutes before for the record."""
    start = int(tl.day_ms(day) + rng.integers(0, DAY_MS))
    if strength > 0.5:
        hours = np.exp(rng.uniform(np.log(0.4), np.log(3)))
    else:
        hours = np.exp(rng.uniform(np.log(1.5), np.log(20)))
    ep = Episode(seller, start, str(rng.choice(accounts.SERIOUS_REASONS)))
    ep.reinstated_ms = start + int(hours * HOUR_MS)
    if rng.random() < 0.45:  # an appeal written minutes before, for the record
        ep.appeals_ms = [ep.reinstated_ms - int(rng.uniform(2, 25) * 60_000)]
    ep.reinstated_by, ep.reinstate_logged = employee, rng.random() < 0.85
    return ep
