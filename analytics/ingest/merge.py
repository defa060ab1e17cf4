"""Merging a validated staging table into its table, by key.

A later export updates the rows it carries and adds new ones; rows it does not carry are kept. A row
that is already loaded exactly as the export has it is left alone, so loading an export twice changes
nothing. access_log has no key: a row is its own key, so the same row is stored once.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from analytics import schema
from analytics.ingest.convert import quote

CHANGED = "_ingest_changed"


@dataclass(frozen=True)
class Merged:
    inserted: int
    updated: int
    duplicates: int = 0  # rows of a keyless table that repeat another row of the same file exactly


def is_empty(con: duckdb.DuckDBPyConnection, table: schema.Table) -> bool:
    return con.execute(f"SELECT count(*) = 0 FROM (SELECT 1 FROM {table.name} LIMIT 1)").fetchone()[0]


def merge(con: duckdb.DuckDBPyConnection, table: schema.Table, stage: str, *,
          absent: list[str], replaces_empty_table: bool) -> Merged:
    """Merge ``stage`` (same columns as ``table``, validated) into ``table`` and drop it.

    ``replaces_empty_table``: the table was empty when ``stage`` was made as a persistent table, so
    the stage simply becomes the table (no second copy of a large first load).
    ``absent``: optional columns the export left out; rows it updates keep their loaded values there.
    """
    if replaces_empty_table:
        (rows,) = con.execute(f"SELECT count(*) FROM {stage}").fetchone()
        con.execute(f"DROP TABLE {table.name}")
        con.execute(f"ALTER TABLE {stage} RENAME TO {table.name}")
        return Merged(inserted=rows, updated=0)
    try:
        if not table.key:
            # EXCEPT is a set operation: a row repeated in the file is stored once. Say how many.
            (rows, distinct) = con.execute(
                f"SELECT (SELECT count(*) FROM {stage}), (SELECT count(*) FROM (SELECT DISTINCT * FROM {stage}))"
            ).fetchone()
            (inserted,) = con.execute(
                f"INSERT INTO {table.name} SELECT * FROM {stage} EXCEPT SELECT * FROM {table.name}"
            ).fetchone()
            return Merged(inserted=inserted, updated=0, duplicates=rows - distinct)

        on = " AND ".join(f"s.{quote(k)} = t.{quote(k)}" for k in table.key)
        if absent:
            sets = ", ".join(f"{quote(c)} = t.{quote(c)}" for c in absent)
            con.execute(f"UPDATE {stage} AS s SET {sets} FROM {table.name} AS t WHERE {on}")
        # Only rows that are new or differ from what is loaded are touched.
        con.execute(f"CREATE OR REPLACE TEMP TABLE {CHANGED} AS "
                    f"SELECT * FROM {stage} EXCEPT SELECT * FROM {table.name}")
        (updated,) = con.execute(
            f"SELECT count(*) FROM {CHANGED} s SEMI JOIN {table.name} t ON {on}").fetchone()
        con.execute(f"DELETE FROM {table.name} AS t USING {CHANGED} AS s WHERE {on}")
        (changed,) = con.execute(f"INSERT INTO {table.name} SELECT * FROM {CHANGED}").fetchone()
        return Merged(inserted=changed - updated, updated=updated)
    finally:
        con.execute(f"DROP TABLE IF EXISTS {CHANGED}")
        con.execute(f"DROP TABLE IF EXISTS {stage}")
