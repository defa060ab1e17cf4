"""Who trades on the marketplace: categories, sellers and their products, with the hidden traits
(size, quality, price level) that drive everything the export later shows."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from analytics.generator.timeline import Timeline

CATEGORY_NAMES = (
    "Home & Kitchen", "Electronics Accessories", "Toys & Games", "Beauty & Personal Care",
    "Sports & Outdoors", "Pet Supplies", "Office Products", "Tools & Home Improvement",
    "Automotive Parts", "Patio & Garden", "Baby Products", "Health & Household", "Women's Clothing",
    "Men's Shoes", "Jewelry", "Books", "Video Games", "Cell Phone Accessories", "Computer Accessories",
    "Camera & Photo", "Musical Instruments", "Arts & Crafts", "Kitchen Gadgets", "Furniture",
    "Lighting", "Bedding", "Luggage & Travel", "Watches", "Grocery & Gourmet", "Party Supplies",
    "School Supplies", "Fitness Equipment", "Camping Gear", "Smart Home", "Headphones & Audio",
    "Phone Cases", "Cables & Chargers", "Storage & Organization", "Bath", "Sewing & Fabric",
)
_NOUNS = ("Set", "Organizer", "Kit", "Holder", "Pack", "Stand", "Case", "Bundle", "Cover", "Tool",
          "Mat", "Lamp", "Bottle", "Bag", "Charger", "Cable", "Brush", "Box", "Rack", "Pad")
_ADJECTIVES = ("Premium", "Portable", "Heavy Duty", "Mini", "Upgraded", "Foldable", "Wireless",
               "Waterproof", "Adjustable", "Compact", "Deluxe", "2-Pack", "Large", "Eco", "Smart")
_SYLLABLES_A = ("Zen", "Tri", "Nova", "Lux", "Ever", "Aero", "Kin", "Vol", "Ora", "Mag", "Pix", "Sol",
                "Bri", "Ul", "Hom", "Qi", "Yo", "Tek", "Max", "Fen", "Lum", "Vex", "Gro", "Hap")
_SYLLABLES_B = ("tra", "ix", "ora", "ex", "ly", "on", "ify", "co", "ak", "us", "ia", "o", "ard", "mo")
_SUFFIXES_CN = (" Trading Co., Ltd.", " Technology Co., Ltd.", " Store", " Official", " Direct", "")
_SUFFIXES_OTHER = (" Store", " Direct", " Co.", " Home", " Official", " LLC", "", "")
COUNTRIES = ("CN", "US", "GB", "DE", "HK", "IN", "JP", "CA", "FR", "IT", "ES", "TR", "VN")
_COUNTRY_SHARE = (0.42, 0.27, 0.05, 0.05, 0.04, 0.04, 0.03, 0.03, 0.02, 0.015, 0.015, 0.01, 0.01)
_CITIES = {
    "CN": ("Shenzhen", "Guangzhou", "Yiwu", "Shanghai", "Hangzhou", "Dongguan", "Ningbo", "Xiamen"),
    "US": ("Los Angeles", "New York", "Miami", "Dallas", "Seattle", "Chicago", "Atlanta", "Phoenix"),
    "GB": ("London", "Manchester", "Birmingham", "Leeds"), "DE": ("Berlin", "Hamburg", "Munich"),
    "HK": ("Hong Kong",), "IN": ("Mumbai", "Delhi", "Bengaluru", "Jaipur"), "JP": ("Tokyo", "Osaka"),
    "CA": ("Toronto", "Vancouver", "Montreal"), "FR": ("Paris", "Lyon"), "IT": ("Milan", "Rome"),
    "ES": ("Madrid", "Barcelona"), "TR": ("Istanbul",), "VN": ("Ho Chi Minh City", "Hanoi"),
}


def _pick(rng: np.random.Generator, options, size: int) -> np.ndarray:
    return np.asarray(options, dtype=object)[rng.integers(0, len(options), size)]


@dataclass
class Categories:
    names: list[str]
    weight: np.ndarray        # share of sellers whose primary category it is
    price_level: np.ndarray   # a typical product's price
    weekly: np.ndarray        # (C, 7) demand multiplier per weekday, mean 1
    season_log: np.ndarray    # (C, D) log demand multiplier from season, events and trend
    surge_log: np.ndarray     # (C, D) the promotion-surge part of season_log (0 outside surges)
    surge_start: np.ndarray   # day a category's promotion surge starts, -1 if it has none
    surge_end: np.ndarray     # first day after it

    @property
    def n(self) -> int:
        return len(self.names)


def build_categories(rng: np.random.Generator, tl: Timeline, sellers: int) -> Categories:
    n = int(np.clip(round(0.8 * np.sqrt(sellers)), 6, len(CATEGORY_NAMES)))
    names = [CATEGORY_NAMES[i] for i in np.sort(rng.choice(len(CATEGORY_NAMES), n, replace=False))]
    weight = rng.lognormal(0.0, 0.75, n)
    weight /= weight.sum()
    price_level = np.clip(rng.lognormal(np.log(24), 0.6, n), 6, 250)

    weekly = np.array([0.97, 0.95, 0.96, 0.98, 1.02, 1.08, 1.04]) * rng.lognormal(0, 0.04, (n, 7))
    weekly /= weekly.mean(axis=1, keepdims=True)

    days = np.arange(tl.days)
    q4_amp = rng.uniform(0.1, 0.8, n)
    events = tl.event_days()
    season = q4_amp[:, None] * tl.q4_shape()[None, :]
    season += np.log(rng.uniform(1.5, 2.4, n))[:, None] * events["black_friday"][None, :]
    season += np.log(rng.uniform(1.2, 1.8, n))[:, None] * events["july_event"][None, :]
    season += rng.normal(0, 0.12, n)[:, None] * (days / 365.0)[None, :]  # category growth or decline

    # A promotion surge (a category's own sale season) in about 40 % of categories, at least three.
    has_surge = rng.random(n) < 0.4
    has_surge[rng.choice(n, min(3, n), replace=False)] = True
    surge_start = np.where(has_surge, rng.integers(max(20, tl.days // 5), max(21, tl.days - 28), n), -1)
    surge_len = rng.integers(7, 25, n)
    surge_end = np.where(has_surge, np.minimum(surge_start + surge_len, tl.days), -1)
    surge_peak = np.log(rng.uniform(1.5, 2.6, n))
    surge = np.zeros((n, tl.days))
    for c in np.flatnonzero(has_surge):  # one row per category
        rel = days - surge_start[c]
        length = surge_end[c] - surge_start[c]
        ramp = np.clip(np.minimum((rel + 1) / 3.0, (length - rel) / 3.0), 0, 1)
        surge[c] = surge_peak[c] * ramp
    return Categories(names, weight, price_level, weekly, season + surge, surge, surge_start, surge_end)


@dataclass
class Sellers:
    name: np.ndarray
    country: np.ndarray
    city: np.ndarray            # None where unknown
    registered_day: np.ndarray  # day index, negative = before the window
    primary_category: np.ndarray
    scale: np.ndarray           # hidden size: multiplies every product's demand
    advertises: np.ndarray

    @property
    def n(self) -> int:
        return len(self.scale)


def build_sellers(rng: np.random.Generator, tl: Timeline, cats: Categories, n: int) -> Sellers:
    country = np.asarray(COUNTRIES, dtype=object)[
        rng.choice(len(COUNTRIES), n, p=np.asarray(_COUNTRY_SHARE) / sum(_COUNTRY_SHARE))]
    city = np.empty(n, dtype=object)
    for code, options in _CITIES.items():
        mine = np.flatnonzero(country == code)
        city[mine] = _pick(rng, options, mine.size)
    city[rng.random(n) < 0.15] = None

    brand = np.char.add(_pick(rng, _SYLLABLES_A, n).astype(str), _pick(rng, _SYLLABLES_B, n).astype(str))
    second = rng.random(n) < 0.3
    brand = np.where(second, np.char.add(brand, np.char.lower(_pick(rng, _SYLLABLES_A, n).astype(str))), brand)
    suffix = np.where(country == "CN", _pick(rng, _SUFFIXES_CN, n), _pick(rng, _SUFFIXES_OTHER, n))
    name = np.char.add(brand, suffix.astype(str)).astype(object)

    joined_during = rng.random(n) < 0.12
    registered = np.where(joined_during, rng.integers(0, max(1, tl.days - 45), n),
                          -(30 + rng.exponential(900, n)).astype(np.int64))
    primary = rng.choice(cats.n, n, p=cats.weight).astype(np.int16)
    scale = rng.lognormal(0.0, 1.1, n)
    advertises = rng.random(n) < 0.3
    return Sellers(name, country, city, registered.astype(np.int32), primary, scale, advertises)


@dataclass
class Products:
    seller: np.ndarray
    category: np.ndarray
    launch_day: np.ndarray       # negative = listed before the window
    discontinue_day: np.ndarray  # first day no longer listed (days = never)
    base_demand: np.ndarray      # units a day once established, before season, price and ads
    quality: np.ndarray          # 0..1: sets the rating mix and helps demand
    ref_price: np.ndarray
    elasticity: np.ndarray       # demand ~ price ** -elasticity
    review_rate: np.ndarray      # reviews per unit sold
    trend: np.ndarray            # log demand change per year
    ramp_tau: np.ndarray         # days a new listing takes to reach its demand
    ar_phi: np.ndarray           # day-to-day persistence of demand shocks
    ar_sigma: np.ndarray         # stationary size of those shocks (log scale)
    ad_beta: np.ndarray          # demand lift per log of ad spend
    season_gain: np.ndarray      # 1 = moves with its category's surges; >1 = more seasonal
    title: np.ndarray            # None where the export leaves it out

    @property
    def n(self) -> int:
        return len(self.seller)

    def append(self, other: "Products") -> np.ndarray:
        """Add products in place; returns their indices."""
        start = self.n
        for f in fields(self):
            setattr(self, f.name, np.concatenate([getattr(self, f.name), getattr(other, f.name)]))
        return np.arange(start, self.n)


def rating_probabilities(quality: np.ndarray) -> np.ndarray:
    """(n, 5) probability of 1..5 stars: J-shaped like real review sites; worse products get more
    one-star reviews."""
    q = np.clip(quality, 0, 1)
    p1 = 0.03 + 0.20 * (1 - q) ** 2
    p2 = 0.025 + 0.07 * (1 - q)
    p3 = 0.05 + 0.07 * (1 - q)
    p4 = np.full_like(q, 0.17)
    p5 = 1 - p1 - p2 - p3 - p4
    return np.stack([p1, p2, p3, p4, p5], axis=1)


def new_products(rng: np.random.Generator, tl: Timeline, cats: Categories, sellers: Sellers,
                 seller: np.ndarray, category: np.ndarray, launch_day: np.ndarray, *,
                 review_boost: float = 1.0) -> Products:
    """Products with hidden traits drawn for the given sellers, categories and launch days."""
    n = len(seller)
    quality = rng.beta(4.0, 2.0, n)
    base = (1.1 * sellers.scale[seller] * rng.lognormal(0.0, 1.0, n) * np.exp(0.8 * (quality - 0.67)))
    stars = rng.random(n) < 0.01
    base[stars] *= rng.uniform(3, 10, stars.sum())
    price = cats.price_level[category] * rng.lognormal(0.0, 0.45, n)
    price = np.maximum(np.floor(price), 1) + rng.choice([0.99, 0.49, 0.95, 0.0], n, p=[0.6, 0.15, 0.1, 0.15])
    discontinue = np.full(n, tl.days, dtype=np.int32)
    stops = (rng.random(n) < 0.05) & (np.maximum(launch_day, 0) + 40 < tl.days)
    discontinue[stops] = rng.integers(np.maximum(launch_day[stops], 0) + 30, tl.days)
    brand = np.char.partition(sellers.name[seller].astype(str), " ")[:, 0]
    title = np.char.add(np.char.add(np.char.add(brand, " "), _pick(rng, _ADJECTIVES, n).astype(str)),
                        np.char.add(" ", _pick(rng, _NOUNS, n).astype(str))).astype(object)
    title[rng.random(n) < 0.05] = None
    return Products(
        seller=np.asarray(seller, dtype=np.int32),
        category=np.asarray(category, dtype=np.int16),
        launch_day=np.asarray(launch_day, dtype=np.int32),
        discontinue_day=discontinue,
        base_demand=base,
        quality=quality,
        ref_price=np.round(price, 2),
        elasticity=rng.uniform(1.2, 3.0, n),
        review_rate=review_boost * 0.065 * rng.lognormal(0.0, 0.45, n),
        trend=rng.normal(0.0, 0.2, n),
        ramp_tau=rng.uniform(5, 45, n),
        ar_phi=rng.uniform(0.8, 0.97, n),
        ar_sigma=rng.uniform(0.12, 0.35, n),
        ad_beta=rng.uniform(0.06, 0.2, n),
        season_gain=np.ones(n),
        title=title,
    )


def build_products(rng: np.random.Generator, tl: Timeline, cats: Categories, sellers: Sellers, *,
                   light: bool) -> Products:
    """Most sellers list one to three products, a few list dozens; light mode lists fewer."""
    n = sellers.n
    if light:
        count = rng.geometric(0.72, n)
        tail = rng.random(n) < 0.02
    else:
        count = rng.geometric(0.5, n)
        tail = rng.random(n) < 0.05
    count[tail] += rng.geometric(0.12, tail.sum())
    seller = np.repeat(np.arange(n, dtype=np.int32), count)
    m = seller.size
    other = rng.random(m) < 0.15
    category = np.where(other, rng.choice(cats.n, m, p=cats.weight), sellers.primary_category[seller])
    # A seller's first product is always in its primary category.
    first = np.r_[True, seller[1:] != seller[:-1]]
    category[first] = sellers.primary_category[seller[first]]

    registered = sellers.registered_day[seller]
    before = registered < 0
    in_window = rng.random(m) < 0.18
    launch_old = registered + (rng.random(m) * np.maximum(-registered, 1)).astype(np.int64)
    launch_new = rng.integers(0, max(1, tl.days - 10), m)
    launch = np.where(before & ~in_window, np.minimum(launch_old, -1), np.maximum(launch_new, registered))
    # Sellers who join during the window launch their first product within two weeks.
    launch = np.where(first & ~before, registered + rng.integers(0, 15, m), launch)
    launch = np.minimum(launch, tl.days - 5)
    return new_products(rng, tl, cats, sellers, seller, category, launch,
                        review_boost=1.6 if light else 1.0)
