"""What the team's decisions teach: dispositions as labels, and not re-flagging a cleared seller.

A closed case is a label: *actioned* = a confirmed insider-data buyer, *cleared* = a false alarm.
When a case closes, ``analytics.cases`` keeps the seller's significant evidence beside it, so

* ``precision_by_signal`` says, for each signal, how many of the closed cases it fired on were
  confirmed: the precision of past flags, from the analysts' own decisions;
* ``cleared_review`` decides whether a seller the team cleared is flagged again for the *same*
  evidence (then the watchlist hides it and says so) or because the evidence grew (then it is shown,
  marked). The rule is ``REFLAG_RULE``.

The marketplace database and the analysts' store are separate files: these functions take a
connection to the first (the dashboard's ``Reader`` cursor, or ``store.connect_read_only``) and open
the second themselves.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from analytics import cases, queries, signals, store

SAME_EPISODE_DAYS = 14  # a change point this close to the one seen at clearing is the same episode
GROWTH_FACTOR = 1.25  # an effect this much larger than at clearing is new evidence

REFLAG_RULE = (
    f"A seller whose latest case was cleared is not flagged again for the same evidence. It stays hidden "
    f"while every signal that fires now had also fired when the case was cleared, with its change point "
    f"within {SAME_EPISODE_DAYS} days of the one seen then and an effect at most "
    f"{round((GROWTH_FACTOR - 1) * 100)}% larger. A new signal, a new change point or a larger effect "
    f"brings it back, marked as re-flagged after clearing. Opening a new case on it shows it again too."
)

REVIEW_COLUMNS = ("seller_id", "case_id", "cleared_at", "cleared_by", "clear_reason", "hidden", "why")


def latest_run(con) -> dt.date | None:
    return con.execute("select max(as_of) from score_runs").fetchone()[0]


def evidence_snapshot(con, seller_id: str, as_of: dt.date | None = None) -> pd.DataFrame:
    """The seller's significant evidence in the run of ``as_of`` (default: the latest), one row per
    signal: what ``cases.update_case(..., evidence=...)`` keeps when a case closes."""
    as_of = as_of or latest_run(con)
    if as_of is None:
        return pd.DataFrame(columns=list(cases.SNAPSHOT_COLUMNS))
    rows = con.execute(queries.load("cases_seller_evidence"), {"as_of": as_of, "seller_ids": [seller_id]}).df()
    return rows[list(cases.SNAPSHOT_COLUMNS)]


def precision_by_signal(*, db: Path | str | None = None) -> pd.DataFrame:
    """One row per signal that fired on a closed case: closed cases, actioned, cleared, precision
    (actioned / closed), with the signal's title and colour; then one row for all closed cases."""
    with store.analyst_store(db) as con:
        cases.ensure_tables(con)
        per_signal = con.execute(queries.load("cases_precision_by_signal")).df()
        overall = con.execute(
            """select count(*) as closed_cases,
                      count(*) filter (where status = 'actioned') as actioned,
                      count(*) filter (where status = 'cleared') as cleared
               from cases where status in ('actioned', 'cleared')""").df()
    known = signals.by_name()
    per_signal["title"] = [known[s].TITLE if s in known else ("no evidence kept" if pd.isna(s) else s)
                           for s in per_signal["signal"]]
    per_signal["color"] = [known[s].COLOR if s in known else "#7f7f7f" for s in per_signal["signal"]]
    overall = overall.assign(signal="all closed cases", title="All closed cases", color="#444444")
    table = pd.concat([per_signal, overall], ignore_index=True)
    table["precision"] = np.where(table["closed_cases"] > 0,
                                  table["actioned"] / table["closed_cases"].where(table["closed_cases"] > 0), np.nan)
    return table[["signal", "title", "color", "closed_cases", "actioned", "cleared", "precision"]]


def _magnitude(frame: pd.DataFrame) -> pd.Series:
    """How big a finding is: |effect|, else |after - before| for signals that give no effect size."""
    effect = pd.to_numeric(frame["effect"], errors="coerce").abs()
    shift = (pd.to_numeric(frame["after"], errors="coerce") - pd.to_numeric(frame["before"], errors="coerce")).abs()
    return effect.fillna(shift)


def no_cleared() -> pd.DataFrame:
    """A ``cleared_review`` with no cleared seller in it."""
    return pd.DataFrame({c: pd.Series(dtype=bool if c == "hidden" else object) for c in REVIEW_COLUMNS})


