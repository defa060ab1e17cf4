"""Everything the seller page shows about one seller as one scoring run saw it.

Each function takes an open read-only connection, the seller and the run's as-of date, and never
looks past the end of that day, so ``/seller?seller_id=ID&as_of=DATE`` shows what that weekly run
said. The change points on the chart come from ``analytics.changepoints.detect`` run on exactly the
series the chart draws, so what the analyst sees is what was tested.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics import queries, signals
from analytics.changepoints import NotEnoughPoints, detect, segments
from analytics.scoring.rank_model import explained_by

# Rivals affected: how far around each of the seller's rise dates to look, and what counts as hurt.
RIVAL_WINDOW_DAYS = 28
RIVAL_MIN_RANK_FACTOR = 1.5  # the rival's rank worsened by half again or more
RIVAL_MIN_ONE_STAR = 3  # a 1-star burst: at least 3 in the window after ...
RIVAL_BURST_RATIO = 3.0  # ... and at least 3 times as many as in the window before
RIVALS_SHOWN = 25
SHARED_REVIEWERS_SHOWN = 100


@dataclass(frozen=True)
class ChartSeries:
    """A series the seller chart draws and tests for change points."""

    column: str  # in SellerChart.daily
    label: str
    panel: str  # rank, price, reviews, removals, rating
    model: str  # changepoints.detect model: "level" for step-like series, "trend" for drifting ones
    log: bool = False  # detect on ln(values) (the rank); levels are reported back on the original scale


CHART_SERIES = (
    ChartSeries("sales_rank", "Sales rank", "rank", "trend", log=True),
    ChartSeries("price", "Price", "price", "level"),
    ChartSeries("ad_spend", "Ad spend", "price", "level"),
    ChartSeries("posted", "Reviews per day", "reviews", "level"),
    ChartSeries("removed", "Removals per day", "removals", "level"),
    ChartSeries("visible_rating", "Visible average rating", "rating", "trend"),
)


@dataclass(frozen=True)
class Profile:
    seller_id: str
    seller_name: str
    country: str
    city: str | None
    registered_on: dt.date
    primary_category: str
    products: int
    categories: list[str]
    first_launch: dt.date | None


@dataclass(frozen=True)
class RunVerdict:
    as_of: dt.date
    score: float
    flagged: bool
    reasons: str
    signals: list[str]
    score_rank: int
    sellers_scored: int


@dataclass
class SellerChart:
    product_id: str | None  # the product whose rank, price and ads are drawn
    daily: pd.DataFrame  # one row per day (column "date"): every CHART_SERIES column, stars_1..5,
    #                      removed_customer/automated/staff, rank_explained
    changepoints: pd.DataFrame  # series, label, panel, date, before, after
    segments: pd.DataFrame  # series, panel, start, end, level: each segment's mean (for level lines)
    evidence_marks: pd.DataFrame  # signal, title, color, date, significant


def _params(sql: str, **values) -> dict:
    return {k: v for k, v in values.items() if f"${k}" in sql}


def _query(con, name: str, **values) -> pd.DataFrame:
    sql = queries.load(name)
    return con.execute(sql, _params(sql, **values)).df()


def _date(value) -> dt.date | None:
    if value is None or (not isinstance(value, dt.date) and pd.isna(value)):
        return None
    return pd.Timestamp(value).date()


def profile(con, seller_id: str) -> Profile | None:
    """Who the seller is; None when there is no such seller."""
    rows = _query(con, "seller_profile", seller_id=seller_id)
    if rows.empty:
        return None
    r = rows.iloc[0]
    return Profile(r.seller_id, r.seller_name, r.country, None if pd.isna(r.city) else r.city,
                   _date(r.registered_on), r.primary_category, int(r.products),
                   list(r.categories) if isinstance(r.categories, (list, np.ndarray)) else [],
                   _date(r.first_launch))


def account_events(con, seller_id: str, as_of: dt.date) -> pd.DataFrame:
    return _query(con, "seller_account_events", seller_id=seller_id, as_of=as_of)


def verdict(con, seller_id: str, as_of: dt.date) -> RunVerdict | None:
    """What the run of ``as_of`` said about the seller; None when that run did not score it."""
    rows = _query(con, "seller_score", seller_id=seller_id, as_of=as_of)
    if rows.empty:
        return None
    r = rows.iloc[0]
    return RunVerdict(as_of, float(r.score), bool(r.flagged), r.reasons,
                      list(r.signals) if isinstance(r.signals, (list, np.ndarray)) else [], int(r.score_rank),
                      int(r.sellers_scored))


def evidence(con, seller_id: str, as_of: dt.date) -> pd.DataFrame:
    """The run's findings about the seller, strongest first, with each signal's title."""
    rows = _query(con, "seller_evidence", seller_id=seller_id, as_of=as_of)
    titles = {m.NAME: m.TITLE for m in signals.all_signals()}
    rows.insert(1, "title", rows["signal"].map(titles).fillna(rows["signal"]))
    return rows


def rival_links(con, seller_id: str, as_of: dt.date) -> pd.DataFrame:
    """Findings that tie the seller to another seller (evidence.related_seller_id), both directions."""
    return _query(con, "seller_rival_links", seller_id=seller_id, as_of=as_of)


def products(con, seller_id: str, as_of: dt.date) -> pd.DataFrame:
    """The seller's products, the ones with findings first, then the best ranked."""
    return _query(con, "seller_products", seller_id=seller_id, as_of=as_of)


