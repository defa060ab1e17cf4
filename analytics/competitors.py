"""The competitor view of one category: who gained and who lost around the flagged sellers' change
points, each seller's rank over time, and the seller -> rival graph of targeting evidence.

Rank moves are described, not tested: the tests are the signals' job. A rival whose rank fell as a
flagged seller rose is a lead for the analyst, not a finding.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics import queries, seller_view

WINDOW_DAYS = 28  # compare the four weeks after a change point with the four weeks before
EVENT_SELLERS = 10  # the category's most suspicious flagged sellers whose change points are examined
PER_SIDE = 5  # biggest gainers and losers kept per change point


@dataclass
class CategoryView:
    category: str
    events: pd.DataFrame  # seller_id, seller_name, score, changepoint_date, signals
    shifts: pd.DataFrame  # event_seller_id, event_date, seller_id, seller_name, is_event_seller,
    #                       rank_factor, products, direction
    trends: pd.DataFrame  # seller_id, week, standing (= -relative rank, up = better)
    targeting: pd.DataFrame  # seller_id, seller_name, rival_id, rival_name, signal, findings,
    #                          first_date, q_value, significant


def _query(con, name: str, **values) -> pd.DataFrame:
    sql = queries.load(name)
    return con.execute(sql, {k: v for k, v in values.items() if f"${k}" in sql}).df()


def categories(con, as_of: dt.date) -> pd.DataFrame:
    """Every category with its sellers and the run's flagged sellers, flagged-heavy ones first."""
    return _query(con, "competitors_categories", as_of=as_of)


def summary(shifts: pd.DataFrame) -> pd.DataFrame:
    """Per seller across the category's change points: how often it lost or gained, and its typical
    rank factor (geometric mean). Event sellers' own moves are left out: they are the cause looked at."""
    others = shifts[~shifts["is_event_seller"].astype(bool)]
    if others.empty:
        return pd.DataFrame(columns=["seller_id", "seller_name", "times_lost", "times_gained", "rank_factor"])
    grouped = others.assign(ln=np.log(others["rank_factor"].astype(float))).groupby(
        ["seller_id", "seller_name"], as_index=False)
    out = grouped.agg(times_lost=("direction", lambda d: int((d == "lost").sum())),
                      times_gained=("direction", lambda d: int((d == "gained").sum())),
                      ln=("ln", "mean"))
    out["rank_factor"] = np.exp(out.pop("ln"))
    return out.sort_values(["times_lost", "rank_factor"], ascending=[False, False]).reset_index(drop=True)


def seller_names(view: CategoryView) -> dict[str, str]:
    """Every seller the category view names (flagged sellers, those whose rank shifted, targeted rivals),
    seller_id -> display name, for labels; sellers without a name are left out."""
    names = dict(zip(view.shifts["seller_id"], view.shifts["seller_name"]))
    names.update(dict(zip(view.events["seller_id"], view.events["seller_name"])))
    if not view.targeting.empty:
        names.update(dict(zip(view.targeting["rival_id"], view.targeting["rival_name"])))
    return {k: v for k, v in names.items() if isinstance(v, str) and v}


def rivals_that_lost(shifts: pd.DataFrame, seller_id: str, limit: int | None = None) -> list[str]:
    """The sellers that lost most ground around ``seller_id``'s change points, worst first (the flagged
    sellers themselves left out): the few rivals worth drawing beside it."""
    lost = shifts[(shifts["event_seller_id"] == seller_id) & (shifts["direction"] == "lost")
                  & ~shifts["is_event_seller"].astype(bool)]
    if lost.empty:
        return []
    worst = lost.groupby("seller_id")["rank_factor"].max().sort_values(ascending=False)
    return list(worst.index[:limit] if limit else worst.index)


def category_view(con, category: str, as_of: dt.date, *, sizes: pd.DataFrame | None = None) -> CategoryView:
    """The category's view; ``sizes`` is ``seller_view.category_sizes(con, as_of)`` (computed when not
    given), which callers keep per run."""
    events = _query(con, "competitors_events", category=category, as_of=as_of, limit=EVENT_SELLERS)
    if events.empty:
        shifts = pd.DataFrame(columns=["event_seller_id", "event_date", "seller_id", "seller_name",
                                       "is_event_seller", "rank_factor", "products", "direction"])
    else:
        shifts = _query(con, "competitors_rank_shifts", category=category, as_of=as_of,
                        event_sellers=list(events["seller_id"]),
                        event_dates=[pd.Timestamp(d).date() for d in events["changepoint_date"]],
                        window_days=WINDOW_DAYS, per_side=PER_SIDE)
    shown = list(dict.fromkeys([*events["seller_id"], *shifts.loc[shifts["direction"] == "lost", "seller_id"]]))
    if shown:
        sizes = seller_view.category_sizes(con, as_of) if sizes is None else sizes
        trends = seller_view.weekly_relative_rank(con, shown, as_of, sizes, category=category)
    else:
        trends = pd.DataFrame(columns=["seller_id", "week", "rel_rank"])
    trends = trends.assign(standing=-trends["rel_rank"].astype(float)).drop(columns="rel_rank")
    targeting = _query(con, "competitors_targeting", category=category, as_of=as_of)
    return CategoryView(category, events, shifts, trends, targeting)
