"""Connections to the two DuckDB stores, and the all-or-nothing write pattern.

DuckDB lets one process write a database file and no other process read it meanwhile. So batch jobs
never write the live file: ``rebuild()`` copies it to a temporary file beside it, lets the job change
the copy, checkpoints and closes it, and ``os.replace``s it over the live file. A reader (the
dashboard) keeps answering from its old snapshot and switches when the file's identity changes
(``Reader``). A job that fails leaves the live file exactly as it was. Writers take a lock file so
that two batch jobs never race.

The analysts' store (cases, notes, saved queries, audit log) is a separate file that batch jobs never
open; it is written in place, in short transactions.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

from analytics import schema

REPO_ROOT = Path(__file__).resolve().parents[1]
DEMO_DIR = REPO_ROOT / "sample_data"
DEMO_DB = DEMO_DIR / "demo.duckdb"

# Every read-only connection in a process must use the same configuration: DuckDB refuses a second
# connection to an open file with a different one. The SQL explorer relies on these being locked
# down (no files, no network, no extensions), so the dashboard uses them too; it needs none of it.
# `lock_configuration` makes every later SET fail on every connection to that file in the process
# (settings are per database instance, which those connections share): nothing may undo the above.
# Query time limits are therefore per call (`interrupt()` from a timer in analytics.sql), not SET.
READER_CONFIG: dict[str, object] = {
    "enable_external_access": False,
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "allow_community_extensions": False,
    "allow_persistent_secrets": False,
    "memory_limit": "4GB",
    "threads": 2,
    "lock_configuration": True,
}


class StoreError(RuntimeError):
    """The database is missing, locked by another job, or not one of ours."""


def default_db_path() -> Path:
    """The marketplace database: ``$ANOMALY_DB``, else the embedded demo database."""
    env = os.environ.get("ANOMALY_DB")
    return Path(env).expanduser().resolve() if env else DEMO_DB


def analyst_db_path(db_path: Path | str | None = None) -> Path:
    """The analysts' store: ``$ANOMALY_ANALYST_DB``, else ``<db>.analyst.duckdb`` beside it."""
    env = os.environ.get("ANOMALY_ANALYST_DB")
    if env:
        return Path(env).expanduser().resolve()
    db = Path(db_path) if db_path else default_db_path()
    if db.name.endswith(".analyst.duckdb"):  # already the analysts' store: callers may pass either
        return db
    return db.with_name(db.stem + ".analyst.duckdb")


def resolve(db: Path | str | None) -> Path:
    return Path(db).expanduser().resolve() if db else default_db_path()


# --- writing the marketplace database ---------------------------------------------------------------

@contextlib.contextmanager
def writer_lock(db_path: Path) -> Iterator[None]:
    """One batch job at a time per database; a second one fails at once with a clear reason.

    The lock file (``<db>.lock``) exists only while a job holds it, and folders made for the
    database are removed again when the job leaves nothing in them (a refused first ingest), so a
    job leaves no trace but its result.
    """
    made = _make_parents(db_path.parent)
    lock_path = db_path.with_name(db_path.name + ".lock")
    fd = _acquire(lock_path, db_path)
    try:
        yield
    finally:
        # Removed while still held: a job that opened the old file meanwhile sees it is gone (below).
        with contextlib.suppress(FileNotFoundError):
            lock_path.unlink()
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
        for folder in made:
            with contextlib.suppress(OSError):
                folder.rmdir()  # only when empty