def category_sizes(con, as_of: dt.date) -> pd.DataFrame:
    """Per (category, day) up to ``as_of``: how many products had a sales rank, the denominator of the
    relative rank. One pass over product_daily (seconds at 100,000 sellers), so callers keep it per run
    and hand it to ``weekly_relative_rank``."""
    sizes = _query(con, "seller_category_sizes", as_of=as_of)
    sizes["date"] = pd.to_datetime(sizes["date"])
    return sizes


def first_day(con) -> dt.date | None:
    """The first day in product_daily: where the seller chart's date axis starts."""
    return _date(con.execute('select min("date") from product_daily').fetchone()[0])


def with_relative_rank(ranks: pd.DataFrame, sizes: pd.DataFrame) -> pd.DataFrame:
    """``ranks`` (category, date, sales_rank, ...) with ranked_products and rel_rank = ln(rank / ranked
    products in the category that day), as the scoring engine defines it; more negative = better."""
    ranks = ranks.assign(date=pd.to_datetime(ranks["date"]))
    out = ranks.merge(sizes, on=["category", "date"], how="left")
    rank = out["sales_rank"].astype(float)
    out["rel_rank"] = np.log(rank / np.fmax(out["ranked_products"].astype(float), rank))
    return out


def weekly_relative_rank(con, seller_ids: list[str], as_of: dt.date, sizes: pd.DataFrame, *,
                         category: str | None = None) -> pd.DataFrame:
    """One row per seller and week (starting Monday) up to ``as_of``: the relative rank of the seller's
    best product each day, averaged over the week (more negative = better). ``category`` keeps only the
    seller's products in that category."""
    if not seller_ids:
        return pd.DataFrame(columns=["seller_id", "week", "rel_rank"])
    ranks = _query(con, "seller_daily_ranks", seller_ids=list(seller_ids), as_of=as_of, category=category)
    daily = with_relative_rank(ranks, sizes).groupby(["seller_id", "date"], as_index=False)["rel_rank"].min()
    daily["week"] = daily["date"].dt.to_period("W-SUN").dt.start_time
    return daily.groupby(["seller_id", "week"], as_index=False)["rel_rank"].mean()


def rise_dates(found: pd.DataFrame) -> list[dt.date]:
    """The days the seller's findings date its change to: the significant ones, else all of them."""
    dated = found.dropna(subset=["changepoint_date"])
    if "significant" in dated and dated["significant"].fillna(False).astype(bool).any():
        dated = dated[dated["significant"].fillna(False).astype(bool)]
    return sorted({_date(d) for d in dated["changepoint_date"]})


def rivals_affected(con, seller_id: str, as_of: dt.date, dates: list[dt.date]) -> pd.DataFrame:
    """Rivals in the seller's categories whose rank fell, or who took 1-star bursts, as it rose."""
    if not dates:
        return pd.DataFrame(columns=["rival_id", "rival_name", "rise_date", "rank_factor",
                                     "one_star_before", "one_star_after"])
    return _query(con, "seller_rivals_affected", seller_id=seller_id, as_of=as_of, rise_dates=dates,
                  window_days=RIVAL_WINDOW_DAYS, min_rank_factor=RIVAL_MIN_RANK_FACTOR,
                  min_one_star=RIVAL_MIN_ONE_STAR, burst_ratio=RIVAL_BURST_RATIO, limit=RIVALS_SHOWN)


