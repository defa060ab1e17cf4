"""Marketplace employees who can see and touch seller data, and the few who sell what they see.

Honest staff have their own work: a category manager looks after one or two categories, a moderator
works the review queues of a few categories, an account-health employee sits in the team for one
region's sellers, and support agents answer anyone. Now and then they act outside it (covering for a
colleague, an escalation). Corrupt employees are ordinary staff of every role who also sell access;
brokers resell them, so some serve many buyers and others few (``insider_weight``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytics.generator.market import Categories, Sellers

ROLES = ("category_manager", "moderator", "account_health", "support")
CATEGORY_MANAGER, MODERATOR, ACCOUNT_HEALTH, SUPPORT = range(4)
# Working hours start, in UTC, for the offices staff sit in (Seattle, Dublin, Hyderabad, Shenzhen).
_OFFICE_START_HOUR_UTC = np.array([16.0, 8.0, 3.5, 1.0])
# Account-health teams, one per region of sellers.
TEAMS = ("greater_china", "americas", "europe", "asia")
_TEAM_OF_COUNTRY = {"CN": 0, "HK": 0, "US": 1, "CA": 1, "GB": 2, "DE": 2, "FR": 2, "IT": 2, "ES": 2, "TR": 2,
                    "IN": 3, "JP": 3, "VN": 3}
OUTSIDE_SHARE = 0.04  # share of an honest employee's actions outside their own queue or team

# How suitable each role is for each kind of insider act (a broker finds who has the access).
_SUITABILITY = {
    "remove_review": {MODERATOR: 3.0, ACCOUNT_HEALTH: 0.7, SUPPORT: 1.0, CATEGORY_MANAGER: 0.5},
    "reinstate_account": {ACCOUNT_HEALTH: 3.0, SUPPORT: 1.0, MODERATOR: 0.5, CATEGORY_MANAGER: 0.5},
    "view_sales": {CATEGORY_MANAGER: 2.0, SUPPORT: 2.0, ACCOUNT_HEALTH: 1.0, MODERATOR: 0.7},
    "export_reviewers": {MODERATOR: 2.0, SUPPORT: 1.0, CATEGORY_MANAGER: 1.0, ACCOUNT_HEALTH: 0.5},
    "suspend_account": {ACCOUNT_HEALTH: 3.0, SUPPORT: 1.0, MODERATOR: 1.0, CATEGORY_MANAGER: 0.5},
}


def team_of_country(country: np.ndarray) -> np.ndarray:
    return np.array([_TEAM_OF_COUNTRY.get(str(c), 3) for c in country], dtype=np.int8)


@dataclass
class Staff:
    role: np.ndarray               # index into ROLES
    shift_start_hour: np.ndarray   # UTC hour the working day starts
    managed: list[np.ndarray]      # per category: the category managers responsible for it
    queue: list[np.ndarray]        # per category: the moderators whose review queue covers it
    team: np.ndarray               # account-health team (index into TEAMS); -1 for other roles
    corrupt: np.ndarray            # indices of employees who sell insider services
    insider_weight: np.ndarray     # per employee: how much business brokers send them (0 = honest)
    crowded_category: int = -1     # the category where a tenth of the sellers bought (variant crowded)
    crowded_team: int = -1         # the team where a tenth of the reinstatements were bought
    crowded_insiders: np.ndarray | None = None  # the one or two insiders serving the crowded category

    @property
    def n(self) -> int:
        return len(self.role)

    def of_role(self, role: int) -> np.ndarray:
        return np.flatnonzero(self.role == role)

    def team_members(self, team: int) -> np.ndarray:
        members = np.flatnonzero(self.team == team)
        return members if members.size else self.of_role(ACCOUNT_HEALTH)

    def moderators_for(self, rng: np.random.Generator, category: np.ndarray) -> np.ndarray:
        """An honest moderator for each review of these categories: one from the category's queue,
        or now and then anyone (covering for a colleague)."""
        category = np.asarray(category, dtype=np.int64)
        out = np.empty(category.size, dtype=np.int64)
        moderators = self.of_role(MODERATOR)
        for c in np.unique(category):
            rows = np.flatnonzero(category == c)
            out[rows] = rng.choice(self.queue[c] if self.queue[c].size else moderators, rows.size)
        stray = rng.random(category.size) < OUTSIDE_SHARE
        out[stray] = rng.choice(moderators, int(stray.sum()))
        # Support agents take down an abusive review on a customer's complaint now and then.
        support = self.of_role(SUPPORT)
        escalated = rng.random(category.size) < 0.01
        if support.size:
            out[escalated] = rng.choice(support, int(escalated.sum()))
        return out

    def health_for(self, rng: np.random.Generator, team: int) -> int:
        """An honest account-health employee for a seller of ``team``'s region: the team's own mostly,
        another team's now and then, and rarely a support agent with an escalation."""
        roll = rng.random()
        if roll < 0.02 and self.of_role(SUPPORT).size:
            return int(rng.choice(self.of_role(SUPPORT)))
        if roll < 0.02 + OUTSIDE_SHARE:
            return int(rng.choice(self.of_role(ACCOUNT_HEALTH)))
        return int(rng.choice(self.team_members(team)))

    def insider_for(self, rng: np.random.Generator, action: str, *, exclude: np.ndarray | None = None,
                    home: np.ndarray | None = None) -> int:
        """The corrupt employee a broker sends a buyer to for ``action``: by how much business brokers
        send them and how suited their role is; those whose own work covers the buyer (``home``: the
        category's moderators or managers, the region's team) are preferred where there are any."""
        pool = self.corrupt
        if exclude is not None and np.setdiff1d(pool, exclude).size:
            pool = np.setdiff1d(pool, exclude)
        suit = np.array([_SUITABILITY[action][int(r)] for r in self.role[pool]])
        if home is not None:
            suit = suit * np.where(np.isin(pool, home), 4.0, 1.0)
        w = self.insider_weight[pool] * suit
        return int(rng.choice(pool, p=w / w.sum()))


