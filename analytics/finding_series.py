"""What each finding was tested on, as one series a chart can draw: the seller page and the weekly pack
both call ``finding_series`` and hand the result to ``analytics.figures.finding_figure``.

A finding's series is what its signal's test measured (docstrings of ``analytics.signals``), with the
change point the evidence row dates, the series' level before and after it, and the band the test's
reference expects. Where a signal's exact reference is too costly to recompute for one seller (it is
fitted over the whole marketplace in the run), the band is what the evidence row and one cheap query
can show honestly, and ``caption`` says what it is. A finding that is not significant is returned
with ``significant=False``, and drawn as such, never as a finding.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd
from scipy import stats

from analytics import seller_view, signals
from analytics.seller_view import _date, _query

BAND_LEVEL = 0.95  # the band: where this share of an ordinary seller's values fall
TAIL = (1 - BAND_LEVEL) / 2  # each side's share outside it


@dataclass
class FindingSeries:
    """One finding's tested series, ready to draw."""

    signal: str
    title: str  # the signal's TITLE
    color: str  # the signal's COLOR
    significant: bool
    q_value: float | None
    x: list  # dates (or episode dates)
    values: np.ndarray  # what the test measured, one per x
    value_label: str  # e.g. "staff removals of verified 1-2 star reviews per week"
    expected: np.ndarray | None = None  # what the reference predicts, one per x (NaN: none)
    band_low: np.ndarray | None = None
    band_high: np.ndarray | None = None
    expected_label: str = "expected"
    change_date: dt.date | None = None
    before: float | None = None  # the series' level before the change point ...
    after: float | None = None  # ... and after it
    after_end: dt.date | None = None  # the "after" level holds up to here (None: the end of the series)
    level_label: str = "mean"  # what before/after are
    kind: str = "line"  # "line": a series over time; "bars": counts per period; "points": separate events
    period_days: int = 1  # bars: each x starts a period this long
    log_y: bool = False
    reverse_y: bool = False  # ranks: better (smaller) is up
    name: str = "this seller"  # the legend's name of the series
    events: list = field(default_factory=list)  # dates of related events, drawn as marks on the axis
    events_label: str = ""
    change_label: str = "change"  # the words by the change point's line
    caption: str = ""  # what the band is, in words
    extra: dict = field(default_factory=dict)


