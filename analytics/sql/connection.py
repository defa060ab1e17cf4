"""Where queries run: a locked-down read-only connection, and a time limit that really stops them.

The connection settings are ``analytics.store.READER_CONFIG``, shared with the dashboard's ``Reader``:
DuckDB refuses a second connection to an open file with a different configuration in one process.

The time limit is a timer that calls ``interrupt()`` on the query's own cursor. ``max_execution_time``
exists in DuckDB 2.0 but is global to the database instance (it would cap the dashboard's queries too)
and cannot be changed per query once ``lock_configuration`` is on; an interrupt stops only this query
and leaves the connection usable.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb

from analytics import store
from analytics.sql.errors import NO_DATABASE, QueryRejected


@contextlib.contextmanager
def read_only(db: Path | str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the marketplace database (``db`` None: ``$ANOMALY_DB`` or the demo)."""
    try:
        con = store.connect_read_only(db)
    except store.StoreError as exc:
        raise QueryRejected(str(exc), kind=NO_DATABASE) from None
    try:
        yield con
    finally:
        con.close()


class TimeLimit:
    """Interrupts ``cursor`` after ``seconds``; ``fired`` tells afterwards whether it had to."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection, seconds: float):
        self.seconds = seconds
        self._cursor = cursor
        self._fired = threading.Event()
        self._timer = threading.Timer(seconds, self._interrupt)
        self._timer.daemon = True

    @property
    def fired(self) -> bool:
        return self._fired.is_set()

    def _interrupt(self) -> None:
        self._fired.set()
        with contextlib.suppress(duckdb.Error):
            self._cursor.interrupt()

    def __enter__(self) -> TimeLimit:
        self._timer.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._timer.cancel()