def build_staff(rng: np.random.Generator, cats: Categories, sellers: Sellers, *, n_corrupt: int,
                crowded: bool = False) -> Staff:
    """``n_corrupt``: how many employees sell access (about one for every six buyers)."""
    n_sellers = sellers.n
    n = int(np.clip(50 + n_sellers // 10, 60, 2500))
    n_managers = max(cats.n, int(0.12 * n))
    role = np.concatenate([
        np.full(n_managers, CATEGORY_MANAGER),
        rng.choice([MODERATOR, ACCOUNT_HEALTH, SUPPORT], n - n_managers, p=[0.3, 0.17, 0.53]),
    ]).astype(np.int8)
    office = rng.choice(4, n, p=[0.35, 0.2, 0.3, 0.15])
    shift = _OFFICE_START_HOUR_UTC[office] + rng.uniform(-1, 1.5, n)

    # Each category has at least one manager; larger categories get more.
    managers = np.arange(n_managers)
    home = np.concatenate([np.arange(cats.n), rng.choice(cats.n, n_managers - cats.n, p=cats.weight)])
    extra = rng.choice(cats.n, n_managers)  # some managers look after a second category
    managed = []
    for c in range(cats.n):
        mine = managers[(home == c) | ((extra == c) & (rng.random(n_managers) < 0.3))]
        managed.append(mine)

    # Moderators: each works the queues of one to three categories; every category has a queue.
    moderators = np.flatnonzero(role == MODERATOR)
    member = [[] for _ in range(cats.n)]
    if moderators.size:
        for k, m in enumerate(moderators):
            cs = set(rng.choice(cats.n, int(rng.integers(1, 4)), p=cats.weight).tolist())
            if k < cats.n:
                cs.add(k)
            for c in cs:
                member[c].append(int(m))
        for c in range(cats.n):
            if not member[c]:
                member[c].append(int(rng.choice(moderators)))
    queue = [np.array(sorted(m), dtype=np.int64) for m in member]

    # Account-health staff: one team per region, sized by the region's sellers.
    health = np.flatnonzero(role == ACCOUNT_HEALTH)
    seller_team = team_of_country(sellers.country)
    share = np.bincount(seller_team, minlength=len(TEAMS)) + 1.0
    team = np.full(n, -1, dtype=np.int8)
    if health.size:
        team[health] = rng.choice(len(TEAMS), health.size, p=share / share.sum())
        for t in range(min(len(TEAMS), health.size)):
            if not (team == t).any():  # every team has someone
                biggest = np.bincount(team[health], minlength=len(TEAMS)).argmax()
                team[rng.choice(np.flatnonzero(team == biggest))] = t

    # Corrupt employees of every role, in turn; brokers favour some of them.
    corrupt: list[int] = []
    order = (MODERATOR, ACCOUNT_HEALTH, CATEGORY_MANAGER, SUPPORT)
    for k in range(n_corrupt):
        r = order[k % len(order)]
        pool = np.setdiff1d(np.flatnonzero(role == r), corrupt)
        if pool.size == 0:
            pool = np.setdiff1d(np.arange(n), corrupt)
        corrupt.append(int(rng.choice(pool)))
    weight = np.zeros(n)
    weight[corrupt] = rng.pareto(1.5, len(corrupt)) + 0.3

    crowded_category = crowded_team = -1
    crowded_insiders = None
    if crowded:
        # The region with the most sellers has the bad account-health team: two of its members sell.
        crowded_team = int(np.bincount(seller_team, minlength=len(TEAMS)).argmax())
        members = np.flatnonzero(team == crowded_team)
        bad = [c for c in corrupt if team[c] == crowded_team]
        for m in rng.permutation(np.setdiff1d(members, bad))[: max(0, 2 - len(bad))]:
            corrupt.append(int(m))
            weight[m] = rng.pareto(1.5) + 0.3
    corrupt_arr = np.array(sorted(set(corrupt)), dtype=np.int64)
    staff = Staff(role, shift, managed, queue, team, corrupt_arr, weight, crowded_category, crowded_team)
    return staff


def choose_crowded_category(rng: np.random.Generator, staff: Staff, cats: Categories, sellers: Sellers,
                            buyers: int) -> None:
    """The bad category: the largest whose tenth of sellers is at most 30 % of all buyers (a big
    marketplace with rare buyers cannot have a tenth of its largest category bought). Two insiders
    serve most of its buyers; one of them works on it (its moderator or manager)."""
    counts = np.bincount(sellers.primary_category, minlength=cats.n)
    fits = np.flatnonzero((0.1 * counts <= 0.3 * buyers) & (counts >= 20))
    c = int(fits[np.argmax(counts[fits])]) if fits.size else int(np.argsort(counts)[len(counts) // 2])
    staff.crowded_category = c
    # One insider works on the category: a corrupt moderator gets its queue, or a corrupt manager it.
    corrupt = staff.corrupt[staff.team[staff.corrupt] != staff.crowded_team] if staff.crowded_team >= 0 \
        else staff.corrupt  # the bad team's corrupt members serve its reinstatements only
    mods = corrupt[staff.role[corrupt] == MODERATOR]
    mgrs = corrupt[staff.role[corrupt] == CATEGORY_MANAGER]
    if mods.size and (rng.random() < 0.6 or not mgrs.size):
        local = int(rng.choice(mods))
        staff.queue[c] = np.union1d(staff.queue[c], [local])
    elif mgrs.size:
        local = int(rng.choice(mgrs))
        staff.managed[c] = np.union1d(staff.managed[c], [local])
    else:
        local = int(rng.choice(corrupt))
    other = np.setdiff1d(corrupt, [local])
    second = int(rng.choice(other)) if other.size else local
    staff.crowded_insiders = np.unique([local, second])
