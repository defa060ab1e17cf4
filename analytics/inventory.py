"""What is loaded: tables, row counts, date spans, ingest history and scoring runs."""

from __future__ import annotations

import pandas as pd

from analytics import queries


def table_inventory(con) -> pd.DataFrame:
    """One row per input table: name, rows, first and last day it covers."""
    return con.execute(queries.load("table_inventory")).df()


def score_runs(con) -> pd.DataFrame:
    """Stored scoring runs, newest first."""
    return con.execute(queries.load("score_runs")).df()


def ingest_history(con) -> pd.DataFrame:
    """Loads of export folders, newest first."""
    return con.execute(queries.load("ingest_history")).df()


def latest_run(con):
    """The as-of date of the newest scoring run, or None before the first run."""
    row = con.execute("select max(as_of) from score_runs").fetchone()
    return row[0] if row else None
