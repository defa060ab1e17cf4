"""Marketplace employees who can see and touch seller data, and the few who sell what they see."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytics.generator.market import Categories

ROLES = ("category_manager", "moderator", "account_health", "support")
CATEGORY_MANAGER, MODERATOR, ACCOUNT_HEALTH, SUPPORT = range(4)
# Working hours start, in UTC, for the offices staff sit in (Seattle, Dublin, Hyderabad, Shenzhen).
_OFFICE_START_HOUR_UTC = np.array([16.0, 8.0, 3.5, 1.0])


@dataclass
class Staff:
    role: np.ndarray               # index into ROLES
    shift_start_hour: np.ndarray   # UTC hour the working day starts
    managed: list[np.ndarray]      # per category: the category managers responsible for it
    corrupt: np.ndarray            # indices of employees who sell insider services

    @property
    def n(self) -> int:
        return len(self.role)

    def of_role(self, role: int) -> np.ndarray:
        return np.flatnonzero(self.role == role)


def build_staff(rng: np.random.Generator, cats: Categories, sellers: int) -> Staff:
    n = int(np.clip(50 + sellers // 10, 60, 2500))
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
    n_corrupt = int(np.clip(round(sellers / 150), 3, max(3, n // 12)))
    corrupt = np.sort(rng.choice(n, n_corrupt, replace=False))
    return Staff(role, shift, managed, corrupt)