def shared_reviewers(con, seller_id: str, as_of: dt.date) -> pd.DataFrame:
    """Reviewers (pseudonymous ids) of the seller who also reviewed its rivals, most active first."""
    return _query(con, "seller_shared_reviewers", seller_id=seller_id, as_of=as_of,
                  limit=SHARED_REVIEWERS_SHOWN)


def access_log_loaded(con) -> bool:
    return con.execute("select exists (select 1 from access_log)").fetchone()[0]


def staff_access(con, seller_id: str, as_of: dt.date) -> pd.DataFrame:
    """Staff access to the seller's data up to the run, newest first."""
    return _query(con, "seller_access_log", seller_id=seller_id, as_of=as_of)


# --- the chart --------------------------------------------------------------------------------------

def _rank_model(con, as_of: dt.date, category: str) -> tuple[float, float] | None:
    row = con.execute("select price_coef, ad_coef from category_rank_model where as_of = $as_of and category = $c",
                      {"as_of": as_of, "c": category}).fetchone()
    return None if row is None or row[0] is None else (float(row[0]), float(row[1]))


def price_ads_log_rank(product: pd.DataFrame, coefficients: tuple[float, float]) -> np.ndarray:
    """Per day, the part of the product's log rank its price and ad spend explain, with the run's
    per-category coefficients (``scoring.rank_model``)."""
    price = product["price"].to_numpy(float)
    log_price = np.where(price > 0, np.log(np.where(price > 0, price, 1.0)), np.nan)
    return explained_by(log_price, np.log1p(product["ad_spend"].to_numpy(float)), *coefficients)


def _rank_explained(product: pd.DataFrame, coefficients: tuple[float, float] | None) -> np.ndarray:
    """The rank that price and ad spend alone would give: the product's average log rank over the
    period, moved day by day by the part of log rank its price and ads explain, with the run's own
    per-category coefficients (``scoring.rank_model``)."""
    if coefficients is None or product.empty:
        return np.full(len(product), np.nan)
    explained = price_ads_log_rank(product, coefficients)
    log_rank = np.log(product["sales_rank"].to_numpy(dtype=float, na_value=np.nan))
    ranked = ~np.isnan(log_rank)
    if not ranked.any():
        return np.full(len(product), np.nan)
    return np.exp(np.nanmean(log_rank) - np.mean(explained[ranked]) + explained)


MIN_VISIBLE_CHANGE = 0.01  # a level change smaller than 1 % is not listed: "140 -> 140" tells nobody anything


def visible_change(before: float, after: float) -> bool:
    """Whether a change of level from ``before`` to ``after`` shows: at least 1 % of the larger level,
    and different in three significant figures (how the page prints levels)."""
    if not (np.isfinite(before) and np.isfinite(after)):
        return False
    scale = max(abs(before), abs(after))
    return scale > 0 and abs(after - before) >= MIN_VISIBLE_CHANGE * scale and f"{before:,.3g}" != f"{after:,.3g}"


