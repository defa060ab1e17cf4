"""Saved queries: named SQL with its author, kept in the analysts' own store (never the marketplace).

A saved query is reopened by a link, ``/sql?q=<query_id>``. Only SQL the explorer would run is saved.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from analytics import store
from analytics.sql import statement_check

MAX_NAME_CHARS = 120

_DDL = """
CREATE TABLE IF NOT EXISTS saved_queries (
    query_id VARCHAR PRIMARY KEY,   -- short id used in links: /sql?q=<query_id>
    name VARCHAR NOT NULL,
    sql VARCHAR NOT NULL,
    author VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL   -- UTC
)
"""
_COLUMNS = "query_id, name, sql, author, created_at"


@dataclass(frozen=True)
class SavedQuery:
    query_id: str
    name: str
    sql: str
    author: str
    created_at: datetime


def save(name: str, sql: str, author: str, *, db: Path | str | None = None) -> SavedQuery:
    """Store a query; raises ``ValueError`` (``QueryRejected`` for SQL) when it cannot be saved."""
    name, author, sql = (name or "").strip(), (author or "").strip(), (sql or "").strip()
    if not name:
        raise ValueError("Give the query a name before saving it.")
    if len(name) > MAX_NAME_CHARS:
        raise ValueError(f"Keep the name under {MAX_NAME_CHARS} characters.")
    if not author:
        raise ValueError("Say who you are (author) before saving.")
    statement_check.check(sql)
    created_at = datetime.now(UTC).replace(tzinfo=None)
    with store.analyst_store(db) as con:
        con.execute(_DDL)
        query_id = _new_id(con)
        con.execute(
            f"insert into saved_queries ({_COLUMNS}) values ($id, $name, $sql, $author, $created_at)",
            {"id": query_id, "name": name, "sql": sql, "author": author, "created_at": created_at},
        )
    return SavedQuery(query_id, name, sql, author, created_at)


def get(query_id: str, *, db: Path | str | None = None) -> SavedQuery | None:
    """The saved query with that id, or None."""
    with store.analyst_store(db) as con:
        con.execute(_DDL)
        row = con.execute(
            f"select {_COLUMNS} from saved_queries where query_id = $id", {"id": str(query_id)}
        ).fetchone()
    return SavedQuery(*row) if row else None


def list_saved(*, db: Path | str | None = None) -> list[SavedQuery]:
    """Every saved query, newest first."""
    with store.analyst_store(db) as con:
        con.execute(_DDL)
        rows = con.execute(
            f"select {_COLUMNS} from saved_queries order by created_at desc, name"
        ).fetchall()
    return [SavedQuery(*row) for row in rows]


def delete(query_id: str, *, db: Path | str | None = None) -> bool:
    """Remove a saved query; False when there was none with that id."""
    with store.analyst_store(db) as con:
        con.execute(_DDL)
        gone = con.execute(
            "delete from saved_queries where query_id = $id returning query_id", {"id": str(query_id)}
        ).fetchall()
    return bool(gone)


def _new_id(con) -> str:
    while True:
        query_id = secrets.token_hex(4)
        taken = con.execute("select 1 from saved_queries where query_id = $id", {"id": query_id}).fetchone()
        if not taken:
            return query_id
