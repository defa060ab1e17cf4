"""A sample marketplace export with known insider buyers and honest look-alikes.

``generate(out_dir)`` writes one file per contract table into ``out_dir/export/`` and the ground
truth to ``out_dir/labels.csv`` (outside the export, so nothing the engine reads can see it). The
same seed gives byte-identical files. ``variants`` makes it messier in named ways (``variants.py``);
the default is the demo's mix (lags, rare, crowded, slow, sessions), ``"plain"`` none of them.

How it is built, in order: categories, sellers and products with hidden traits (``market``); staff
with their own queues, teams and categories, and the corrupt few (``staff``); who buys what and when,
and who merely looks like it (``scenarios``); suspensions (``accounts``); daily prices, ads, units and
ranks (``sales``); reviews and removals (``reviews``); staff access (``access``); the files
(``writer``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from analytics.generator.access import simulate_access
from analytics.generator.accounts import build_account_events, ordinary_episodes
from analytics.generator.market import build_categories, build_products, build_sellers
from analytics.generator.reviews import simulate_reviews
from analytics.generator.sales import simulate_sales
from analytics.generator.scenarios import BENIGN_SCENARIOS, INSIDER_SCENARIOS, plan_scenarios, total_buyers
from analytics.generator.staff import build_staff, choose_crowded_category, team_of_country
from analytics.generator.timeline import DAY_MS, Timeline
from analytics.generator.variants import DEFAULT as DEFAULT_VARIANTS
from analytics.generator.variants import VARIANTS, Mess, parse
from analytics.generator.writer import MarketExport, write_labels

__all__ = ["GeneratedMarket", "PlannedMarket", "generate", "plan_market", "generator_version", "INSIDER_SCENARIOS", "BENIGN_SCENARIOS",
           "VARIANTS", "DEFAULT_VARIANTS", "Mess", "parse"]

DEFAULT_END = dt.date(2026, 11, 22)
# One independent random stream per stage, so changing one stage does not reshuffle the others (new
# streams go at the end).
_STREAMS = ("categories", "sellers", "products", "staff", "scenarios", "accounts", "sales", "targeted",
            "reviews", "reviewers", "bought_reviews", "access", "writer", "launch_prices", "account_log",
            "lags", "sessions", "spellings", "crowded")


def generator_version() -> str:
    """A short hash of the generator's source files: it changes whenever the generator does, so caches
    of generated marketplaces (the score benchmark's) know when to regenerate."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


@dataclass(frozen=True)
class GeneratedMarket:
    out_dir: Path
    export_dir: Path
    labels_path: Path
    files: dict[str, Path]
    rows: dict[str, int]
    scenarios: dict[str, int]   # labelled sellers per scenario
    seconds: float
    variants: Mess = Mess()


@dataclass
class PlannedMarket:
    """Everything decided before the daily simulation: who trades, who works there, who buys what."""
    tl: Timeline
    cats: object
    sellers: object
    products: object
    staff: object
    plan: object
    mess: Mess
    rng_for: object

    @property
    def seller_team(self) -> np.ndarray:
        return team_of_country(self.sellers.country)


def plan_market(*, sellers: int = 1500, days: int = 365, seed: int = 7, end_date: dt.date = DEFAULT_END,
                light: bool = False, variants="default") -> PlannedMarket:
    """The first half of ``generate``: categories, sellers, products, staff and the scenario plan."""
    if sellers < 50:
        raise ValueError("a marketplace needs at least 50 sellers")
    if days < 90:
        raise ValueError("at least 90 days are needed for scenarios with a before and an after")
    mess = parse(variants)
    tl = Timeline(end_date, days)

    def rng_for(stream: str, part: int = 0) -> np.random.Generator:
        return np.random.default_rng([seed, _STREAMS.index(stream), part])

    cats = build_categories(rng_for("categories"), tl, sellers)
    seller_table = build_sellers(rng_for("sellers"), tl, cats, sellers)
    products = build_products(rng_for("products"), tl, cats, seller_table, light=light)
    buyers = total_buyers(sellers, mess)
    n_staff = int(np.clip(50 + sellers // 10, 60, 2500))
    staff = build_staff(rng_for("staff"), cats, seller_table, crowded=mess.crowded,
                        n_corrupt=int(np.clip(round(buyers / 6), 3, max(3, n_staff // 12))))
    if mess.crowded:
        choose_crowded_category(rng_for("crowded"), staff, cats, seller_table, buyers)
    plan = plan_scenarios(rng_for("scenarios"), tl, cats, seller_table, products, staff, mess)
    return PlannedMarket(tl, cats, seller_table, products, staff, plan, mess, rng_for)


def generate(out_dir: Path | str, *, sellers: int = 1500, days: int = 365, seed: int = 7,
             end_date: dt.date = DEFAULT_END, light: bool = False, variants="default") -> GeneratedMarket:
    """Generate a marketplace of ``sellers`` sellers over the ``days`` days ending on ``end_date``.

    ``light`` thins it for benchmarks at 100,000 sellers: fewer products per seller (each reviewed
    more often, so review volume stays similar) and a Parquet-only export for the big tables.
    ``variants``: ``"default"``, ``"plain"``, names such as ``"lags,slow"`` or a ``Mess``."""
    started = time.perf_counter()
    planned = plan_market(sellers=sellers, days=days, seed=seed, end_date=end_date, light=light, variants=variants)
    tl, cats, seller_table, products = planned.tl, planned.cats, planned.sellers, planned.products
    staff, plan, mess, rng_for = planned.staff, planned.plan, planned.mess, planned.rng_for
    seller_team = planned.seller_team
    out_dir = Path(out_dir)
    export_dir = out_dir / "export"

    rng = rng_for("accounts")
    bystanders = np.flatnonzero(plan.unused)
    episodes = ordinary_episodes(rng, tl, staff, seller_table.registered_day, seller_team, bystanders)
    leaving = bystanders[rng.random(bystanders.size) < 0.006 * days / 365]
    closures = [(int(s), int(tl.day_ms(max(int(seller_table.registered_day[s]) + 30, 1) + rng.integers(0, days))
                          + rng.integers(0, DAY_MS)))
                for s in leaving]
    events = build_account_events(tl, episodes + plan.episodes, closures, rng_for("account_log"))

    export = MarketExport(export_dir, rng_for("writer"), tl, cats, seller_table, products, staff, light=light,
                          spelling_rng=rng_for("spellings") if mess.spellings else None)
    try:
        # The big tables are written as soon as nothing later needs them, to bound memory.
        sales = simulate_sales(rng_for, tl, cats, seller_table, products, plan, staff, events.blocked,
                               sessions=mess.sessions)
        export.product_daily(sales)
        sales.drop_prices_and_ranks()  # reviews need only who sold how many units when
        reviews = simulate_reviews(rng_for, tl, cats, products, sales, plan, staff, sellers)
        weekly_top, lookups = sales.weekly_top, plan.traces + sales.traces
        del sales
        activity = reviews.activity(products, sellers)
        export.reviews(reviews)
        del reviews
        if not mess.nolog:
            access = simulate_access(rng_for("access"), tl, seller_table, products, weekly_top, activity, staff,
                                     lookups, events.staff_actions, account_views=events.staff_views,
                                     seller_team=seller_team, mess=mess, lag_rng=rng_for("lags"),
                                     session_rng=rng_for("sessions"))
            export.access_log(access)
            del access
        export.sellers(seller_table)
        export.products(products)
        export.account_events(events, seller_table)
    finally:
        export.close()
    labels_path = out_dir / "labels.csv"
    write_labels(labels_path, export.seller_ids, plan.labels, np.datetime64(tl.start, "D"))
    counts = Counter(label[0] for label in plan.labels.values())
    return GeneratedMarket(out_dir, export_dir, labels_path, dict(export.files), dict(export.rows),
                           {s: counts.get(s, 0) for s in INSIDER_SCENARIOS + BENIGN_SCENARIOS},
                           time.perf_counter() - started, mess)