def changepoints_of(daily: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Change points (with the mean level before and after) and the segments between them, for every
    series the chart draws: ``analytics.changepoints.detect`` finds the breaks and ``segments`` gives
    each piece its level. The rank is tested in logs (a jump from 400 to 40 is as big as 40 to 4)
    and its levels are reported back as ranks (geometric means)."""
    found, drawn = [], []
    dates = pd.to_datetime(daily["date"]).dt.date.to_numpy() if not daily.empty else np.array([])
    for s in CHART_SERIES:
        if s.column not in daily:
            continue
        values = daily[s.column].to_numpy(dtype=float, na_value=np.nan)
        if s.log:
            values = np.log(np.where(values > 0, values, np.nan))
        try:
            breaks = detect(values, model=s.model)
        except NotEnoughPoints:
            continue
        pieces = [p for p in segments(values, breaks) if p.n_observed > 0]
        level = (lambda v: float(np.exp(v))) if s.log else float
        for piece in pieces:
            drawn.append({"series": s.column, "panel": s.panel, "start": dates[piece.start],
                          "end": dates[piece.end - 1], "level": level(piece.mean)})
        for before, after in zip(pieces[:-1], pieces[1:]):
            if not visible_change(level(before.mean), level(after.mean)):
                continue  # a break in the trend's slope with the same level: nothing a reader can see
            found.append({"series": s.column, "label": s.label, "panel": s.panel, "date": dates[after.start],
                          "before": level(before.mean), "after": level(after.mean)})
    changepoints = pd.DataFrame(found, columns=["series", "label", "panel", "date", "before", "after"])
    levels = pd.DataFrame(drawn, columns=["series", "panel", "start", "end", "level"])
    return changepoints, levels


def chart(con, seller_id: str, as_of: dt.date, product_id: str | None, found: pd.DataFrame, *,
          start: dt.date | None = None) -> SellerChart:
    """The seller chart's data: daily series on one date axis, their change points, evidence dates.

    ``product_id`` picks the product whose rank, price and ad spend are drawn (reviews, removals and
    rating are the seller's, across its products); None draws only the seller-wide panels. The axis
    starts at ``start`` (default: ``first_day(con)``, which callers may keep per database).
    """
    start = start or first_day(con) or as_of
    reviews = _query(con, "seller_reviews_daily", seller_id=seller_id, as_of=as_of, first_day=start)
    days = pd.DataFrame({"date": pd.date_range(start, as_of, freq="D")})
    daily = days.merge(reviews.assign(date=pd.to_datetime(reviews["date"])), on="date", how="left")
    if product_id is not None:
        product = _query(con, "seller_product_daily", product_id=product_id, as_of=as_of)
        product["date"] = pd.to_datetime(product["date"])
        if not product.empty:
            coefficients = _rank_model(con, as_of, product["category"].iloc[0])
            product["rank_explained"] = _rank_explained(product, coefficients)
            daily = daily.merge(product[["date", "sales_rank", "price", "ad_spend", "rank_explained"]],
                                on="date", how="left")
    changepoints, levels = changepoints_of(daily)
    modules = signals.by_name()
    dated = found.dropna(subset=["changepoint_date"])
    significant = (dated["significant"].fillna(False).astype(bool) if "significant" in dated
                   else pd.Series(True, index=dated.index))
    marks = dated.assign(significant=significant)[["signal", "changepoint_date", "significant"]].drop_duplicates()
    marks = pd.DataFrame({
        "signal": marks["signal"],
        "title": [modules[s].TITLE if s in modules else s for s in marks["signal"]],
        "color": [signal_color(s) for s in marks["signal"]],
        "date": [_date(d) for d in marks["changepoint_date"]],
        "significant": marks["significant"].to_numpy(bool),  # False: tested, not a finding (drawn as such)
    })
    return SellerChart(product_id, daily, changepoints, levels, marks.reset_index(drop=True))


def signal_color(name: str) -> str:
    """The signal's colour everywhere in the dashboard (grey for a signal this version doesn't know)."""
    module = signals.by_name().get(name)
    return module.COLOR if module is not None else "#7f7f7f"


# --- what the page asks for, in two cacheable bundles ---------------------------------------------------

@dataclass
class Overview:
    """The top of the seller page: who, what the run said, the account history, findings, products."""

    profile: Profile | None  # None: no such seller
    verdict: RunVerdict | None  # None: no run, or the run did not score this seller
    events: pd.DataFrame
    evidence: pd.DataFrame
    products: pd.DataFrame
    links: pd.DataFrame  # findings naming another seller, both directions


@dataclass
class Surroundings:
    """The bottom of the seller page: rivals around the seller's change points, shared reviewers, staff."""

    rise_dates: list[dt.date]
    rivals: pd.DataFrame
    reviewers: pd.DataFrame
    access_loaded: bool  # the export had an access log
    access: pd.DataFrame


def overview(con, seller_id: str, as_of: dt.date | None) -> Overview:
    found = profile(con, seller_id)
    if found is None or as_of is None:
        empty = pd.DataFrame()
        return Overview(found, None, empty, empty, empty, empty)
    return Overview(found, verdict(con, seller_id, as_of), account_events(con, seller_id, as_of),
                    evidence(con, seller_id, as_of), products(con, seller_id, as_of),
                    rival_links(con, seller_id, as_of))


def surroundings(con, seller_id: str, as_of: dt.date, found: pd.DataFrame) -> Surroundings:
    dates = rise_dates(found) if not found.empty else []
    loaded = access_log_loaded(con)
    return Surroundings(dates, rivals_affected(con, seller_id, as_of, dates), shared_reviewers(con, seller_id, as_of),
                        loaded, staff_access(con, seller_id, as_of) if loaded else pd.DataFrame())
