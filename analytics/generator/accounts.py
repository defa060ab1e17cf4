"""Account events: suspensions, appeals, reinstatements and closures, and the days a suspended or
closed seller's listings are down."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from analytics.generator.staff import Staff
from analytics.generator.timeline import DAY_MS, HOUR_MS, MINUTE_MS, Timeline

SERIOUS_REASONS = ("safety complaint", "IP claim", "review manipulation", "counterfeit complaint")
MINOR_REASONS = ("policy violation", "account health rating", "late shipment rate")
VERIFICATION_REASON = "identity verification"


@dataclass
class Episode:
    """One suspension of a seller and what followed it."""

    seller: int
    suspended_ms: int
    reason: str
    appeals_ms: list[int] = field(default_factory=list)
    reinstated_ms: int | None = None
    closed_ms: int | None = None
    reinstated_by: int = -1      # employee; -1 = lifted automatically
    reinstate_logged: bool = False
    suspended_by: int = -1       # employee; -1 = an automated rule
    suspend_logged: bool = False


@dataclass
class AccountEvents:
    seller: np.ndarray
    ts_ms: np.ndarray
    event: np.ndarray
    reason: np.ndarray
    blocked: dict[int, list[tuple[int, int]]]  # seller -> [first day, end day) ranges with listings down
    staff_actions: list[tuple[int, int, str, int]]  # (employee, event ms, action, seller): the event's log line
    staff_views: list[tuple]  # (employee, ms, action, seller, product): look-ups at their own time


def ordinary_episodes(rng: np.random.Generator, tl: Timeline, staff: Staff, registered_day: np.ndarray,
                      seller_team: np.ndarray, eligible: np.ndarray) -> list[Episode]:
    """Suspensions of honest sellers: mostly automated verification holds and slow appeals, handled
    by the account-health team of the seller's region."""
    rate = min(0.07 * tl.days / 365, 0.2)
    episodes = []
    for seller in eligible[rng.random(eligible.size) < rate]:
        first_day = max(int(registered_day[seller]) + 7, 1)
        if first_day >= tl.days - 1:
            continue
        start = tl.day_ms(rng.integers(first_day, tl.days)) + int(rng.integers(0, DAY_MS))
        health = Health(staff, int(seller_team[seller]))
        kind = rng.random()
        if kind < 0.4:
            episodes.append(verification_hold(rng, int(seller), int(start), health, slow_share=0.15))
        elif kind < 0.72:
            reason = str(rng.choice(SERIOUS_REASONS))
            if rng.random() < 0.2:  # settled fast and honestly: the look-alike of a bought one
                episodes.append(fast_settlement(rng, int(seller), int(start), reason, health))
            else:
                episodes.append(slow_episode(rng, int(seller), int(start), reason, health, serious=True))
        else:
            episodes.append(slow_episode(rng, int(seller), int(start), str(rng.choice(MINOR_REASONS)), health,
                                         serious=False))
    return episodes


class Health:
    """Who in account health handles one seller's case: ``pick(rng)`` is an employee of the team for
    the seller's region (mostly; see ``Staff.health_for``)."""

    def __init__(self, staff: Staff, team: int):
        self.staff, self.team = staff, team

    def pick(self, rng: np.random.Generator) -> int:
        return self.staff.health_for(rng, self.team)


def fast_settlement(rng: np.random.Generator, seller: int, start: int, reason: str,
                    health: Health) -> Episode:
    """A serious suspension settled within hours to a couple of days, honestly: the seller uploads an
    invoice or licence and it is accepted within the hour, or the rights owner withdraws an IP claim."""
    ep = Episode(seller, start, reason)
    ep.reinstated_by = health.pick(rng)
    ep.reinstate_logged = rng.random() < 0.9
    if reason == "IP claim" and rng.random() < 0.3:  # complaint withdrawn: no appeal needed
        ep.reinstated_ms = start + int(rng.uniform(2, 30) * HOUR_MS)
        return ep
    appeal = start + int(rng.uniform(2, 48) * HOUR_MS)
    ep.appeals_ms = [appeal]
    ep.reinstated_ms = appeal + int(rng.uniform(8, 58) * MINUTE_MS)
    return ep


def verification_hold(rng: np.random.Generator, seller: int, start: int, health: Health, *,
                      slow_share: float, fast_only: bool = False) -> Episode:
    """An automated identity-verification hold: usually lifted within hours, by the system or
    minutes after the seller uploads the missing document."""
    ep = Episode(seller, start, VERIFICATION_REASON)
    roll = rng.random()
    if roll < 0.55:
        ep.reinstated_ms = start + int(rng.uniform(0.7, 30) * HOUR_MS)
    elif roll < 1 - slow_share or fast_only:
        appeal = start + int(rng.uniform(0.5, 40) * HOUR_MS)
        ep.appeals_ms = [appeal]
        ep.reinstated_ms = appeal + int(rng.uniform(4, 58) * MINUTE_MS)
        ep.reinstated_by = health.pick(rng)
        ep.reinstate_logged = rng.random() < 0.9
    else:
        appeal = start + int(rng.uniform(1, 5) * DAY_MS)
        ep.appeals_ms = [appeal]
        ep.reinstated_ms = appeal + int(rng.uniform(2, 15) * DAY_MS)
        ep.reinstated_by = health.pick(rng)
        ep.reinstate_logged = rng.random() < 0.9
    return ep


