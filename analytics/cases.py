"""Cases: an analyst's investigation of one seller, from first look to decision.

A case moves ``new -> investigating -> escalated -> actioned | cleared`` (it may also be cleared from
any open state, and an escalated case may go back to investigating). Only a lead closes a case as
*actioned* (a confirmed insider-data buyer) or reopens a closed one; *cleared* (a false alarm) needs
a reason. Every change is kept in ``case_history`` (who, when, what), notes included.

Two analysts may edit one case at the same time. Each case carries a ``version``; every update names
the version it was based on, and an update based on an older version is refused with ``StaleCase``,
which carries the newer case and what changed since, so nobody's work is silently overwritten
(optimistic concurrency). Writes also hold a process-wide lock, and DuckDB's file lock keeps other
processes out for the few milliseconds a write lasts (``store.analyst_store`` waits for it).

When a case closes, the seller's evidence at that moment is kept beside it (``case_evidence``): the
dispositions are the labels ``analytics.feedback`` learns from.

Everything lives in the analysts' own store, which batch jobs never open. The ``db`` argument of
every function names the marketplace database whose store to use (or the store itself); by default
``$ANOMALY_ANALYST_DB``, else the store beside ``$ANOMALY_DB`` (``store.analyst_db_path``).
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, fields
from pathlib import Path

import pandas as pd

from analytics import queries, store
from analytics.auth import User

NEW, INVESTIGATING, ESCALATED, ACTIONED, CLEARED = "new", "investigating", "escalated", "actioned", "cleared"
STATUSES = (NEW, INVESTIGATING, ESCALATED, ACTIONED, CLEARED)
OPEN_STATUSES = (NEW, INVESTIGATING, ESCALATED)
CLOSED_STATUSES = (ACTIONED, CLEARED)
TRANSITIONS: dict[str, tuple[str, ...]] = {
    NEW: (INVESTIGATING, CLEARED),
    INVESTIGATING: (ESCALATED, CLEARED),
    ESCALATED: (ACTIONED, CLEARED, INVESTIGATING),
    ACTIONED: (INVESTIGATING,),  # reopen: leads only
    CLEARED: (INVESTIGATING,),  # reopen: leads only
}
STATUS_WORDS = {
    NEW: "new",
    INVESTIGATING: "investigating",
    ESCALATED: "escalated to a lead",
    ACTIONED: "actioned (confirmed insider-data buyer)",
    CLEARED: "cleared (false alarm)",
}

DDL = (
    "CREATE SEQUENCE IF NOT EXISTS case_id_seq START 1",
    """
    CREATE TABLE IF NOT EXISTS cases (
        case_id INTEGER PRIMARY KEY,
        seller_id VARCHAR NOT NULL,
        status VARCHAR NOT NULL,
        assignee VARCHAR,            -- a username; null = unassigned
        opened_by VARCHAR NOT NULL,
        opened_at TIMESTAMP NOT NULL,   -- UTC
        opened_as_of DATE,           -- the scoring run the analyst was looking at
        updated_by VARCHAR NOT NULL,
        updated_at TIMESTAMP NOT NULL,
        closed_by VARCHAR,
        closed_at TIMESTAMP,
        clear_reason VARCHAR,        -- why it was cleared (required for cleared)
        version INTEGER NOT NULL     -- bumped by every change; updates name the version they saw
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS case_history (
        case_id INTEGER NOT NULL,
        version INTEGER NOT NULL,    -- the version this change produced
        changed_at TIMESTAMP NOT NULL,
        changed_by VARCHAR NOT NULL,
        field VARCHAR NOT NULL,      -- opened, status, assignee, note, reason
        old_value VARCHAR,
        new_value VARCHAR
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS case_evidence (
        case_id INTEGER NOT NULL,
        version INTEGER NOT NULL,    -- the closing version this snapshot belongs to
        as_of DATE,                  -- the scoring run it was taken from
        signal VARCHAR NOT NULL,
        changepoint_date DATE,
        "before" DOUBLE,
        "after" DOUBLE,
        effect DOUBLE,
        q_value DOUBLE
    )
    """,
)

SNAPSHOT_COLUMNS = ("as_of", "signal", "changepoint_date", "before", "after", "effect", "q_value")

_write_lock = threading.Lock()  # one writer per process; DuckDB's file lock handles other processes


class CaseError(ValueError):
    """A change the rules refuse; the message says why in words an analyst can act on."""


class CaseNotFound(CaseError):
    pass


class NotAllowed(CaseError):
    """The user's role does not allow this change."""


@dataclass(frozen=True)
class Case:
    case_id: int
    seller_id: str
    status: str
    assignee: str | None
    opened_by: str
    opened_at: dt.datetime
    opened_as_of: dt.date | None
    updated_by: str
    updated_at: dt.datetime
    closed_by: str | None
    closed_at: dt.datetime | None
    clear_reason: str | None
    version: int

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def label(self) -> str:
        return f"case #{self.case_id}"


_CASE_COLUMNS = ", ".join(f.name for f in fields(Case))


class StaleCase(CaseError):
    """The edit was based on an older version of the case; nothing was saved.

    ``current`` is the case as it is now and ``changes`` the history rows written since the version
    the edit was based on, so the editor can see what the other person did and apply theirs again.
    """

    def __init__(self, current: Case, based_on: int, changes: pd.DataFrame):
        self.current = current
        self.based_on = based_on
        self.changes = changes
        self.newer_version = current.version
        said = "; ".join(describe_change(row) for row in changes.itertuples()) or "changed"
        people = ", ".join(dict.fromkeys(changes["changed_by"])) if not changes.empty else "someone"
        super().__init__(
            f"{current.label} was changed by {people} while you were editing it (you started from version "
            f"{based_on}, it is now version {current.version}): {said}. Your edit was not saved; "
            "review the newer version and apply your change again."
        )


def describe_change(row) -> str:
    """One history row in words: ``status: new -> investigating``."""
    if row.field == "opened":
        return f"opened ({row.new_value})"
    if row.field == "note":
        return f"note: {row.new_value}"
    if row.field == "reason":
        return f"reason: {row.new_value}"
    old = row.old_value if isinstance(row.old_value, str) and row.old_value else "none"
    new = row.new_value if isinstance(row.new_value, str) and row.new_value else "none"
    return f"{row.field}: {old} -> {new}"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def ensure_tables(con) -> None:
    for ddl in DDL:
        con.execute(ddl)


def _row_to_case(row) -> Case:
    return Case(*row)


def _fetch(con, case_id: int) -> Case:
    row = con.execute(f"select {_CASE_COLUMNS} from cases where case_id = $id", {"id": case_id}).fetchone()
    if row is None:
        raise CaseNotFound(f"there is no case #{case_id}")
    return _row_to_case(row)


def _history_since(con, case_id: int, version: int) -> pd.DataFrame:
    return con.execute(queries.load("cases_history"), {"case_id": case_id, "after_version": version}).df()


# --- reading ----------------------------------------------------------------------------------------

def get_case(case_id: int, *, db: Path | str | None = None) -> Case:
    with store.analyst_store(db) as con:
        ensure_tables(con)
        return _fetch(con, case_id)


def case_for_seller(seller_id: str, *, db: Path | str | None = None) -> Case | None:
    """The seller's open case, else its most recently closed one, else None."""
    with store.analyst_store(db) as con:
        ensure_tables(con)
        row = con.execute(
            f"""select {_CASE_COLUMNS} from cases where seller_id = $seller_id
                order by case when status in ('new', 'investigating', 'escalated') then 0 else 1 end,
                         updated_at desc, case_id desc
                limit 1""",
            {"seller_id": seller_id},
        ).fetchone()
    return _row_to_case(row) if row else None


def history(case_id: int, *, db: Path | str | None = None) -> pd.DataFrame:
    """Every change to the case, oldest first: version, changed_at, changed_by, field, old, new."""
    with store.analyst_store(db) as con:
        ensure_tables(con)
        return _history_since(con, case_id, 0)


def list_cases(*, db: Path | str | None = None, statuses: tuple[str, ...] = STATUSES,
               assignee: str | None = None) -> pd.DataFrame:
    """One row per case with its current state, newest change first."""
    with store.analyst_store(db) as con:
        ensure_tables(con)
        return con.execute(queries.load("cases_list"),
                           {"statuses": list(statuses), "assignee": assignee, "now": _utcnow()}).df()


# --- writing ----------------------------------------------------------------------------------------

def open_case(seller_id: str, user: User, *, assignee: str | None = None, as_of: dt.date | None = None,
              note: str | None = None, db: Path | str | None = None, now: dt.datetime | None = None) -> Case:
    """Open a case on ``seller_id``; when the seller already has an open case, return that one.

    One open case per seller keeps the team from working the same seller twice; the history shows
    who opened it.
    """
    seller_id = str(seller_id).strip()
    if not seller_id:
        raise CaseError("a case needs a seller id")
    now = now or _utcnow()
    with _write_lock, store.analyst_store(db) as con:
        ensure_tables(con)
        con.execute("begin transaction")
        try:
            existing = con.execute(
                f"""select {_CASE_COLUMNS} from cases
                    where seller_id = $seller_id and status in ('new', 'investigating', 'escalated')
                    order by case_id limit 1""", {"seller_id": seller_id}).fetchone()
            if existing:
                con.execute("rollback")
                return _row_to_case(existing)
            case_id = con.execute("select nextval('case_id_seq')").fetchone()[0]
            assignee = (assignee or "").strip() or None
            con.execute(
                """insert into cases values ($id, $seller_id, 'new', $assignee, $user, $now, $as_of,
                                             $user, $now, null, null, null, 1)""",
                {"id": case_id, "seller_id": seller_id, "assignee": assignee, "user": user.username,
                 "now": now, "as_of": as_of})
            changes = [("opened", None, f"seller {seller_id}")]
            if assignee:
                changes.append(("assignee", None, assignee))
            if note and note.strip():
                changes.append(("note", None, note.strip()))
            _write_history(con, case_id, 1, now, user.username, changes)
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        return _fetch(con, case_id)


class _Unset:
    def __repr__(self) -> str:
        return "unchanged"


UNCHANGED = _Unset()


def update_case(case_id: int, *, based_on: int, user: User, status: str | None = None,
                assignee: str | None | _Unset = UNCHANGED, note: str | None = None, reason: str | None = None,
                evidence: pd.DataFrame | None = None, db: Path | str | None = None,
                now: dt.datetime | None = None) -> Case:
    """Apply one analyst's edit, made on version ``based_on``, and return the new case.

    ``status`` moves the case (``TRANSITIONS``); ``assignee`` (a username, or None to unassign);
    ``note`` adds a note; ``reason`` is required when clearing. ``evidence`` (``SNAPSHOT_COLUMNS``)
    is the seller's evidence when the case closes, kept as the label's features.

    Raises ``StaleCase`` when the case changed since ``based_on``, ``NotAllowed`` when the user's
    role does not allow the change, ``CaseError`` for any other refused change. Nothing is written
    unless everything is accepted.
    """
    now = now or _utcnow()
    note = (note or "").strip() or None
    reason = (reason or "").strip() or None
    with _write_lock, store.analyst_store(db) as con:
        ensure_tables(con)
        con.execute("begin transaction")
        try:
            case = _fetch(con, case_id)
            if case.version != based_on:
                raise StaleCase(case, based_on, _history_since(con, case_id, based_on))
            changes, assignments = _plan(case, user, status, assignee, note, reason, now)
            if case.status in CLOSED_STATUSES and assignments.get("status") in OPEN_STATUSES:
                _refuse_second_open_case(con, case)
            if not changes:
                con.execute("rollback")
                return case
            version = case.version + 1
            assignments.update(updated_by=user.username, updated_at=now, version=version)
            sets = ", ".join(f"{column} = ${column}" for column in assignments)
            updated = con.execute(
                f"update cases set {sets} where case_id = $case_id and version = $based_on returning version",
                {**assignments, "case_id": case_id, "based_on": based_on}).fetchone()
            if updated is None:  # cannot happen under the lock; kept so a future change cannot lose work
                raise StaleCase(_fetch(con, case_id), based_on, _history_since(con, case_id, based_on))
            _write_history(con, case_id, version, now, user.username, changes)
            if status in CLOSED_STATUSES and evidence is not None and not evidence.empty:
                _write_snapshot(con, case_id, version, evidence)
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        return _fetch(con, case_id)


def _plan(case: Case, user: User, status, assignee, note, reason, now) -> tuple[list, dict]:
    """The history rows and column assignments for an edit, or a ``CaseError`` saying why not."""
    changes: list[tuple[str, str | None, str | None]] = []
    assignments: dict[str, object] = {}
    if status is not None and status != case.status:
        if status not in STATUSES:
            raise CaseError(f"unknown status {status!r}; one of {', '.join(STATUSES)}")
        if status not in TRANSITIONS[case.status]:
            allowed = ", ".join(TRANSITIONS[case.status])
            raise CaseError(f"{case.label} is {case.status}: it can move to {allowed}, not {status}")
        if status == ACTIONED and not user.is_lead:
            raise NotAllowed("only a lead can close a case as actioned; escalate it to a lead instead")
        if case.status in CLOSED_STATUSES and not user.is_lead:
            raise NotAllowed(f"{case.label} is closed; only a lead can reopen it")
        if status == CLEARED and not reason:
            raise CaseError("clearing a case needs a reason: say why this is a false alarm")
        changes.append(("status", case.status, status))
        assignments["status"] = status
        if status in CLOSED_STATUSES:
            assignments.update(closed_by=user.username, closed_at=now,
                               clear_reason=reason if status == CLEARED else None)
        else:
            assignments.update(closed_by=None, closed_at=None, clear_reason=None)
        if reason:
            changes.append(("reason", None, reason))
    elif reason:
        raise CaseError("a reason goes with clearing the case; add it as a note instead")
    if not isinstance(assignee, _Unset):
        assignee = (assignee or "").strip() or None
        if assignee != case.assignee:
            changes.append(("assignee", case.assignee, assignee))
            assignments["assignee"] = assignee
    if note:
        changes.append(("note", None, note))
    return changes, assignments


def _refuse_second_open_case(con, case: Case) -> None:
    other = con.execute("""select case_id from cases where seller_id = $seller_id and case_id <> $case_id
                           and status in ('new', 'investigating', 'escalated') limit 1""",
                        {"seller_id": case.seller_id, "case_id": case.case_id}).fetchone()
    if other:
        raise CaseError(f"seller {case.seller_id} already has an open case (#{other[0]}); work that one instead")


def _write_history(con, case_id: int, version: int, now: dt.datetime, username: str, changes) -> None:
    for field, old, new in changes:
        con.execute("insert into case_history values ($case_id, $version, $now, $user, $field, $old, $new)",
                    {"case_id": case_id, "version": version, "now": now, "user": username,
                     "field": field, "old": old, "new": new})


def _write_snapshot(con, case_id: int, version: int, evidence: pd.DataFrame) -> None:
    snapshot = evidence.reindex(columns=list(SNAPSHOT_COLUMNS)).assign(case_id=case_id, version=version)
    snapshot = snapshot[snapshot["signal"].notna()]
    con.register("snapshot_rows", snapshot)
    try:
        con.execute("""insert into case_evidence
                       select case_id, version, cast(as_of as date), signal, cast(changepoint_date as date),
                              "before", "after", effect, q_value
                       from snapshot_rows""")
    finally:
        con.unregister("snapshot_rows")
