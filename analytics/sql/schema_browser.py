"""What an analyst can query: every table and view, its columns, types and rows, in words.

The words come from ``analytics.schema``, the one module that owns the tables: the contract's input
tables carry a description per column, the scoring outputs carry theirs as comments in their DDL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import pandas as pd

from analytics import schema

# The scoring outputs' own descriptions (their columns are described in schema.OUTPUT_DDL comments).
_OUTPUT_TABLE_DOCS = {
    "score_runs": "One row per scoring run (as_of): when it ran, how many sellers it scored and flagged, "
                  "and the settings it used.",
    "seller_scores": "One row per scoring run and seller: the score (higher = more suspicious), whether "
                     "it is flagged, and the reasons in words (CONTRACT section 3).",
    "evidence": "One row per finding of a scoring run: the signal, its change point, the measure before "
                "and after, p-value and false-discovery-adjusted q-value (CONTRACT section 3).",
    "category_rank_model": "One row per scoring run and category: how price and ad spend move the sales "
                           "rank there, so that honest rank moves are discounted.",
    "ingest_log": "One row per table of each loaded export: rows in the file, inserted, updated, seconds.",
}
# Words for output columns whose DDL carries no comment.
_COMMON_COLUMN_DOCS = {
    "as_of": "the scoring run: it saw the data up to the end of this day",
    "seller_id": "the seller",
    "signal": "the signal that found it (names as in seller_scores.signals)",
    "changepoint_date": "the first day of the new level",
    "p_value": "chance of a change this large in an honest seller's data",
    "category": "the product category",
}

_CATALOGUE = """
select t.table_name as name, 'table' as kind, c.column_name, c.data_type, c.column_index
from duckdb_tables() as t
join duckdb_columns() as c using (database_name, schema_name, table_name)
where t.database_name = current_database() and t.schema_name = 'main' and not t.temporary
union all
select v.view_name, 'view', c.column_name, c.data_type, c.column_index
from duckdb_views() as v
join duckdb_columns() as c on c.database_name = v.database_name and c.schema_name = v.schema_name
    and c.table_name = v.view_name
where v.database_name = current_database() and v.schema_name = 'main' and not v.internal
order by name, column_index
"""


@dataclass(frozen=True)
class Relation:
    name: str
    kind: str                # "table" or "view"
    rows: int | None         # None for views (counting would run them)
    description: str
    columns: pd.DataFrame    # column, type, description


def browse(con) -> list[Relation]:
    """Every table and view in the marketplace database, described; input tables first."""
    catalogue = con.execute(_CATALOGUE).df()
    relations = []
    for (name, kind), cols in catalogue.groupby(["name", "kind"], sort=False):
        docs = column_docs(name)
        columns = pd.DataFrame({
            "column": cols["column_name"].to_list(),
            "type": cols["data_type"].to_list(),
            "description": [docs.get(c, "") for c in cols["column_name"]],
        })
        rows = None
        if kind == "table":
            rows = con.execute("select count(*) from query_table($name)", {"name": name}).fetchone()[0]
        relations.append(Relation(name, kind, rows, table_doc(name), columns))
    order = {t.name: i for i, t in enumerate(schema.INPUT_TABLES)}
    return sorted(relations, key=lambda r: (order.get(r.name, len(order)), r.kind, r.name))


def table_doc(name: str) -> str:
    """The table in words: what a row is, its key and where its ids point."""
    table = schema.INPUT_BY_NAME.get(name)
    if table is None:
        return _OUTPUT_TABLE_DOCS.get(name, "")
    words = [table.doc]
    words.append(f"Key: {', '.join(table.key)}." if table.key else "No key: a row is identified by all its columns.")
    for column, other, other_column in table.references:
        words.append(f"{column} refers to {other}.{other_column}.")
    if table.optional and "optional" not in table.doc:
        words.append("Optional in an export: may be empty.")
    return " ".join(words)


def column_docs(name: str) -> dict[str, str]:
    """Column name -> description, for the contract's tables and the scoring outputs."""
    table = schema.INPUT_BY_NAME.get(name)
    if table is not None:
        return {c.name: c.doc for c in table.columns}
    documented = _output_column_docs().get(name, {})
    return {**_COMMON_COLUMN_DOCS, **documented} if name in _output_column_docs() else {}


_DDL_TABLE = re.compile(r"CREATE TABLE IF NOT EXISTS (\w+)", re.IGNORECASE)
_DDL_COLUMN = re.compile(r'^\s*"?(\w+)"?\s+[A-Z][A-Z0-9_\[\]]*.*?--\s*(.+?)\s*$')


@cache
def _output_column_docs() -> dict[str, dict[str, str]]:
    docs: dict[str, dict[str, str]] = {}
    for ddl in schema.OUTPUT_DDL:
        table = _DDL_TABLE.search(ddl)
        if table:
            docs[table.group(1)] = {
                m.group(1): m.group(2) for m in map(_DDL_COLUMN.match, ddl.splitlines()) if m
            }
    return docs