def slow_episode(rng: np.random.Generator, seller: int, start: int, reason: str, health: Health, *,
                 serious: bool, must_reinstate: bool = False) -> Episode:
    """An ordinary suspension: an appeal after days, a decision days or weeks later."""
    ep = Episode(seller, start, reason)
    if rng.random() < 0.5:
        ep.suspended_by = health.pick(rng)
        ep.suspend_logged = rng.random() < 0.6
    if not must_reinstate and rng.random() < 0.12:
        return ep  # never appealed: still suspended, or closed below
    appeal = start + int(rng.uniform(0.5, 10) * DAY_MS)
    ep.appeals_ms = [appeal]
    if rng.random() < 0.2:  # the first appeal was turned down
        appeal = appeal + int(rng.uniform(3, 12) * DAY_MS)
        ep.appeals_ms.append(appeal)
    outcome = rng.random()
    if must_reinstate or outcome < 0.8:
        wait_days = rng.uniform(3, 35) if serious else rng.uniform(2 if must_reinstate else 1, 14)
        ep.reinstated_ms = appeal + int(wait_days * DAY_MS)
        ep.reinstated_by = health.pick(rng)
        ep.reinstate_logged = rng.random() < 0.9
    elif outcome < 0.9:
        ep.closed_ms = appeal + int(rng.uniform(10, 60) * DAY_MS)
    return ep


def build_account_events(tl: Timeline, episodes: list[Episode], closures: list[tuple[int, int]],
                         rng: np.random.Generator) -> AccountEvents:
    """Rows for every event inside the window; listing-down days for suspensions and closures; the
    staff actions the account tools logged.

    ``closures`` are (seller, ms) closures without a suspension (sellers who leave). Staff who lift a
    suspension often open the account first (minutes before), honest or not."""
    sellers, ts, events, reasons = [], [], [], []
    blocked: dict[int, list[tuple[int, int]]] = {}
    actions: list[tuple[int, int, str, int]] = []
    views: list[tuple] = []

    def add(seller: int, ms: int, event: str, reason: str | None) -> bool:
        if ms > tl.end_ms:
            return False
        sellers.append(seller)
        ts.append(ms)
        events.append(event)
        reasons.append(reason)
        return True

    for ep in sorted(episodes, key=lambda e: (e.seller, e.suspended_ms)):
        if not add(ep.seller, ep.suspended_ms, "suspended", ep.reason):
            continue
        if ep.suspend_logged and ep.suspended_by >= 0:
            actions.append((ep.suspended_by, ep.suspended_ms, "suspend_account", ep.seller))
        for appeal in ep.appeals_ms:
            add(ep.seller, appeal, "appeal_submitted", None)
        down_until = tl.end_ms + 1
        if ep.reinstated_ms is not None and add(ep.seller, ep.reinstated_ms, "reinstated", ep.reason):
            down_until = ep.reinstated_ms
            if ep.reinstate_logged and ep.reinstated_by >= 0:
                actions.append((ep.reinstated_by, ep.reinstated_ms, "reinstate_account", ep.seller))
                if rng.random() < 0.45:
                    look = max(ep.reinstated_ms - int(rng.uniform(2, 40) * MINUTE_MS), ep.suspended_ms + MINUTE_MS)
                    views.append((ep.reinstated_by, look, "view_account", ep.seller, -1))
        elif ep.closed_ms is not None and add(ep.seller, ep.closed_ms, "closed", "not reinstated after suspension"):
            down_until = tl.end_ms + 1
        blocked.setdefault(ep.seller, []).append(_down_days(tl, ep.suspended_ms, down_until))
    for seller, ms in closures:
        if add(seller, ms, "closed", "closed by seller"):
            blocked.setdefault(seller, []).append(_down_days(tl, ms, tl.end_ms + 1))
    order = np.lexsort((np.asarray(ts, dtype=np.int64), np.asarray(sellers, dtype=np.int64)))
    return AccountEvents(
        seller=np.asarray(sellers, dtype=np.int32)[order],
        ts_ms=np.asarray(ts, dtype=np.int64)[order],
        event=np.asarray(events, dtype=object)[order],
        reason=np.asarray(reasons, dtype=object)[order],
        blocked=blocked,
        staff_actions=actions,
        staff_views=views,
    )


def _down_days(tl: Timeline, start_ms: int, end_ms: int) -> tuple[int, int]:
    """Days on which listings were down for at least half the day: [first, end)."""
    if end_ms - start_ms < DAY_MS // 2:
        return 0, 0
    first = (start_ms - tl.start_ms + DAY_MS // 2) // DAY_MS
    end = (end_ms - tl.start_ms + DAY_MS // 2) // DAY_MS
    return int(max(first, 0)), int(min(max(end, first), tl.days))