def _float(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _base(row, **fields) -> FindingSeries:
    module = signals.by_name()[row["signal"]]
    significant = bool(row.get("significant")) if pd.notna(row.get("significant")) else False
    return FindingSeries(signal=row["signal"], title=module.TITLE, color=module.COLOR, significant=significant,
                         q_value=_float(row.get("q_value")), change_date=_date(row.get("changepoint_date")),
                         **fields)


def _poisson_band(mean):
    """A Poisson 95 % band around ``mean`` (counts per period): Poisson quantiles are whole counts, so the
    band is widened to hold the (fractional) mean itself."""
    low = np.fmin(np.nan_to_num(stats.poisson.ppf(TAIL, mean)), mean)
    high = np.fmax(np.nan_to_num(stats.poisson.ppf(1 - TAIL, mean)), mean)
    return low, high


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _levels(x: list, values: np.ndarray, change: dt.date | None, end: dt.date | None = None):
    """Mean of ``values`` before ``change`` and from ``change`` up to ``end`` (inclusive; None: the end)."""
    if change is None:
        return None, None
    days = np.array([_date(d) for d in x])
    before = values[days < change]
    after_mask = days >= change
    if end is not None:
        after_mask &= days <= end
    after = values[after_mask]
    before = before[np.isfinite(before)]
    after = after[np.isfinite(after)]
    return (float(before.mean()) if len(before) else None, float(after.mean()) if len(after) else None)


# --- review_removals ---------------------------------------------------------------------------------

def review_removals(con, seller_id: str, as_of: dt.date, row) -> FindingSeries | None:
    """Staff removals of the seller's verified 1-2 star reviews per week, against what its category's
    rate and its own moderation predict. The run's prediction for the whole history is in the evidence
    row (``effect`` = log((observed + 0.5) / (predicted + 0.5))); it is spread over the weeks by the
    complaints the seller had on show, and the band is a Poisson 95 % interval around it."""
    weeks = _query(con, "finding_review_removals", seller_id=seller_id, as_of=as_of)
    if weeks.empty:
        return None
    removed = weeks["staff_removed"].to_numpy(float)
    on_show = weeks["on_show"].to_numpy(float)
    effect = _float(row.get("effect"))
    predicted = max((removed.sum() + 0.5) / np.exp(effect) - 0.5, 0.0) if effect is not None else np.nan
    share = on_show / on_show.sum() if on_show.sum() > 0 else np.zeros_like(on_show)
    expected = predicted * share
    low, high = _poisson_band(expected)
    x = [_date(w) for w in weeks["week"]]
    change = _date(row.get("changepoint_date"))
    series = _base(row, x=x, values=removed, value_label="staff removals of 1-2 star reviews / week",
                   expected=expected, band_low=low, band_high=high,
                   expected_label="what its category's rate and its own moderation predict",
                   level_label="removals per week", kind="bars", period_days=7)
    if change is not None:
        week_of_change = _monday(change)
        last = [d for d, v in zip(x, removed) if v > 0 and d >= week_of_change]
        series.after_end = (max(last) if last else week_of_change) + dt.timedelta(days=6)
        series.before, series.after = _levels(x, removed, week_of_change, series.after_end)
    series.caption = (f"Bars: staff removals of the seller's verified 1-2 star reviews each week. Grey line: the "
                      f"{predicted:.1f} removals its category's rate and its own moderation of its other reviews "
                      "predict over the whole history (the run's reference), spread over the weeks by the "
                      "complaints it had on show; shaded: a Poisson 95 % band around it. Levels: mean removals "
                      "per week before the change, and from it to the last week with a removal.")
    return series


# --- reinstatement -----------------------------------------------------------------------------------

def reinstatement(con, seller_id: str, as_of: dt.date, row) -> FindingSeries | None:
    """Hours from suspension to reinstatement of each of the seller's reinstated episodes (log scale),
    against its reason's ordinary durations: the median and middle half (25th-75th percentile) of the
    other sellers' reinstated episodes of the same reason (pooled over all reasons when a reason has
    fewer than the signal's MIN_EPISODES_FOR_REASON)."""
    from analytics.signals import reinstatement as signal

    episodes = _query(con, "suspension_episodes", as_of=as_of)
    episodes = episodes[episodes["reinstated"]]
    own = episodes[episodes["seller_id"] == seller_id].sort_values("suspended_at")
    if own.empty:
        return None
    others = episodes[episodes["seller_id"] != seller_id]
    x, expected, low, high, reasons = [], [], [], [], []
    for episode in own.itertuples():
        reference = others[others["reason"] == episode.reason]["hours"]
        pooled = len(reference) < signal.MIN_EPISODES_FOR_REASON
        if pooled:
            reference = others["hours"]
        q25, q50, q75 = (np.quantile(reference, [0.25, 0.5, 0.75]) if len(reference) else (np.nan,) * 3)
        x.append(pd.Timestamp(episode.suspended_at).to_pydatetime())
        expected.append(q50)
        low.append(q25)
        high.append(q75)
        reasons.append(f"{episode.reason}{' (all reasons pooled)' if pooled else ''}")
    series = _base(row, x=x, values=own["hours"].to_numpy(float), value_label="hours to reinstatement",
                   expected=np.array(expected), band_low=np.array(low), band_high=np.array(high),
                   expected_label="the reason's median (other sellers)", level_label="hours",
                   kind="points", log_y=True)
    series.before, series.after = _float(row.get("before")), _float(row.get("after"))
    series.extra["reasons"] = reasons
    words = ", ".join(sorted(set(reasons)))
    series.caption = (f"Dots: hours from each of the seller's suspensions to its reinstatement (reasons: {words}). "
                      "Grey: the same reason's reinstated episodes of other sellers, their middle half (25th-75th "
                      "percentile) shaded and their median marked. The run's reference also counts suspensions still "
                      "open (censored) and leaves out lifts by unusual staff; the evidence says "
                      f"{_hours(series.before)} is ordinary, this one {_hours(series.after)}.")
    return series


def _hours(value: float | None) -> str:
    return "?" if value is None else f"{value:,.0f} h" if value >= 10 else f"{value:.1f} h"


# --- harvested_reviewers ------------------------------------------------------------------------------

def _window_end(row) -> dt.date | None:
    """The last day of the window an evidence row's detail names ("between A and B"), if any."""
    found = re.search(r"between (\d{4}-\d{2}-\d{2}) and (\d{4}-\d{2}-\d{2})", str(row.get("detail") or ""))
    return dt.date.fromisoformat(found.group(2)) if found else None


def harvested_reviewers(con, seller_id: str, as_of: dt.date, row) -> FindingSeries | None:
    """The weekly share of the seller's new reviewers who had reviewed a rival's product in the category
    first and gave it 4-5 stars, against the same share among everyone else's new reviewers in its
    categories that week, with a binomial 95 % band for the seller's number of new reviewers."""
    weeks = _query(con, "finding_harvested_reviewers", seller_id=seller_id, as_of=as_of)
    if weeks.empty or not weeks["own"].any():
        return None
    # The evidence names which of the signal's two markers it found: 4-5 stars from a rival's reviewer,
    # or the same without a verified purchase.
    unverified = "without a verified purchase" in str(row.get("detail") or "")
    if unverified:
        weeks["marked"] = weeks["marked_unverified"]
    own = weeks[weeks["own"]].groupby("week")[["new_reviewers", "marked"]].sum()
    rest = weeks[~weeks["own"]].groupby("week")[["new_reviewers", "marked"]].sum()
    all_weeks = pd.date_range(min(own.index.min(), rest.index.min() if len(rest) else own.index.min()),
                              pd.Timestamp(as_of) - pd.Timedelta(days=pd.Timestamp(as_of).weekday()), freq="7D")
    own = own.reindex(all_weeks, fill_value=0)
    rest = rest.reindex(all_weeks, fill_value=0)
    n = own["new_reviewers"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(n > 0, own["marked"].to_numpy(float) / n, np.nan)
        expected = np.where(rest["new_reviewers"] > 0, rest["marked"] / rest["new_reviewers"], np.nan)
    p = np.nan_to_num(expected)
    with np.errstate(invalid="ignore", divide="ignore"):
        low = np.where(n > 0, stats.binom.ppf(TAIL, n, p) / n, np.nan)
        high = np.where(n > 0, stats.binom.ppf(1 - TAIL, n, p) / n, np.nan)
    low, high = np.fmin(low, expected), np.fmax(high, expected)
    x = [d.date() for d in all_weeks]
    label = "share rival-first, 4-5 stars" + (", unverified" if unverified else "")
    series = _base(row, x=x, values=share, value_label=label,
                   expected=expected, band_low=low, band_high=high,
                   expected_label="everyone else's share in its categories", level_label="share")
    series.before, series.after = _float(row.get("before")), _float(row.get("after"))
    series.after_end = _window_end(row)
    series.extra["new_reviewers"] = n
    series.caption = ("Line: each week, the share of the seller's new reviewers (their first review of it) who had "
                      "reviewed another seller's product in the category first and gave it 4-5 stars"
                      f"{' without a verified purchase' if unverified else ''}. Grey dashes: "
                      "the same share among every other seller's new reviewers in its categories that week; shaded: "
                      "where 95 % of weeks fall for a seller with that share and this seller's number of new "
                      "reviewers (binomial). The run's reference also shrinks the category's share and allows for "
                      "the seller's own history (beta-binomial), so its band is somewhat wider. Levels: the evidence's "
                      "share before the window and in it.")
    return series


# --- rank_jump -----------------------------------------------------------------------------------------

def rank_jump(con, seller_id: str, as_of: dt.date, row) -> FindingSeries | None:
    """The product's daily sales rank (log scale, better up) against the rank its price and ad spend
    alone would give from the level before the change (the run's per-category coefficients), with a
    95 % band from the days before the change's spread around it."""
    product_id = row.get("product_id")
    if product_id is None or pd.isna(product_id):
        return None
    daily = _query(con, "seller_product_daily", product_id=product_id, as_of=as_of)
    daily = daily[daily["sales_rank"].notna() & (daily["sales_rank"] > 0)]
    if daily.empty:
        return None
    x = [_date(d) for d in daily["date"]]
    log_rank = np.log(daily["sales_rank"].to_numpy(float))
    coefficients = seller_view._rank_model(con, as_of, daily["category"].iloc[0]) or (0.0, 0.0)
    explained = seller_view.price_ads_log_rank(daily, coefficients)
    change = _date(row.get("changepoint_date"))
    before = np.array([d < change for d in x]) if change else np.ones(len(x), dtype=bool)
    if before.sum() < 2:
        before = np.ones(len(x), dtype=bool)
    residual = log_rank[before] - explained[before]
    centre = float(np.mean(residual))
    spread = float(np.std(residual, ddof=1)) if before.sum() > 2 else 0.0
    z = stats.norm.ppf(1 - TAIL)
    expected = centre + explained
    series = _base(row, x=x, values=np.exp(log_rank), value_label=f"sales rank of {product_id} (log)",
                   expected=np.exp(expected), band_low=np.exp(expected - z * spread),
                   band_high=np.exp(expected + z * spread), expected_label="what price and ads explain",
                   level_label="typical rank", log_y=True, reverse_y=True)
    series.before, series.after = _float(row.get("before")), _float(row.get("after"))
    series.caption = (f"Line: the daily sales rank of {product_id} (better is up). Grey dashes: the rank its price and "
                      "ad spend alone would give, from its level before the change, with the run's per-category "
                      "coefficients; shaded: 95 % of the days before the change around that. The run tests the "
                      "rank relative to its category's size (seasons cancel) with errors that allow for persistent "
                      "series, so a few days outside the band are not a finding. Levels: typical rank (geometric "
                      "mean) before and after.")
    return series


# --- review_burst --------------------------------------------------------------------------------------

def review_burst(con, seller_id: str, as_of: dt.date, row) -> FindingSeries | None:
    """Reviews posted per day on the seller's products, against the 12 weeks before the burst (the
    evidence's ``before`` rate, drawn from 12 weeks before the change to the burst's end) with a Poisson
    95 % band, and the rate during the burst."""
    from analytics.signals import review_burst as signal

    change = _date(row.get("changepoint_date"))
    before, after = _float(row.get("before")), _float(row.get("after"))
    if change is None or before is None:
        return None
    end = _window_end(row) or change
    first = change - dt.timedelta(days=signal.DAYS_BEFORE + 14)
    daily = _query(con, "seller_reviews_daily", seller_id=seller_id, as_of=as_of, first_day=first)
    daily["date"] = pd.to_datetime(daily["date"]).dt.date
    daily = daily[daily["date"] <= end + dt.timedelta(days=56)]  # the burst, near (the query starts at first)
    if daily.empty:
        return None
    x = list(daily["date"])
    values = daily["posted"].fillna(0).to_numpy(float)
    reference = np.array([change - dt.timedelta(days=signal.DAYS_BEFORE) <= d <= end for d in x])
    expected = np.where(reference, before, np.nan)
    band_low, band_high = _poisson_band(before)
    low = np.where(reference, band_low, np.nan)
    high = np.where(reference, band_high, np.nan)
    series = _base(row, x=x, values=values, value_label="reviews posted per day", expected=expected,
                   band_low=low, band_high=high, expected_label="its rate in the 12 weeks before",
                   level_label="reviews per day", kind="bars")
    series.before, series.after, series.after_end = before, after, end
    series.caption = ("Bars: reviews posted on the seller's products each day. Grey dashes: its rate in the 12 weeks "
                      f"before the burst ({before:.1f} a day), carried through the burst; shaded: a Poisson 95 % band "
                      "for a day at that rate. The run also asks who came (new reviewers giving 4-5 stars from thin "
                      "accounts, against its category): see the evidence's detail. Levels: reviews per day before "
                      "and during the burst.")
    return series


# --- sabotage ------------------------------------------------------------------------------------------

def sabotage(con, seller_id: str, as_of: dt.date, row) -> FindingSeries | None:
    """1-star reviews of the seller's rivals (every other seller in its categories) per week written by
    accounts that gave this seller 5 stars, against what those accounts would write as ordinary
    reviewers of the categories (the rivals' 1-star reviews that week x their share of the categories'
    reviewers), with a Poisson 95 % band; the rivals' 1-star reviews from everyone drawn behind."""
    weeks = _query(con, "finding_sabotage", seller_id=seller_id, as_of=as_of)
    if weeks.empty:
        return None
    x = [_date(w) for w in weeks["week"]]
    values = weeks["from_praisers"].to_numpy(float)
    share = float(weeks["praiser_share"].iloc[0] or 0.0)
    expected = weeks["one_star"].to_numpy(float) * share
    band_low, band_high = _poisson_band(expected)
    series = _base(row, x=x, values=values, value_label="rivals' 1-star reviews by its fans / week",
                   expected=expected, band_low=band_low, band_high=band_high,
                   expected_label="if its fans were ordinary reviewers", level_label="per week",
                   kind="bars", period_days=7)
    series.extra["rivals_one_star"] = weeks["one_star"].to_numpy(float)
    change = series.change_date
    if change is not None:
        series.before, series.after = _levels(x, values, _monday(change))
    series.name = "its fans' 1-star reviews of rivals"
    series.caption = ("Bars: each week, 1-star reviews of the seller's rivals (every other seller in its categories) "
                      "written by accounts that gave this seller 5 stars. Grey dashes: what those accounts would "
                      f"write as ordinary reviewers of the categories ({100 * share:.1f} % of their reviewers, times "
                      "the rivals' 1-star reviews that week); shaded: a Poisson 95 % band. The run counts the accounts "
                      "behind the rivals' 1-star bursts that praised this seller against its share of the category's "
                      "praise (see the detail). Levels: per week before the first attack and from it on.")
    return series


# --- sales_intel ---------------------------------------------------------------------------------------

PRICE_GAP = 0.15  # sales_intel links an action to a listing priced within this share of its new price


def sales_intel(con, seller_id: str, as_of: dt.date, row) -> FindingSeries | None:
    """The price of the seller's product the finding names (its launch or price cut on the change date)
    against the aimed rival listing's price, with the +-15 % window in which the signal links an action
    to a listing, and the days staff looked up that listing's sales figures marked on the axis."""
    product_id, rival = row.get("product_id"), row.get("related_seller_id")
    if product_id is None or pd.isna(product_id) or rival is None or pd.isna(rival):
        return None
    aimed = re.search(rf"{re.escape(str(rival))}'s (\S+?)[;,]?(?:\s|$)", str(row.get("detail") or ""))
    aim_product = aimed.group(1) if aimed else None
    if aim_product is None:
        return None
    daily = _query(con, "finding_sales_intel", product_id=product_id, aim_product_id=aim_product, as_of=as_of)
    daily = daily[daily["price"].notna()]
    if daily.empty:
        return None
    x = [_date(d) for d in daily["date"]]
    price = daily["price"].to_numpy(float)
    aim = daily["aim_price"].to_numpy(dtype=float, na_value=np.nan)
    series = _base(row, x=x, values=price, value_label=f"price of {product_id}", expected=aim,
                   band_low=aim * (1 - PRICE_GAP), band_high=aim * (1 + PRICE_GAP),
                   expected_label=f"{rival}'s {aim_product} (the listing aimed at)", level_label="price")
    series.events = [d for d, n in zip(x, daily["lookups"]) if n > 0]
    series.events_label = f"staff look-ups of {aim_product}'s sales figures"
    if series.change_date is not None:
        change = series.change_date
        series.after_end = change + dt.timedelta(days=13)
        series.after = _levels(x, price, change, series.after_end)[1]
        days = np.array(x)
        window = (days >= change - dt.timedelta(days=14)) & (days < change)
        series.before = float(price[window].mean()) if window.any() else None
    series.caption = (f"Line: the daily price of {product_id}, launched or cut on the change date. Grey dashes: the "
                      f"price of {rival}'s {aim_product}, the listing it priced against; shaded: within 15 % of it, "
                      "where the signal links an action to a listing. Triangles: days staff looked up that listing's "
                      "sales figures (every look-up in the log; the run judged the one before the action unusual for "
                      "the employee who made it, see the detail). Levels: the price in the two weeks before and after.")
    return series


# --- staff_access --------------------------------------------------------------------------------------

def staff_access(con, seller_id: str, as_of: dt.date, row) -> FindingSeries | None:
    """Staff sessions on the seller's side per week (removals of its reviews, reinstatements of it; one
    per employee, day and kind) against its own usual rate over the log, with a Poisson 95 % band, and
    the window before its change that the signal counts."""
    from analytics.signals import staff_access as signal

    weeks = _query(con, "finding_staff_access", seller_id=seller_id, as_of=as_of)
    if weeks.empty:
        return None
    x = [_date(w) for w in weeks["week"]]
    values = weeks["sessions"].to_numpy(float)
    usual = float(values.mean())
    band_low, band_high = _poisson_band(usual)
    series = _base(row, x=x, values=values, value_label="staff sessions on its side / week",
                   expected=np.full(len(x), usual),
                   band_low=np.full(len(x), band_low), band_high=np.full(len(x), band_high),
                   expected_label="its usual week (whole log)", level_label="sessions per week",
                   kind="bars", period_days=7)
    change = series.change_date
    if change is not None:
        # The signal counts sessions in [change - 21 days, change + 3 days): drawn as the "after" level.
        first = change - dt.timedelta(days=signal.WINDOW_BEFORE)
        series.change_date = first
        series.change_label = "window from"
        series.after_end = change + dt.timedelta(days=signal.WINDOW_AFTER - 1)
        days = np.array(x)
        inside = (days + dt.timedelta(days=6) >= first) & (days <= series.after_end)
        series.before = float(values[~inside].mean()) if (~inside).any() else None
        series.after = float(values[inside].mean()) if inside.any() else None
        series.extra["rank_change"] = change
    series.caption = ("Bars: staff sessions on the seller's side each week (an employee removing its reviews or "
                      "reinstating it, one per employee, day and kind). Grey dashes: its usual week over the whole "
                      "log; shaded: a Poisson 95 % band. The dashed line starts the window the signal counts, the "
                      f"{signal.WINDOW_BEFORE} days before its sales rank improved on {change}; the run also asks "
                      "whether one employee made more of them than usual (see the detail). Levels: sessions per week "
                      "outside and inside the window.")
    return series


# --- the registry ------------------------------------------------------------------------------------

BUILDERS: dict[str, Callable] = {
    "review_removals": review_removals,
    "reinstatement": reinstatement,
    "harvested_reviewers": harvested_reviewers,
    "rank_jump": rank_jump,
    "review_burst": review_burst,
    "sabotage": sabotage,
    "sales_intel": sales_intel,
    "staff_access": staff_access,
}


def finding_series(con, seller_id: str, as_of: dt.date, row) -> FindingSeries | None:
    """The tested series of one evidence row (a mapping or a frame row with at least ``signal``); None
    when its signal has no such chart yet or there is nothing to draw."""
    builder = BUILDERS.get(row["signal"])
    if builder is None:
        return None
    return builder(con, seller_id, as_of, row)


def all_finding_series(con, seller_id: str, as_of: dt.date, evidence: pd.DataFrame, *,
                       significant_only: bool = False) -> list[FindingSeries]:
    """Every drawable finding of ``evidence`` (``seller_view.evidence``'s frame), significant first."""
    found = []
    for _, row in evidence.iterrows():
        if significant_only and not bool(row.get("significant")):
            continue
        series = finding_series(con, seller_id, as_of, row)
        if series is not None:
            found.append(series)
    return sorted(found, key=lambda s: not s.significant)
