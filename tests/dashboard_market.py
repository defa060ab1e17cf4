"""A small hand-made marketplace for the dashboard's tests, scored by the real engine.

Thirty sellers in two categories over 120 days. One buyer of insider services, S000 (kitchen, CN,
Shenzhen), does everything the seller page has a panel for: two safety suspensions lifted within hours
(the core signal that flags it), staff removing its 1-2 star reviews, a burst of 5-star reviews from
customers who had reviewed its rival S001, and a sales-rank jump from day 70 that its price and ads
do not explain. S001 (kitchen) is the victim: a 1-star burst and a falling rank from day 70. An
employee E7 looked at S001's sales and removed S000's reviews. S003 (garden, CN) has quick
reinstatements only in April, so only the last run flags it. S029 registered on 2026-04-10, after the
early run. Everyone else is ordinary.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from analytics import scoring
from tests.builders import build_db

START = dt.date(2026, 1, 1)
DAYS = 120
LAST_DAY = START + dt.timedelta(days=DAYS - 1)  # 2026-04-30
EARLY_RUN = dt.date(2026, 3, 31)
RISE_DAY = 70  # 2026-03-12
RISE_DATE = START + dt.timedelta(days=RISE_DAY)
LATE_REGISTRATION = dt.date(2026, 4, 10)
BUYER, VICTIM, LATE = "S000", "S001", "S003"
PLACES = [("CN", "Shenzhen"), ("US", "Seattle"), ("DE", "Berlin")]


def _sellers(n: int) -> pd.DataFrame:
    return pd.DataFrame({
        "seller_id": [f"S{i:03d}" for i in range(n)],
        "seller_name": [f"Seller {i}" for i in range(n)],
        "country": [PLACES[i % 3][0] for i in range(n)],
        "city": [PLACES[i % 3][1] for i in range(n)],
        "registered_on": [LATE_REGISTRATION if i == n - 1 else dt.date(2025, 1, 1) for i in range(n)],
        "primary_category": ["kitchen" if i % 2 == 0 or i == 1 else "garden" for i in range(n)],
    })


def _daily(rng, products: pd.DataFrame) -> pd.DataFrame:
    days = pd.date_range(START, periods=DAYS, freq="D")
    rows = []
    for product in products.itertuples():
        rate = np.full(DAYS, np.exp(rng.uniform(1.5, 3.5)))
        if product.seller_id == BUYER:
            rate[RISE_DAY:] *= 12.0
        if product.seller_id == VICTIM:
            rate = np.full(DAYS, 60.0)
            rate[RISE_DAY:] /= 6.0
        rows.append(pd.DataFrame({"product_id": product.product_id, "date": days.date,
                                  "units_sold": rng.poisson(rate), "price": 20.0 + rng.normal(0, 0.2, DAYS),
                                  "ad_spend": np.round(rng.uniform(0, 5, DAYS), 2),
                                  "category": product.category}))
    daily = pd.concat(rows, ignore_index=True)
    daily["sales_rank"] = daily.groupby(["category", "date"])["units_sold"].rank(
        ascending=False, method="first").astype(int)
    return daily.drop(columns="category")


def _reviews(rng, products: pd.DataFrame) -> pd.DataFrame:
    rows = []

    def add(product_id, reviewer, rating, day, hour=12, removed_day=None, removed_by=None, verified=True):
        created = pd.Timestamp(START) + pd.Timedelta(days=day, hours=hour)
        removed = pd.Timestamp(START) + pd.Timedelta(days=removed_day, hours=15) if removed_day is not None else None
        rows.append({"review_id": f"V{len(rows):05d}", "product_id": product_id, "reviewer_id": reviewer,
                     "rating": rating, "created_at": created, "verified_purchase": verified,
                     "removed_at": removed, "removed_by": removed_by})

    for product in products.itertuples():
        for day in range(DAYS):
            for _ in range(rng.poisson(0.4)):
                add(product.product_id, f"C{rng.integers(0, 400):04d}", int(rng.choice([1, 2, 3, 4, 5],
                    p=[0.08, 0.07, 0.15, 0.3, 0.4])), day)
        # Honest moderation: a few removals of all ratings by customers and the automated filter.
        for day in rng.choice(DAYS, 2, replace=False):
            add(product.product_id, f"C{rng.integers(0, 400):04d}", int(rng.integers(1, 6)), int(day) - 3,
                removed_day=int(day), removed_by=str(rng.choice(["customer", "automated"])))
    buyer_product, victim_product = "P000", "P001"
    # Bought deletions: the buyer's 1-2 star reviews removed by staff within two days.
    for k in range(8):
        add(buyer_product, f"C{300 + k:04d}", 1 + k % 2, 40 + k, removed_day=63 + k % 2, removed_by="staff")
    # Harvested reviewer list: the victim's reviewers praise the buyer, unverified, in a burst.
    for k in range(12):
        reviewer = f"H{k:03d}"
        add(victim_product, reviewer, 4, 20 + k)
        add(buyer_product, reviewer, 5, RISE_DAY - 2 + k % 5, verified=False)
    # Sabotage: the victim takes a 1-star burst as the buyer rises.
    for k in range(15):
        add(victim_product, f"X{k:03d}", 1, RISE_DAY + k % 10)
    return pd.DataFrame(rows)


def _account_events(rng) -> pd.DataFrame:
    events = []

    def episode(seller, start, hours, reason, appeal_minutes_before=None):
        suspended = pd.Timestamp(start)
        reinstated = suspended + pd.Timedelta(hours=hours)
        events.append((seller, suspended, "suspended", reason))
        if appeal_minutes_before is not None:
            events.append((seller, reinstated - pd.Timedelta(minutes=appeal_minutes_before),
                           "appeal_submitted", None))
        events.append((seller, reinstated, "reinstated", None))

    # The marketplace's normal: serious suspensions take days to weeks, after an appeal.
    for i in range(4, 30):
        for month in (1, 2):
            episode(f"S{i:03d}", f"2026-0{month + i % 2}-{1 + i % 27:02d} 10:00", rng.uniform(72, 500),
                    ["safety", "ip_claim"][(i + month) % 2], appeal_minutes_before=rng.uniform(600, 5000))
    # The buyer: safety suspensions lifted within hours, with no appeal or one written minutes before.
    episode(BUYER, "2026-02-10 09:00", 3.0, "safety")
    episode(BUYER, "2026-03-20 09:00", 2.0, "safety", appeal_minutes_before=6)
    episode(BUYER, "2026-03-27 09:00", 1.5, "safety")
    # A late starter, flagged only by the last run.
    episode(LATE, "2026-04-08 09:00", 2.0, "ip_claim")
    episode(LATE, "2026-04-20 09:00", 1.0, "ip_claim", appeal_minutes_before=3)
    episode(LATE, "2026-04-25 09:00", 1.0, "ip_claim")
    return pd.DataFrame(events, columns=["seller_id", "ts", "event", "reason"])


def _access_log() -> pd.DataFrame:
    rows = [("E7", pd.Timestamp("2026-02-25 10:00") + pd.Timedelta(minutes=m), "view_sales", VICTIM, "P001")
            for m in range(3)]
    rows += [("E7", pd.Timestamp("2026-03-05 15:00") + pd.Timedelta(minutes=m), "remove_review", BUYER, "P000")
             for m in range(4)]
    rows += [("E2", pd.Timestamp("2026-01-15 09:00"), "view_sales", "S010", "P010"),
             ("E2", pd.Timestamp("2026-04-20 09:00"), "view_sales", BUYER, None)]
    return pd.DataFrame(rows, columns=["employee_id", "ts", "action", "seller_id", "product_id"])


def build(path: Path, *, sellers: int = 30, seed: int = 11, runs=(EARLY_RUN, None)) -> Path:
    """Build the marketplace at ``path`` and score it at each of ``runs`` (None = the last day).

    Building and scoring take a few seconds, so a test session builds it once (``shared``)."""
    rng = np.random.default_rng(seed)
    sellers_df = _sellers(sellers)
    products = pd.DataFrame({
        "product_id": [f"P{i:03d}" for i in range(sellers)],
        "seller_id": sellers_df["seller_id"],
        "category": sellers_df["primary_category"],
        "title": [f"Product {i}" for i in range(sellers)],
        "launched_on": dt.date(2025, 6, 1),
    })
    build_db(path, sellers=sellers_df, products=products, product_daily=_daily(rng, products),
             reviews=_reviews(rng, products), account_events=_account_events(rng), access_log=_access_log())
    for as_of in runs:
        scoring.score(db=path, as_of=as_of)
    return path


def shared(tmp_path_factory) -> Path:
    """The marketplace, built once per test session (per xdist worker) and only ever read."""
    path = tmp_path_factory.getbasetemp() / "dashboard_market" / "market.duckdb"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        build(path)
    return path
