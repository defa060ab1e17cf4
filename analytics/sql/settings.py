"""The explorer's limits: named settings with a default and one line of help each, kept here.

The per-query limits are arguments of ``run_query``; the connection-wide ones come from
``analytics.store.READER_CONFIG`` (shared with the dashboard, see there why) and are only described.
"""

from __future__ import annotations

from dataclasses import dataclass

from analytics import store


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    help: str


MAX_RETURNED_ROWS = Setting(
    "max_returned_rows", 10_000,
    "Rows a query returns at most; one more is fetched to tell the analyst the result was cut.",
)
SQL_TIME_LIMIT_S = Setting(
    "sql_time_limit_s", 30,
    "Seconds a query may run before it is interrupted (a timer calls DuckDB's interrupt()).",
)
MEMORY_LIMIT = Setting(
    "memory_limit", store.READER_CONFIG["memory_limit"],
    "Memory DuckDB may use for all read-only queries in the process together; beyond it a query fails.",
)
THREADS = Setting(
    "threads", store.READER_CONFIG["threads"],
    "CPU threads DuckDB uses for read-only queries in the process.",
)
HISTORY_LENGTH = Setting(
    "history_length", 50,
    "Queries kept in one browser session's history on the SQL page (newest first).",
)

SETTINGS: tuple[Setting, ...] = (MAX_RETURNED_ROWS, SQL_TIME_LIMIT_S, MEMORY_LIMIT, THREADS, HISTORY_LENGTH)
