"""The audit log: who viewed which seller, who ran which query, who exported what, who signed in.

Case changes are not repeated here: every one is in the case's own history (``analytics.cases``).

One row per event in the analysts' store (batch jobs never touch it). It records the analyst's
username (never a customer's anything) and what they touched: a seller id, the SQL text, the name
of the exported file. Leads read it on the Audit page.
"""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pandas as pd

from analytics import store

SIGN_IN = "sign_in"
SIGN_OUT = "sign_out"  # also ends every sign-in of that user kept across reloads (analytics.auth)
VIEW_SELLER = "view_seller"
RUN_QUERY = "run_query"
EXPORT = "export"
ACTIONS = (SIGN_IN, SIGN_OUT, VIEW_SELLER, RUN_QUERY, EXPORT)

MAX_DETAIL_CHARS = 4000  # a pasted query can be long; the log keeps enough to recognise it

DDL = """
CREATE TABLE IF NOT EXISTS audit_log (
    logged_at TIMESTAMP NOT NULL, -- UTC
    actor VARCHAR NOT NULL,      -- the signed-in username
    action VARCHAR NOT NULL,     -- sign_in, sign_out, view_seller, run_query, export
    target VARCHAR,              -- the seller id, the file exported
    detail VARCHAR               -- the SQL run, the week exported
)
"""

_lock = threading.Lock()


def ensure_table(con) -> None:
    con.execute(DDL)


def record(actor: str, action: str, target: str | None = None, detail: str | None = None, *,
           db: Path | str | None = None, now: dt.datetime | None = None) -> None:
    """Append one event. ``action`` is one of ``ACTIONS``."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}; one of {', '.join(ACTIONS)}")
    if not actor:
        raise ValueError("an audit event needs the user who did it")
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    if detail is not None and len(detail) > MAX_DETAIL_CHARS:
        detail = detail[:MAX_DETAIL_CHARS] + " [...]"
    with _lock, store.analyst_store(db) as con:
        ensure_table(con)
        con.execute("insert into audit_log values ($at, $actor, $action, $target, $detail)",
                    {"at": now, "actor": actor, "action": action, "target": target, "detail": detail})


def viewed_seller(actor: str, seller_id: str, *, db: Path | str | None = None) -> None:
    record(actor, VIEW_SELLER, seller_id, db=db)


def ran_query(actor: str, sql: str, *, rows: int | None = None, db: Path | str | None = None) -> None:
    record(actor, RUN_QUERY, None if rows is None else f"{rows} rows", sql, db=db)


def exported(actor: str, what: str, detail: str | None = None, *, db: Path | str | None = None) -> None:
    record(actor, EXPORT, what, detail, db=db)


def events(*, db: Path | str | None = None, actor: str | None = None, action: str | None = None,
           target: str | None = None, since: dt.datetime | None = None, limit: int = 1000) -> pd.DataFrame:
    """The newest events first, narrowed by any of actor, action, target (exact) and since."""
    with store.analyst_store(db) as con:
        ensure_table(con)
        return con.execute(
            """select logged_at as at, actor, action, target, detail from audit_log
               where ($actor is null or actor = $actor)
                 and ($action is null or action = $action)
                 and ($target is null or target = $target)
                 and ($since is null or logged_at >= $since)
               order by logged_at desc, rowid desc
               limit $limit""",
            {"actor": actor, "action": action, "target": target, "since": since, "limit": limit}).df()


def last_sign_out(actor: str, *, db: Path | str | None = None) -> dt.datetime | None:
    """When ``actor`` last signed out (naive UTC), or None."""
    with store.analyst_store(db) as con:
        ensure_table(con)
        return con.execute("select max(logged_at) from audit_log where actor = $actor and action = $action",
                           {"actor": actor, "action": SIGN_OUT}).fetchone()[0]


def actors(*, db: Path | str | None = None) -> list[str]:
    with store.analyst_store(db) as con:
        ensure_table(con)
        return [r[0] for r in con.execute("select distinct actor from audit_log order by actor").fetchall()]
