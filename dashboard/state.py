"""Process-wide state shared by every page: the read-only database handle and URL helpers."""

from __future__ import annotations

import os

import streamlit as st

from analytics import store


@st.cache_resource(show_spinner=False)
def _reader(path: str) -> store.Reader:
    return store.Reader(path)


def reader() -> store.Reader:
    """The read-only view of the marketplace database (follows it when a batch job replaces it)."""
    return _reader(str(store.default_db_path()))


def db_version() -> str:
    """A cache key that changes whenever the database file is replaced by `ingest` or `score`."""
    return repr(reader().version)


def analyst_version() -> str:
    """A cache key that changes whenever anyone writes the analysts' store (a case opened, moved or
    cleared, in this process or another): the file and its write-ahead log's size and modification
    time. Reading leaves them as they are."""
    path = store.analyst_db_path(reader().path)
    stamps = []
    for file in (path, path.with_name(path.name + ".wal")):
        try:
            info = os.stat(file)
            stamps.append((info.st_mtime_ns, info.st_size))
        except FileNotFoundError:
            stamps.append(None)
    return repr(stamps)


def require_database() -> store.Reader:
    """Stop the page with an explanation when there is no database to read."""
    db = reader()
    if not db.exists:
        st.warning(
            f"No marketplace database at `{db.path}`.\n\n"
            "Load an export with `python -m analytics ingest DIR`, or build the demo with "
            "`python -m analytics demo` (or `make run`), then reload this page."
        )
        st.stop()
    return db
