"""The week's review: what the team walks through in its weekly meeting, for any ISO week.

For ISO week ``YYYY-Www`` (Monday to Sunday, UTC):

* the week's run is the latest scoring run dated in the week; it is compared with the run before it;
* **newly flagged**: sellers the week's run flags and the previous run did not (every flagged seller
  when there is no previous run), less the cleared sellers whose evidence has not grown
  (``analytics.feedback``; they are listed apart as hidden);
* **score rose sharply**: sellers not newly flagged whose score rose by at least ``SHARP_RISE`` since the
  previous run (the score sums ``-log10 q`` over signals, so 3 = evidence a thousand times stronger);
* **cases that changed status** during the week (opening one counts: none -> new), and of those the
  **cases closed**;
* **open cases by age and assignee** at the end of the week (or now, for the current week), rebuilt
  from the case history so that a past week reads as it stood then.

The week page, meeting mode and the report pack all read ``week_items``, so they list the same items.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analytics import cases, feedback, queries, store

SHARP_RISE = 3.0
AGE_BANDS = ((0, "under 1 week"), (7, "1-2 weeks"), (14, "2-4 weeks"), (28, "4 weeks or more"))

SCORE_COLUMNS = {"score", "previous_score", "score_change"}
SCORE_DECIMALS = 2


def parse_week(week: str) -> tuple[dt.date, dt.date]:
    """``"2026-W47"`` -> (Monday, Sunday) of that ISO week; ``ValueError`` naming the format otherwise."""
    text = str(week).strip()
    try:
        if len(text) != 8 or text[4:6] != "-W":
            raise ValueError
        monday = dt.date.fromisocalendar(int(text[:4]), int(text[6:]), 1)
    except ValueError:
        raise ValueError(f"not an ISO week (YYYY-Www, e.g. 2026-W47): {week!r}") from None
    return monday, monday + dt.timedelta(days=6)


def week_of(day: dt.date) -> str:
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


def shift_week(week: str, weeks: int) -> str:
    monday, _ = parse_week(week)
    return week_of(monday + dt.timedelta(weeks=weeks))


def age_band(days: float) -> str:
    label = AGE_BANDS[0][1]
    for lower, name in AGE_BANDS:
        if days >= lower:
            label = name
    return label


@dataclass
class WeekItems:
    week: str
    start: dt.date  # Monday
    end: dt.date  # Sunday
    run: dt.date | None  # the week's scoring run
    previous_run: dt.date | None
    open_at: dt.datetime  # when the open-cases view was taken (end of week, or now)
    newly_flagged: pd.DataFrame
    risers: pd.DataFrame
    hidden: pd.DataFrame  # newly flagged again, but cleared before on the same evidence
    status_changes: pd.DataFrame
    closed: pd.DataFrame
    open_cases: pd.DataFrame
    open_by_age_assignee: pd.DataFrame  # assignee x age band, counts
    agenda: pd.DataFrame  # one row per seller to discuss, in meeting order

    @property
    def empty(self) -> bool:
        return self.agenda.empty and self.open_cases.empty

    def tables(self) -> dict[str, pd.DataFrame]:
        """The week's items as flat tables (list columns joined, scores rounded), by the CSV name they are
        written to."""
        flat = {}
        for name, frame in (("agenda", self.agenda), ("newly_flagged", self.newly_flagged),
                            ("score_rises", self.risers), ("status_changes", self.status_changes),
                            ("cases_closed", self.closed), ("open_cases", self.open_cases),
                            ("open_cases_by_age_and_assignee", self.open_by_age_assignee),
                            ("hidden_cleared_sellers", self.hidden)):
            frame = frame.copy()
            for column in SCORE_COLUMNS & set(frame.columns):  # a CSV reader sees 17.8, not 17.769646789877985
                frame[column] = pd.to_numeric(frame[column], errors="coerce").round(SCORE_DECIMALS) + 0.0  # no -0.0
            for column in frame.columns:
                if any(isinstance(v, (list, tuple, np.ndarray)) for v in frame[column]):
                    frame[column] = frame[column].map(
                        lambda v: ", ".join(map(str, v)) if isinstance(v, (list, tuple, np.ndarray)) else v)
            flat[name] = frame
        return flat

    def summary(self) -> dict[str, int]:
        return {
            "newly flagged": len(self.newly_flagged),
            "score rose sharply": len(self.risers),
            "case status changes": len(self.status_changes),
            "cases closed": len(self.closed),
            "open cases": len(self.open_cases),
            "hidden (cleared, same evidence)": len(self.hidden),
        }


def week_items(week: str, con, *, db: Path | str | None = None, now: dt.datetime | None = None) -> WeekItems:
    """Everything the meeting of ``week`` covers. ``con`` reads the marketplace database ``db``; the
    cases come from the analysts' store beside it (``store.analyst_db_path``)."""
    start, end = parse_week(week)
    window_start = dt.datetime.combine(start, dt.time())
    window_end = window_start + dt.timedelta(days=7)
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    open_at = min(window_end, now)

    run, previous = con.execute(queries.load("weekly_runs"), {"week_start": start, "week_end": end}).fetchone()
    if run is not None:
        changed = con.execute(queries.load("weekly_seller_changes"),
                              {"week_run": run, "previous_run": previous, "sharp_rise": SHARP_RISE}).df()
    else:
        changed = _empty_changes()
    changed["signals"] = [list(s) if s is not None else [] for s in changed["signals"]]

    with store.analyst_store(db) as acon:
        cases.ensure_tables(acon)
        moves = acon.execute(queries.load("cases_status_changes"), {"start": window_start, "end": window_end}).df()
        open_cases = acon.execute(queries.load("cases_open_at"), {"at": open_at}).df()
        seller_cases = acon.execute(
            """select seller_id, arg_max(case_id, case_id) as case_id, arg_max(status, case_id) as case_status,
                      arg_max(assignee, case_id) as case_assignee
               from cases group by seller_id""").df()

    review = feedback.cleared_review(con, run, db=db) if run is not None else None
    newly = changed[changed["newly_flagged"]].copy()
    newly, hidden = _apply_cleared(newly, review)
    risers = changed[changed["rose_sharply"] & ~changed["newly_flagged"]].sort_values(
        ["score_change", "seller_id"], ascending=[False, True])

    case_sellers = sorted(set(moves["seller_id"]) | set(open_cases["seller_id"]))
    sellers = con.execute(queries.load("weekly_sellers"),
                          {"seller_ids": case_sellers, "as_of": run}).df() if case_sellers else None
    moves = _with_sellers(moves, sellers)
    open_cases = _with_sellers(open_cases, sellers)
    open_cases["age_band"] = [age_band(d) for d in open_cases["age_days"]]
    closed = moves[moves["to_status"].isin(cases.CLOSED_STATUSES)].reset_index(drop=True)

    newly = _with_cases(newly, seller_cases)
    risers = _with_cases(risers, seller_cases)
    agenda = _agenda(newly, risers, moves, closed)
    return WeekItems(
        week=f"{start.isocalendar()[0]}-W{start.isocalendar()[1]:02d}", start=start, end=end, run=run,
        previous_run=previous, open_at=open_at,
        newly_flagged=newly.reset_index(drop=True), risers=risers.reset_index(drop=True),
        hidden=hidden.reset_index(drop=True), status_changes=moves.reset_index(drop=True), closed=closed,
        open_cases=open_cases.reset_index(drop=True), open_by_age_assignee=_by_age_and_assignee(open_cases),
        agenda=agenda,
    )