def _make_parents(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents; the ones made, deepest first."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):
            path.mkdir()
    return missing


def _acquire(lock_path: Path, db_path: Path) -> int:
    while True:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StoreError(
                f"{db_path}: another ingest or score job is writing this database; try again when it ends"
            ) from None
        # The job before us may have removed the file between our open and our lock: then we hold a
        # lock on a file nobody else can see, so start again on the one now at the path.
        try:
            current = os.stat(lock_path)
        except FileNotFoundError:
            current = None
        mine = os.fstat(fd)
        if current is not None and (current.st_dev, current.st_ino) == (mine.st_dev, mine.st_ino):
            return fd
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _remove_quietly(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


@contextlib.contextmanager
def rebuild(db: Path | str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """Change the marketplace database all-or-nothing.

    Yields a read-write connection to a private copy. If the block returns, the copy replaces the
    live database in one atomic rename; if it raises, the copy is thrown away and the live database
    is untouched. Readers in other processes keep answering throughout.
    """
    db_path = resolve(db)
    with writer_lock(db_path):
        tmp = db_path.with_name(f".{db_path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        _remove_quietly(tmp)
        if db_path.exists():
            shutil.copyfile(db_path, tmp)
        con = duckdb.connect(str(tmp))
        try:
            schema.create_marketplace_schema(con)
            yield con
            con.execute("CHECKPOINT")
            con.close()
            os.replace(tmp, db_path)
        except BaseException:
            con.close()
            _remove_quietly(tmp)
            raise


# --- reading the marketplace database ---------------------------------------------------------------

def connect_read_only(db: Path | str | None = None) -> duckdb.DuckDBPyConnection:
    """A locked-down read-only connection (for scripts; the dashboard uses ``Reader``)."""
    db_path = resolve(db)
    if not db_path.exists():
        raise StoreError(f"{db_path}: no such database; run `python -m analytics demo` or `ingest DIR`")
    return duckdb.connect(str(db_path), read_only=True, config=dict(READER_CONFIG))


def _identity(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


class Reader:
    """A read-only view of the marketplace database that follows it when a batch job replaces it.

    ``cursor()`` hands out a short-lived cursor (one per thread and query, as Streamlit serves each
    session in its own thread). Before each one it checks the file's (inode, mtime, size); when that
    changed, it closes its old connection first (DuckDB would otherwise hand back the old snapshot)
    and opens the new file.
    """

    def __init__(self, db: Path | str | None = None):
        self.path = resolve(db)
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._identity: tuple[int, int, int] | None = None

    @property
    def exists(self) -> bool:
        return self.path.exists()

    @property
    def version(self) -> tuple[int, int, int] | None:
        """Changes whenever the database file is replaced: a cache key for derived data."""
        return _identity(self.path)

    def _connection(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            current = _identity(self.path)
            if current is None:
                self.close_unlocked()
                raise StoreError(
                    f"{self.path}: no such database; run `python -m analytics demo` or `ingest DIR`"
                )
            if self._con is None or current != self._identity:
                self.close_unlocked()
                self._con = duckdb.connect(str(self.path), read_only=True, config=dict(READER_CONFIG))
                self._identity = current
            return self._con

    @contextlib.contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        cur = self._connection().cursor()
        try:
            yield cur
        finally:
            cur.close()

    def close_unlocked(self) -> None:
        if self._con is not None:
            with contextlib.suppress(Exception):
                self._con.close()
        self._con = None
        self._identity = None

    def close(self) -> None:
        with self._lock:
            self.close_unlocked()


# --- the analysts' store ----------------------------------------------------------------------------

ANALYST_STORE_WAIT_S = 10.0  # how long to wait for another process's unit of work on the file


@contextlib.contextmanager
def analyst_store(db: Path | str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection to the analysts' own store, opened for one short unit of work.

    Later issues own its tables (cases, notes, saved queries, audit log); each creates its tables
    with ``CREATE TABLE IF NOT EXISTS`` on first use. Opening per unit of work keeps the file free
    for the other dashboard sessions and processes between writes.
    """
    path = analyst_db_path(db)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Another process (the `report` command, a second dashboard) may hold the file for its own short
    # unit of work; DuckDB refuses at once rather than waiting, so wait here, briefly.
    deadline = time.monotonic() + ANALYST_STORE_WAIT_S
    while True:
        try:
            con = duckdb.connect(str(path))
            break
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            if time.monotonic() > deadline:
                raise StoreError(f"{path}: the analysts' store is busy in another process; try again") from exc
            time.sleep(0.05)
    try:
        yield con
    finally:
        con.close()
