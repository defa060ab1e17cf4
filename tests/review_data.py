"""A small marketplace with two weekly runs and a few cases: the weekly review's test data.

ISO week 2026-W47 runs from Monday 16 to Sunday 22 November 2026. Two stored runs: 2026-11-15 (the
previous week's) and 2026-11-22 (the week's). Scores, flags and evidence are written by hand, because
the weekly review reads runs, it does not compute them; the marketplace underneath is real enough for
the seller chart (one product per seller, 83 days, a few reviews).

Sellers and what the week should say about them:

* S1 Steady Kitchen: flagged in both runs; its case #1 was escalated during the week.
* S2 Fresh Flag: flagged for the first time (newly flagged); case #5 opened on it during the week.
* S3 Quiet Riser: not flagged, but its score rose from 0.5 to 4.5 (rose sharply).
* S4 Cleared Same: newly flagged again, but case #2 cleared it in week 45 on the same evidence: hidden.
* S5 Cleared Grew: newly flagged again, cleared in case #3 on one signal; now a second one: shown, marked.
* S6 Closed Shop: case #4 closed as actioned by the lead during the week.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from analytics import cases, store
from analytics.auth import User
from tests.builders import build_db

WEEK = "2026-W47"
PREVIOUS_RUN = dt.date(2026, 11, 15)
WEEK_RUN = dt.date(2026, 11, 22)
FIRST_DAY = dt.date(2026, 9, 1)
NOW = dt.datetime(2026, 11, 25, 9, 0)  # the Wednesday after the week

ANA, BEN, LEA = User("ana", "analyst"), User("ben", "analyst"), User("lea", "lead")

SELLERS = {
    "S1": "Steady Kitchen", "S2": "Fresh Flag", "S3": "Quiet Riser",
    "S4": "Cleared Same", "S5": "Cleared Grew", "S6": "Closed Shop",
}

# (seller, previous score, previous flagged, week score, week flagged, week signals)
SCORES = [
    ("S1", 8.0, True, 8.5, True, ["reinstatement"]),
    ("S2", 1.0, False, 9.0, True, ["reinstatement", "rank_jump"]),
    ("S3", 0.5, False, 4.5, False, ["rank_jump"]),
    ("S4", 0.0, False, 6.0, True, ["reinstatement"]),
    ("S5", 0.0, False, 7.0, True, ["reinstatement", "rank_jump"]),
    ("S6", 0.0, False, 0.0, False, []),
]

# The evidence S4 and S5 were cleared on (and S6 actioned on).
CLEARED_REINSTATEMENT = {"signal": "reinstatement", "changepoint_date": dt.date(2026, 10, 20),
                         "before": 0.0, "after": 1.0, "effect": 2.0, "q_value": 0.01}


def _finding(as_of, seller_id, signal, day, effect, q):
    return {"as_of": as_of, "seller_id": seller_id, "signal": signal, "changepoint_date": day,
            "before": 0.0, "after": 1.0, "effect": effect, "p_value": q / 10, "q_value": q, "significant": True,
            "measure": "test measure", "product_id": f"P{seller_id[1:]}", "related_seller_id": None,
            "detail": f"{signal} finding for {seller_id}"}


def _runs() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    scores, evidence, runs = [], [], []
    for as_of, pick in ((PREVIOUS_RUN, (1, 2)), (WEEK_RUN, (3, 4))):
        rows = sorted(SCORES, key=lambda r: -r[pick[0]])
        for rank, row in enumerate(rows, start=1):
            seller_id, score, flagged = row[0], row[pick[0]], row[pick[1]]
            fired = row[5] if as_of == WEEK_RUN else (["reinstatement"] if flagged else [])
            reasons = "; ".join(f"{s} finding for {seller_id}" for s in fired) or "nothing unusual found"
            scores.append({"as_of": as_of, "seller_id": seller_id, "score": score, "flagged": flagged,
                           "reasons": reasons, "signals": fired, "score_rank": rank})
            for signal in fired:
                day = dt.date(2026, 10, 20) if signal == "reinstatement" else dt.date(2026, 11, 10)
                evidence.append(_finding(as_of, seller_id, signal, day, 2.0, 0.01))
        runs.append({"as_of": as_of, "started_at": dt.datetime.combine(as_of, dt.time(23)),
                     "finished_at": dt.datetime.combine(as_of, dt.time(23, 5)), "sellers_scored": len(rows),
                     "sellers_flagged": sum(r[pick[1]] for r in rows), "engine_version": "test", "settings": "{}"})
    return pd.DataFrame(scores), pd.DataFrame(evidence), pd.DataFrame(runs)


def build_marketplace(path: Path) -> Path:
    rng = np.random.default_rng(3)
    ids = list(SELLERS)
    days = pd.date_range(FIRST_DAY, WEEK_RUN, freq="D")
    sellers = pd.DataFrame({"seller_id": ids, "seller_name": [SELLERS[s] for s in ids], "country": "CN",
                            "city": "Shenzhen", "registered_on": dt.date(2025, 1, 1), "primary_category": "kitchen"})
    products = pd.DataFrame({"product_id": [f"P{s[1:]}" for s in ids], "seller_id": ids, "category": "kitchen",
                             "title": [f"Pan {s}" for s in ids], "launched_on": FIRST_DAY})
    daily = pd.concat([pd.DataFrame({
        "product_id": f"P{s[1:]}", "date": days.date, "sales_rank": rng.integers(1, 7, len(days)),
        "price": 20.0, "units_sold": rng.poisson(10, len(days)), "ad_spend": 1.0}) for s in ids], ignore_index=True)
    reviews = pd.DataFrame([{
        "review_id": f"R{i:04d}", "product_id": f"P{ids[i % 6][1:]}", "reviewer_id": f"C{i % 40:03d}",
        "rating": int(rng.integers(1, 6)), "created_at": pd.Timestamp(FIRST_DAY) + pd.Timedelta(hours=13 * i),
        "verified_purchase": True} for i in range(150)])
    build_db(path, sellers=sellers, products=products, product_daily=daily, reviews=reviews)
    scores, evidence, runs = _runs()
    with store.rebuild(path) as con:
        for name, frame in (("seller_scores", scores), ("evidence", evidence), ("score_runs", runs)):
            con.register("incoming", frame)
            cols = ", ".join(f'"{c}"' for c in frame.columns)
            con.execute(f"insert into {name} ({cols}) select {cols} from incoming")
            con.unregister("incoming")
    return path


def at(day: int, hour: int = 10, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour)


def build_cases(db: Path) -> dict[str, cases.Case]:
    """The cases described above, written with their real dates; returns the latest case per seller."""
    snapshot = pd.DataFrame([{**CLEARED_REINSTATEMENT, "as_of": dt.date(2026, 11, 1)}])
    out = {}

    c = cases.open_case("S1", ANA, assignee="ana", db=db, now=at(2))
    c = cases.update_case(c.case_id, based_on=c.version, user=ANA, status="investigating", db=db, now=at(3))
    out["S1"] = cases.update_case(c.case_id, based_on=c.version, user=ANA, status="escalated",
                                  note="two fast reinstatements", db=db, now=at(18))

    for seller_id, day in (("S4", 5), ("S5", 6)):
        c = cases.open_case(seller_id, BEN, assignee="ben", db=db, now=at(1))
        c = cases.update_case(c.case_id, based_on=c.version, user=BEN, status="investigating", db=db, now=at(2))
        out[seller_id] = cases.update_case(c.case_id, based_on=c.version, user=BEN, status="cleared",
                                           reason="honest verification hold", evidence=snapshot, db=db,
                                           now=at(day))

    c = cases.open_case("S6", BEN, assignee="ben", db=db, now=at(10, month=10))
    c = cases.update_case(c.case_id, based_on=c.version, user=BEN, status="investigating", db=db,
                          now=at(11, month=10))
    c = cases.update_case(c.case_id, based_on=c.version, user=BEN, status="escalated", db=db, now=at(10))
    out["S6"] = cases.update_case(c.case_id, based_on=c.version, user=LEA, status="actioned", evidence=snapshot,
                                  db=db, now=at(19))

    out["S2"] = cases.open_case("S2", ANA, as_of=WEEK_RUN, db=db, now=at(20))
    return out


def build(path: Path) -> Path:
    build_marketplace(path)
    build_cases(path)
    return path


# What each of the week page's tables is, told by a column only it has (AppTest gives tables no key).
WEEK_PAGE_TABLES = {
    "agenda": "item", "newly_flagged": "cleared_note", "score_rises": "score_change",
    "status_changes": "from_status", "cases_closed": "reason", "open_cases_by_age_and_assignee": "total",
    "open_cases": "age_days", "hidden_cleared_sellers": "why",
}


def week_page_tables(frames) -> dict[str, pd.DataFrame]:
    """The week page's tables by the name of the list they show (the pack's CSV names)."""
    found = {}
    for frame in frames:
        for name, column in WEEK_PAGE_TABLES.items():
            if column in frame.columns and name not in found:
                if name == "hidden_cleared_sellers" and "item" in frame.columns:
                    continue
                found[name] = frame
                break
    return found


def seller_ids(links) -> list[str]:
    """Seller ids from the page's seller links (``seller?seller_id=ID&as_of=DATE``)."""
    return [link.split("seller_id=")[1].split("&")[0] for link in links]
