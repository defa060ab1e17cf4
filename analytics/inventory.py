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


# --- as the Data page shows them: plain names, no empty cells spelt "None" ----------------------------

TABLE_NAMES = {"sellers": "Sellers", "products": "Products", "product_daily": "Product days (rank, price, sales)",
               "reviews": "Reviews", "account_events": "Account events", "access_log": "Staff access log"}


def friendly_tables(tables: pd.DataFrame) -> pd.DataFrame:
    """``table_inventory`` with plain table names and dates as dates (no "00:00:00")."""
    return pd.DataFrame({
        "table": [TABLE_NAMES.get(t, t) for t in tables["table_name"]],
        "rows": tables["row_count"].fillna(0).astype("int64"),
        "first_day": pd.to_datetime(tables["first_day"]).dt.date,
        "last_day": pd.to_datetime(tables["last_day"]).dt.date,
    })


def friendly_ingests(ingests: pd.DataFrame) -> pd.DataFrame:
    out = ingests.copy()
    for column in ("rows_in_files", "rows_inserted", "rows_updated"):
        out[column] = out[column].fillna(0).astype("int64")
    out["source"] = out["source"].fillna("")
    return out


def friendly_runs(runs: pd.DataFrame) -> pd.DataFrame:
    out = runs.drop(columns=["finished_at"], errors="ignore").copy()
    out["as_of"] = pd.to_datetime(out["as_of"]).dt.date
    out["engine_version"] = out["engine_version"].fillna("")
    return out
