"""Run one checked, read-only statement under a time limit and a row cap (CONTRACT section 4)."""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import duckdb
import pandas as pd

from analytics import store
from analytics.sql import settings, statement_check
from analytics.sql.connection import TimeLimit, read_only
from analytics.sql.errors import FAILED, NO_DATABASE, REFUSED, TIMED_OUT, TOO_BIG, QueryRejected

_VECTOR = 2048  # rows per DuckDB vector; results are fetched a few vectors at a time


class CursorSource(Protocol):
    """Anything that hands out a short-lived cursor: a DuckDB connection, or ``store.Reader``."""

    def cursor(self): ...


@dataclass(frozen=True)
class QueryResult:
    sql: str
    frame: pd.DataFrame      # at most max_rows rows
    truncated: bool          # the query had more rows than max_rows
    max_rows: int
    elapsed_s: float         # from the start of execution to the last row fetched
    first_word: str          # SELECT, DESCRIBE, EXPLAIN, ...


def run_query(
    sql: str,
    *,
    db: Path | str | None = None,
    max_rows: int = settings.MAX_RETURNED_ROWS.default,
    timeout_s: float = settings.SQL_TIME_LIMIT_S.default,
) -> pd.DataFrame:
    """Run one read-only statement on the marketplace database and return its rows.

    ``db`` None means ``analytics.store.default_db_path()``. Anything refused or failed raises
    ``QueryRejected`` with the reason. The frame carries ``attrs["truncated"]`` (more than
    ``max_rows`` rows existed), ``attrs["max_rows"]`` and ``attrs["elapsed_s"]``.
    """
    checked = statement_check.check(sql)  # refuse before touching the database
    with read_only(db) as con:
        result = _execute(sql, checked, con, max_rows=max_rows, timeout_s=timeout_s)
    frame = result.frame
    frame.attrs.update(truncated=result.truncated, max_rows=result.max_rows, elapsed_s=result.elapsed_s)
    return frame


def execute(
    sql: str,
    source: CursorSource,
    *,
    max_rows: int = settings.MAX_RETURNED_ROWS.default,
    timeout_s: float = settings.SQL_TIME_LIMIT_S.default,
) -> QueryResult:
    """``run_query`` on a connection the caller holds (the dashboard's ``Reader``), with details."""
    return _execute(sql, statement_check.check(sql), source, max_rows=max_rows, timeout_s=timeout_s)


def _execute(sql, checked, source: CursorSource, *, max_rows: int, timeout_s: float) -> QueryResult:
    if max_rows < 1:
        raise ValueError(f"max_rows must be at least 1, not {max_rows}")
    if not timeout_s > 0:
        raise ValueError(f"timeout_s must be positive, not {timeout_s}")
    started = time.perf_counter()
    with _cursor(source) as cur:
        with TimeLimit(cur, timeout_s) as limit:
            try:
                cur.execute(checked.statement)
                frame = _fetch(cur, max_rows + 1)
            except duckdb.Error as exc:
                raise _explain(exc, timed_out=limit.fired, timeout_s=timeout_s) from None
    elapsed = time.perf_counter() - started
    truncated = len(frame) > max_rows
    if truncated:
        frame = frame.iloc[:max_rows].reset_index(drop=True)
    return QueryResult(sql=sql, frame=frame, truncated=truncated, max_rows=max_rows,
                       elapsed_s=elapsed, first_word=checked.first_word)


@contextlib.contextmanager
def _cursor(source: CursorSource):
    try:
        cursor = source.cursor()
        cur = cursor.__enter__()
    except store.StoreError as exc:  # the database vanished under the dashboard's Reader
        raise QueryRejected(str(exc), kind=NO_DATABASE) from None
    try:
        yield cur
    finally:
        cursor.__exit__(None, None, None)


def _fetch(cur, want: int) -> pd.DataFrame:
    """Up to ``want`` rows, streamed: a huge result is never materialised in full."""
    vectors = max(1, math.ceil(want / _VECTOR))
    chunks = [cur.fetch_df_chunk(vectors)]
    got = len(chunks[0])
    while got < want:
        chunk = cur.fetch_df_chunk(vectors)
        if chunk.empty:
            break
        chunks.append(chunk)
        got += len(chunk)
    frame = chunks[0] if len(chunks) == 1 else pd.concat(chunks, ignore_index=True)
    return frame.iloc[:want].reset_index(drop=True)


def _explain(exc: duckdb.Error, *, timed_out: bool, timeout_s: float) -> QueryRejected:
    """Turn DuckDB's exception into a reason an analyst can act on (DuckDB's own words as detail)."""
    detail = str(exc)
    if isinstance(exc, duckdb.InterruptException):
        if timed_out:
            return QueryRejected(
                f"Stopped: the query ran longer than the {timeout_s:g}-second limit. Filter it (a seller, "
                "a date range), aggregate it, or run it from the duckdb command line (see the README).",
                kind=TIMED_OUT,
            )
        return QueryRejected("Stopped: the query was interrupted.", kind=TIMED_OUT)
    if isinstance(exc, duckdb.PermissionException):
        return QueryRejected(
            "Refused: the query reaches outside the marketplace database (files, network or "
            "extensions), which the explorer does not allow.",
            kind=REFUSED, detail=detail,
        )
    if isinstance(exc, duckdb.OutOfMemoryException):
        return QueryRejected(
            f"Stopped: the query needed more memory than the {settings.MEMORY_LIMIT.default} limit. "
            "Filter or aggregate it.",
            kind=TOO_BIG, detail=detail,
        )
    if "configuration has been locked" in detail:
        return QueryRejected("Refused: settings cannot be changed here.", kind=REFUSED, detail=detail)
    missing = "does not exist" in detail or "not found" in detail
    if isinstance(exc, (duckdb.CatalogException, duckdb.BinderException)) and missing:
        return QueryRejected(
            "DuckDB could not find a table, column or function this query names. SHOW TABLES lists the "
            "tables; the Schema tab describes each one.",
            kind=FAILED, detail=detail,
        )
    return QueryRejected("DuckDB could not run this query.", kind=FAILED, detail=detail)
