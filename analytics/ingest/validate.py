"""The contract's rules as set-based SQL over a staged table.

Every check first counts offending rows for all rules of a kind in one pass; only when a count is not
zero does it fetch the first offending rows (by their position in the file) for the message.
Staging tables keep the file's order, so a staged row's ``rowid`` is its position in the file.
"""

from __future__ import annotations

import duckdb

from analytics.ingest import convert
from analytics.ingest.convert import quote
from analytics.ingest.errors import MAX_EXAMPLES, ExportRejected
from analytics.ingest.readers import ExportFile, line_ending_problem, short_error

RAW = "_ingest_raw"  # the all-text (CSV) or as-stored (Parquet) re-read that explains a failed typed read


def explain_read_failure(con: duckdb.DuckDBPyConnection, f: ExportFile, error: duckdb.Error) -> None:
    """The typed read of ``f`` failed: find the offending values and refuse the file. Always raises.

    The file is read again without conversions and every column's conversion is tested as a
    predicate; the first column (in the contract's order) with bad values is reported. A file that
    cannot even be read that way is reported as unreadable, with DuckDB's reason.
    """
    source, params = f.reader_sql(raw=True)
    columns = ", ".join(quote(c) for c in f.columns)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {RAW} AS SELECT {columns} FROM {source}", params)
    except duckdb.Error as again:
        reason = f"unreadable: {short_error(again)}"
        # DuckDB names no line for a file whose lines end both ways; it only reports an invalid state.
        if f.format == "csv" and "invalid state" in str(again) and (layout := line_ending_problem(f.path)):
            reason = f"unreadable: {layout}"
        raise ExportRejected(f.path, reason) from None
    try:
        rules = []
        for name in f.columns:
            conv = convert.conversion(f.source_type(name, raw=True), f.table.column(name).sql_type)
            if conv.can_fail:
                rules.append(([name], conv.problem, conv.invalid(quote(name))))
        _refuse_first(con, f, RAW, rules)
    finally:
        con.execute(f"DROP TABLE IF EXISTS {RAW}")
    raise ExportRejected(f.path, f"unreadable: {short_error(error)}")


def check_values(con: duckdb.DuckDBPyConnection, f: ExportFile, stage: str) -> int:
    """Required values present, each value within its column's rule, row rules; returns the row count."""
    rules: list[tuple[list[str], str, str]] = []
    for column in f.table.columns:
        q = quote(column.name)
        if column.required:
            # Blank text counts as empty. Only a value that sorts before '!' can be blank, and that
            # cheap test (often settled by column statistics alone) spares trimming every value.
            blank = f"{q} IS NULL" + (f" OR ({q} < '!' AND trim({q}) = '')"
                                      if column.sql_type == "VARCHAR" else "")
            rules.append(([column.name], "empty, but required", blank))
        if column.check and column.name in f.header:
            rules.append(([column.name], column.check_doc, f"{q} IS NOT NULL AND NOT ({column.check})"))
    for columns, condition, doc in f.table.row_checks:
        rules.append((list(columns), doc, f"NOT ({condition})"))
    return _refuse_first(con, f, stage, rules)


def check_keys(con: duckdb.DuckDBPyConnection, f: ExportFile, stage: str) -> None:
    """No key appears twice in the file.

    A file whose keys are strictly increasing in file order (in the key's column order, or the
    reverse: exports are usually written sorted) has none; that takes one streaming pass. Any other
    file is grouped by key.
    """
    key = list(f.table.key)
    if not key:
        return
    q = [quote(k) for k in key]
    prev = [quote(f"_prev_{k}") for k in key]
    orders = [list(range(len(key)))] + ([list(reversed(range(len(key))))] if len(key) > 1 else [])
    lags = ", ".join(f"lag({c}) OVER () AS {p}" for c, p in zip(q, prev))
    proofs = ", ".join(f"coalesce(count_if({prev[0]} IS NOT NULL AND NOT ({_after(q, prev, o)})), 0)"
                       for o in orders)
    out_of_order = con.execute(f"SELECT {proofs} FROM (SELECT {', '.join(q)}, {lags} FROM {stage})").fetchone()
    if min(out_of_order) == 0:
        return
    keys = ", ".join(q)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _ingest_dup_keys AS "
                f"SELECT {keys}, count(*) AS n FROM {stage} GROUP BY ALL HAVING count(*) > 1")
    try:
        (rows,) = con.execute("SELECT coalesce(sum(n), 0) FROM _ingest_dup_keys").fetchone()
        if rows:
            examples = con.execute(
                f"SELECT s.rowid, {', '.join('s.' + c for c in q)} FROM {stage} s "
                f"SEMI JOIN _ingest_dup_keys d USING ({keys}) ORDER BY s.rowid LIMIT {MAX_EXAMPLES}"
            ).fetchall()
            raise ExportRejected(f.path, "the same key appears more than once", columns=key, count=rows,
                                 examples=_positions(f, examples), unit=f.unit)
    finally:
        con.execute("DROP TABLE IF EXISTS _ingest_dup_keys")