def cleared_review(con, as_of: dt.date | None = None, *, db: Path | str | None = None) -> pd.DataFrame:
    """For every seller whose latest case was cleared (and who has no open case): is it hidden in the
    run of ``as_of`` (default: the latest), and why, in words. Columns: ``REVIEW_COLUMNS``.

    ``hidden`` is True while the seller's evidence now is the evidence it was cleared on (``REFLAG_RULE``);
    False means the evidence grew and ``why`` says how.
    """
    with store.analyst_store(db) as acon:
        cases.ensure_tables(acon)
        kept = acon.execute(queries.load("cases_latest_cleared")).df()
    if kept.empty:
        return no_cleared()
    as_of = as_of or latest_run(con)
    seller_ids = sorted(kept["seller_id"].unique())
    now = (con.execute(queries.load("cases_seller_evidence"), {"as_of": as_of, "seller_ids": seller_ids}).df()
           if as_of is not None else pd.DataFrame(columns=["seller_id", "signal"]))

    rows = []
    for seller_id, then in kept.groupby("seller_id", sort=True):
        first = then.iloc[0]
        then = then[then["signal"].notna()]
        current = now[now["seller_id"] == seller_id]
        why = _growth(then, current)
        rows.append({
            "seller_id": seller_id,
            "case_id": int(first["case_id"]),
            "cleared_at": first["cleared_at"],
            "cleared_by": first["cleared_by"],
            "clear_reason": first["clear_reason"],
            "hidden": not why,
            "why": ("; ".join(why) if why else
                    f"cleared in case #{int(first['case_id'])} on {pd.Timestamp(first['cleared_at']):%Y-%m-%d} "
                    f"({first['clear_reason']}); the evidence has not grown since"),
        })
    return pd.DataFrame(rows, columns=list(REVIEW_COLUMNS))


def _growth(then: pd.DataFrame, current: pd.DataFrame) -> list[str]:
    """How the evidence now exceeds the evidence at clearing, in words; empty when it does not."""
    grown = []
    then = then.assign(magnitude=_magnitude(then)).set_index("signal")
    current = current.assign(magnitude=_magnitude(current))
    for row in current.itertuples():
        if row.signal not in then.index:
            grown.append(f"new signal since clearing: {row.signal}")
            continue
        before = then.loc[row.signal]
        if pd.notna(row.changepoint_date) and pd.notna(before["changepoint_date"]):
            gap = abs((pd.Timestamp(row.changepoint_date) - pd.Timestamp(before["changepoint_date"])).days)
            if gap > SAME_EPISODE_DAYS:
                grown.append(f"{row.signal}: a new change point on {pd.Timestamp(row.changepoint_date):%Y-%m-%d} "
                             f"(cleared on one at {pd.Timestamp(before['changepoint_date']):%Y-%m-%d})")
                continue
        if (pd.notna(row.magnitude) and pd.notna(before["magnitude"]) and before["magnitude"] > 0
                and row.magnitude > GROWTH_FACTOR * before["magnitude"]):
            grown.append(f"{row.signal}: effect grew from {before['magnitude']:.2f} to {row.magnitude:.2f}")
    return grown


def mark_cleared(frame: pd.DataFrame, con=None, as_of: dt.date | None = None, *,
                 db: Path | str | None = None, seller_column: str = "seller_id",
                 review: pd.DataFrame | None = None) -> pd.DataFrame:
    """``frame`` with two more columns for the watchlist: ``cleared_hidden`` (cleared on the same
    evidence: not to be shown as flagged again) and ``cleared_note`` (the words to show beside any
    cleared seller: why it stays cleared, or how its evidence grew). ``review`` is a ``cleared_review``
    already read; without it, it is read from ``con`` for the run of ``as_of``."""
    if review is None:
        review = cleared_review(con, as_of, db=db)
    review = review.rename(columns={"seller_id": seller_column})[[seller_column, "hidden", "why"]]
    marked = frame.merge(review.astype({seller_column: frame[seller_column].dtype}), on=seller_column, how="left")
    marked["cleared_hidden"] = marked["hidden"].eq(True)
    marked["cleared_note"] = np.where(
        marked["why"].isna(), None,
        np.where(marked["cleared_hidden"], marked["why"].astype(str),
                 "re-flagged after clearing: " + marked["why"].astype(str)))
    return marked.drop(columns=["hidden", "why"])