def week_items_for_db(week: str, *, db: Path | str | None = None, now: dt.datetime | None = None) -> WeekItems:
    """``week_items`` on a fresh read-only connection to the marketplace database (for scripts)."""
    with store.connect_read_only(db) as con:
        return week_items(week, con, db=store.resolve(db), now=now)


def _empty_changes() -> pd.DataFrame:
    columns = ["seller_id", "seller_name", "country", "city", "category", "score", "previous_score",
               "score_change", "flagged", "previously_flagged", "newly_flagged", "rose_sharply", "score_rank",
               "reasons", "signals"]
    frame = pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    for column in ("flagged", "previously_flagged", "newly_flagged", "rose_sharply"):
        frame[column] = frame[column].astype(bool)
    return frame


def _apply_cleared(newly: pd.DataFrame, review: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split newly flagged sellers into the shown (re-flagged ones marked) and the hidden ones."""
    marked = feedback.mark_cleared(newly, review=feedback.no_cleared() if review is None else review)
    hidden = marked[marked["cleared_hidden"]].rename(columns={"cleared_note": "why"})
    shown = marked[~marked["cleared_hidden"]]
    return shown.drop(columns="cleared_hidden"), hidden.drop(columns="cleared_hidden")


def _with_sellers(frame: pd.DataFrame, sellers: pd.DataFrame | None) -> pd.DataFrame:
    columns = ["seller_name", "country", "category", "score", "flagged", "reasons", "signals"]
    if sellers is None or frame.empty:
        return frame.assign(**{c: pd.Series(dtype="object") for c in columns})
    merged = frame.merge(sellers[["seller_id", *columns]], on="seller_id", how="left")
    merged["signals"] = [list(s) if isinstance(s, (list, np.ndarray)) else [] for s in merged["signals"]]
    return merged


def _with_cases(frame: pd.DataFrame, seller_cases: pd.DataFrame) -> pd.DataFrame:
    merged = frame.merge(seller_cases, on="seller_id", how="left")
    merged["case_id"] = merged["case_id"].astype("Int64")
    return merged


def _by_age_and_assignee(open_cases: pd.DataFrame) -> pd.DataFrame:
    bands = [name for _, name in AGE_BANDS]
    if open_cases.empty:
        return pd.DataFrame(columns=["assignee", *bands, "total"])
    counted = open_cases.assign(assignee=open_cases["assignee"].fillna("(unassigned)"))
    table = pd.crosstab(counted["assignee"], counted["age_band"]).reindex(columns=bands, fill_value=0)
    table["total"] = table.sum(axis=1)
    table = table.sort_values(["total"], ascending=False).reset_index()
    table.columns.name = None
    return table


def _agenda(newly: pd.DataFrame, risers: pd.DataFrame, moves: pd.DataFrame, closed: pd.DataFrame) -> pd.DataFrame:
    """One row per seller in meeting order: newly flagged, sharp risers, cases moved, cases closed."""
    items: dict[str, dict] = {}

    def add(seller_id, why: str, **facts):
        item = items.setdefault(seller_id, {"seller_id": seller_id, "why": [], **facts})
        if why not in item["why"]:
            item["why"].append(why)
        for key, value in facts.items():
            if item.get(key) is None or (isinstance(item.get(key), float) and np.isnan(item[key])):
                item[key] = value

    def facts(row) -> dict:
        case_id = getattr(row, "case_id", None)
        return {"seller_name": row.seller_name, "score": row.score, "reasons": row.reasons,
                "case_id": None if pd.isna(case_id) else int(case_id)}

    for row in newly.itertuples():
        add(row.seller_id, "newly flagged" + (f" ({row.cleared_note})" if isinstance(row.cleared_note, str) else ""),
            **facts(row))
    for row in risers.itertuples():
        previous = "no score" if pd.isna(row.previous_score) else f"{row.previous_score:.1f}"
        add(row.seller_id, f"score rose sharply ({previous} -> {row.score:.1f})", **facts(row))
    still_open = moves[~moves["to_status"].isin(cases.CLOSED_STATUSES)]
    for frame in (still_open, closed):
        for row in frame.itertuples():
            if not isinstance(row.from_status, str):
                what = f"case #{row.case_id} opened by {row.changed_by}"
            else:
                verb = "closed" if row.to_status in cases.CLOSED_STATUSES else "moved"
                what = f"case #{row.case_id} {verb}: {row.from_status} -> {row.to_status} by {row.changed_by}"
            add(row.seller_id, what, **facts(row))
    agenda = pd.DataFrame(list(items.values()),
                          columns=["seller_id", "seller_name", "why", "score", "case_id", "reasons"])
    agenda["why"] = agenda["why"].map("; ".join)
    agenda["case_id"] = agenda["case_id"].astype("Int64")
    agenda.insert(0, "item", np.arange(1, len(agenda) + 1))
    return agenda