def _after(cols: list[str], prev: list[str], order: list[int]) -> str:
    """SQL: this row's key comes strictly after the previous row's, comparing columns in ``order``."""
    i, *rest = order
    if not rest:
        return f"{cols[i]} > {prev[i]}"
    return f"({cols[i]} > {prev[i]} OR ({cols[i]} = {prev[i]} AND {_after(cols, prev, rest)}))"


def check_references(con: duckdb.DuckDBPyConnection, f: ExportFile, stage: str,
                     staged: dict[str, str]) -> None:
    """Every id that refers to another table exists there: in this export or already loaded.

    ``staged`` maps a table name to its staging table, for the parents this export carries.
    """
    for column, parent, parent_column in f.table.references:
        if column not in f.header:
            continue  # an optional reference the file leaves out
        c, pc = quote(column), quote(parent_column)
        known = f"SELECT {pc} AS id FROM {parent}"
        if parent in staged:
            known += f" UNION ALL SELECT {pc} FROM {staged[parent]}"
        # Distinct ids first: a product_daily of millions of rows names only thousands of products.
        con.execute(f"CREATE OR REPLACE TEMP TABLE _ingest_unknown AS "
                    f"SELECT s.id FROM (SELECT DISTINCT {c} AS id FROM {stage} WHERE {c} IS NOT NULL) s "
                    f"ANTI JOIN ({known}) k ON s.id = k.id")
        try:
            (unknown,) = con.execute("SELECT count(*) FROM _ingest_unknown").fetchone()
            if unknown:
                bad = f"{c} IN (SELECT id FROM _ingest_unknown)"
                (rows,) = con.execute(f"SELECT count(*) FROM {stage} WHERE {bad}").fetchone()
                examples = con.execute(f"SELECT rowid, {c} FROM {stage} WHERE {bad} "
                                       f"ORDER BY rowid LIMIT {MAX_EXAMPLES}").fetchall()
                raise ExportRejected(
                    f.path, f"not found in {parent}.{parent_column} (neither in this export nor "
                    f"already loaded)", columns=[column], count=rows,
                    examples=_positions(f, examples), unit=f.unit)
        finally:
            con.execute("DROP TABLE IF EXISTS _ingest_unknown")


def _refuse_first(con: duckdb.DuckDBPyConnection, f: ExportFile, table: str,
                  rules: list[tuple[list[str], str, str]]) -> int:
    """Count every rule's offending rows in one pass; refuse the file on the first rule broken.

    ``rules``: (columns, problem in words, SQL that is true for an offending row). Returns the row count.
    """
    counts = ", ".join(f"count_if({bad})" for _, _, bad in rules)
    total, *broken = con.execute(f"SELECT count(*){', ' if counts else ''}{counts} FROM {table}").fetchone()
    for (columns, problem, bad), count in zip(rules, broken):
        if count:
            examples = con.execute(
                f"SELECT rowid, {', '.join(quote(c) for c in columns)} FROM {table} "
                f"WHERE {bad} ORDER BY rowid LIMIT {MAX_EXAMPLES}").fetchall()
            raise ExportRejected(f.path, problem, columns=columns, count=count,
                                 examples=_positions(f, examples), unit=f.unit)
    return total


def _positions(f: ExportFile, rows: list[tuple]) -> list[tuple[int, tuple]]:
    return [(f.position(rowid), tuple(values)) for rowid, *values in rows]
