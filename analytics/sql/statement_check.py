"""Is this SQL exactly one read-only statement? Decided with DuckDB's own parser, not regexes.

Three looks, each able to refuse on its own:

1. ``duckdb.extract_statements`` splits the text (comments and string literals handled by DuckDB) and
   types each statement: exactly one, of type SELECT or EXPLAIN (or MULTI for a dynamic PIVOT).
2. The first word, read with DuckDB's tokenizer (comments skipped), must start a query: SELECT, WITH,
   FROM, VALUES, TABLE, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN, PIVOT, UNPIVOT or a parenthesis.
   An EXPLAIN is judged by the statement it explains.
3. The syntax tree (``json_serialize_sql``) is walked: a SELECT can hide a write in its WITH clause
   (``WITH t AS (DELETE ... RETURNING *)`` or ``(COPY ... TO 'file')`` are typed SELECT and run), and
   table functions can read files (``read_csv``, ``glob``), run SQL held in a string (``query``) or
   change state (``checkpoint``, ``enable_logging``). Only generator table functions and the
   catalogue functions named in ``CATALOGUE_FUNCTIONS`` pass (by name: ``duckdb_secrets()`` is no
   catalogue function). Where DuckDB cannot serialise the tree (dynamic PIVOT), the tokens are scanned instead.

The connection (``analytics.store.READER_CONFIG``: read-only, no external access, locked settings) is
the layer underneath that holds even if this check misses something; this one gives the reason.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import duckdb

from analytics.sql.errors import FAILED, QueryRejected

ALLOWED = "SELECT, WITH, FROM, VALUES, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN, PIVOT or UNPIVOT"
QUERY_FIRST_WORDS = frozenset({
    "SELECT", "WITH", "FROM", "VALUES", "TABLE", "DESCRIBE", "DESC", "SHOW", "SUMMARIZE",
    "EXPLAIN", "PIVOT", "PIVOT_WIDER", "UNPIVOT", "PIVOT_LONGER", "(",
})

# Why each non-query statement type is refused, in the analyst's words.
_TYPE_REASONS = {
    "INSERT": "writes data",
    "UPDATE": "writes data",
    "DELETE": "writes data",
    "MERGE_INTO": "writes data",
    "CREATE": "changes the database's structure (DDL)",
    "CREATE_FUNC": "changes the database's structure (DDL)",
    "ALTER": "changes the database's structure (DDL)",
    "DROP": "changes the database's structure (DDL)",
    "COPY": "copies data to or from files",
    "COPY_DATABASE": "copies a database",
    "EXPORT": "exports the database to files",
    "ATTACH": "attaches another database",
    "DETACH": "detaches a database",
    "LOAD": "installs or loads extensions",
    "EXTENSION": "installs or loads extensions",
    "SET": "changes settings (SET, RESET, USE)",
    "VARIABLE_SET": "changes settings (SET, RESET, USE)",
    "PRAGMA": "can change settings and the database (PRAGMA, IMPORT DATABASE)",
    "CALL": "calls a procedure (CALL, CHECKPOINT)",
    "TRANSACTION": "controls transactions",
    "PREPARE": "prepares statements",
    "EXECUTE": "executes prepared statements",
    "VACUUM": "is database maintenance (VACUUM, ANALYZE)",
    "ANALYZE": "is database maintenance (VACUUM, ANALYZE)",
}

# Query-tree nodes a read-only query is built from; anything else (INSERT_QUERY_NODE,
# DELETE_QUERY_NODE, COPY_QUERY_NODE, ...) is a write hidden inside a query.
_QUERY_NODES = frozenset({"SELECT_NODE", "SET_OPERATION_NODE", "RECURSIVE_CTE_NODE", "CTE_NODE"})

# DuckDB's catalogue, allowed by name: what the database holds (its tables, views, columns, types,
# constraints, functions, ...), as the "duckdb_% metadata functions" and PRAGMA table_info / show
# describe it. Not by prefix: other duckdb_ and pragma_ functions describe the process, not the
# database (duckdb_secrets lists the credentials a deployment configured, duckdb_settings its paths,
# duckdb_logs the queries others ran, duckdb_extensions, duckdb_memory, pragma_storage_info, ...).
CATALOGUE_FUNCTIONS = frozenset({
    "duckdb_columns", "duckdb_constraints", "duckdb_databases", "duckdb_dependencies", "duckdb_functions",
    "duckdb_indexes", "duckdb_keywords", "duckdb_schemas", "duckdb_sequences", "duckdb_tables",
    "duckdb_types", "duckdb_views", "pragma_table_info", "pragma_show", "pragma_collations",
})
# Views DuckDB defines over the catalogue functions (``from duckdb_tables`` without parentheses).
CATALOGUE_VIEWS = frozenset({
    "duckdb_columns", "duckdb_constraints", "duckdb_databases", "duckdb_indexes", "duckdb_schemas",
    "duckdb_tables", "duckdb_types", "duckdb_views", "pragma_database_list",
})
_SYSTEM_PREFIXES = ("duckdb_", "pragma_")

# Table functions an analyst may call: generators, JSON unnesting and the catalogue.
_TABLE_FUNCTIONS_ALLOWED = frozenset({
    "range", "generate_series", "unnest", "repeat", "repeat_row", "json_each", "json_tree",
    "histogram", "histogram_values", "summary", "icu_calendar_names", "pg_timezone_names",
    "test_all_types", "test_vector_types",
}) | CATALOGUE_FUNCTIONS
_FILE_PREFIXES = ("read_", "parquet_", "sniff_", "iceberg_", "delta_", "sqlite_", "postgres_", "mysql_")
_FILE_FUNCTIONS = frozenset({"glob", "st_read", "parquet_scan"})
_STRING_SQL_FUNCTIONS = frozenset({"query", "query_table", "json_execute_serialized_sql"})
# Scalar functions with side effects.
_SCALAR_FUNCTIONS_REFUSED = frozenset({"write_log", "setval", "nextval"})
# Keywords that never belong in a read-only query, for the token scan where no tree is available.
_WRITE_KEYWORDS = frozenset({
    "INSERT", "UPDATE", "DELETE", "MERGE", "COPY", "CREATE", "DROP", "ALTER", "TRUNCATE", "ATTACH",
    "DETACH", "INSTALL", "LOAD", "PRAGMA", "CALL", "EXPORT", "IMPORT", "CHECKPOINT", "VACUUM",
})


@dataclass(frozen=True)
class CheckedStatement:
    """One statement that passed: run ``statement`` itself, so what runs is what was checked."""

    statement: duckdb.Statement
    first_word: str


def check(sql: str) -> CheckedStatement:
    """Return the single read-only statement in ``sql``, or raise ``QueryRejected`` saying why."""
    if sql is None or not sql.strip():
        raise QueryRejected("There is no SQL to run.")
    statements = _parse(sql)
    if not statements:
        raise QueryRejected("There is only a comment here: no statement to run.")
    if len(statements) > 1:
        words = ", ".join(_first_word(s.query) or "?" for s in statements)
        raise QueryRejected(
            f"Refused: this is {len(statements)} statements ({words}). The explorer runs one "
            "statement at a time; a `;` ends a statement, even after a comment."
        )
    statement = statements[0]
    first = _check_one(statement.query, _statement_type(statement))
    return CheckedStatement(statement=statement, first_word=first)


def _parse(sql: str) -> list[duckdb.Statement]:
    try:
        return duckdb.extract_statements(sql)
    except duckdb.ParserException as exc:
        raise QueryRejected("DuckDB could not parse this SQL.", kind=FAILED, detail=str(exc)) from None


def _statement_type(statement: duckdb.Statement) -> duckdb.StatementType:
    try:
        return statement.type
    except ValueError as exc:
        # The Python client cannot name some statement types (e.g. UPDATE EXTENSIONS).
        raise QueryRejected(
            f"Refused: {_first_word(statement.query)} is not a statement the explorer runs. "
            f"Start with {ALLOWED}.",
            detail=str(exc),
        ) from None


def _check_one(text: str, kind: duckdb.StatementType) -> str:
    first = _first_word(text)
    if first == "EXPLAIN":
        _check_one(*_explained(text))
        return first
    if kind.name not in ("SELECT", "MULTI"):
        reason = _TYPE_REASONS.get(kind.name, "is not a read-only query")
        raise QueryRejected(
            f"Refused: {first or kind.name} {reason}. The explorer only reads: start with {ALLOWED}."
        )
    if first not in QUERY_FIRST_WORDS:
        raise QueryRejected(
            f"Refused: a statement starting with {first} is not a query. Start with {ALLOWED}."
        )
    tree = _syntax_tree(text)
    if tree is None:
        _scan_tokens(text)
    else:
        _walk_tree(tree)
    return first


def _explained(text: str) -> tuple[str, duckdb.StatementType]:
    """The statement an EXPLAIN [ANALYZE] [(options)] explains: the first suffix that parses alone."""
    for offset, _ in _tokens(text)[1:]:
        try:
            inner = duckdb.extract_statements(text[offset:])
        except (duckdb.Error, ValueError):
            continue
        if len(inner) == 1:
            return inner[0].query, _statement_type(inner[0])
    raise QueryRejected("Refused: could not tell which statement this EXPLAIN explains.")


# --- tokens --------------------------------------------------------------------------------------------

def _tokens(text: str) -> list[tuple[int, str]]:
    """(offset, word) for every token except comments; the word is upper-case for keywords."""
    raw = duckdb.tokenize(text)
    out = []
    for i, (offset, token_type) in enumerate(raw):
        end = raw[i + 1][0] if i + 1 < len(raw) else len(text)
        if token_type == duckdb.token_type.comment:
            continue
        word = text[offset:end].strip()
        if token_type == duckdb.token_type.string_const:
            word = "'"  # a literal: its content is data, never a keyword
        out.append((offset, word))
    return out


def _first_word(text: str) -> str:
    tokens = _tokens(text)
    if not tokens:
        return ""
    word = tokens[0][1]
    return "(" if word.startswith("(") else word.split()[0].upper()


def _scan_tokens(text: str) -> None:
    """Fallback where DuckDB gives no syntax tree: no write keyword, no refused function call."""
    tokens = [w for _, w in _tokens(text)]
    for i, word in enumerate(tokens):
        upper = word.upper()
        if upper in _WRITE_KEYWORDS:
            raise QueryRejected(f"Refused: {upper} has no place in a read-only query.")
        followed_by_call = i + 1 < len(tokens) and tokens[i + 1].startswith("(")
        if followed_by_call and word.lower() in _known_table_functions():
            _check_table_function(word.lower())
        if followed_by_call:
            _check_scalar_function(word.lower())
        else:
            _check_system_view(word.strip('"'))


# --- the syntax tree -----------------------------------------------------------------------------------

_parser_lock = threading.Lock()


@cache
def _parser() -> duckdb.DuckDBPyConnection:
    # An empty in-memory database that only parses: it never sees the marketplace.
    return duckdb.connect(":memory:", config={
        "enable_external_access": False,
        "autoload_known_extensions": False,
        "autoinstall_known_extensions": False,
        "threads": 1,
    })


def _syntax_tree(text: str) -> dict | None:
    with _parser_lock:
        cur = _parser().cursor()
    try:
        row = cur.execute("select json_serialize_sql($sql)", {"sql": text}).fetchone()
    except duckdb.Error:
        return None
    finally:
        cur.close()
    tree = json.loads(row[0])
    return None if tree.get("error") else tree


@cache
def _known_table_functions() -> frozenset[str]:
    with _parser_lock:
        cur = _parser().cursor()
    try:
        rows = cur.execute(
            "select distinct function_name from duckdb_functions() "
            "where function_type in ('table', 'table_macro')"
        ).fetchall()
    finally:
        cur.close()
    return frozenset(r[0] for r in rows)


def _nodes(tree: object) -> Iterator[dict]:
    if isinstance(tree, dict):
        yield tree
        for value in tree.values():
            yield from _nodes(value)
    elif isinstance(tree, list):
        for value in tree:
            yield from _nodes(value)


def _walk_tree(tree: dict) -> None:
    for node in _nodes(tree):
        node_type = node.get("type")
        if isinstance(node_type, str) and node_type.endswith("_NODE") and node_type not in _QUERY_NODES:
            verb = node_type.removesuffix("_NODE").removesuffix("_QUERY").replace("_", " ")
            raise QueryRejected(
                f"Refused: this query hides a {verb} inside it (in a WITH clause); "
                "the explorer only reads."
            )
        if node_type == "TABLE_FUNCTION":
            _check_table_function(str(node.get("function", {}).get("function_name", "")).lower())
        elif node.get("class") == "FUNCTION":
            _check_scalar_function(str(node.get("function_name", "")).lower())
        elif node_type in ("BASE_TABLE", "SHOW_REF") and _looks_like_file(str(node.get("table_name", ""))):
            raise QueryRejected(
                f"Refused: `{node['table_name']}` names a file; the explorer only reads the "
                "marketplace database's tables."
            )
        elif node_type in ("BASE_TABLE", "SHOW_REF"):
            _check_system_view(str(node.get("table_name", "")))


def _catalogue_list() -> str:
    return ", ".join(f"{n}()" for n in sorted(CATALOGUE_FUNCTIONS))


def _check_system_view(name: str) -> None:
    """A DuckDB system view outside the catalogue (``from duckdb_logs``) is refused like its function."""
    lowered = name.lower()
    if lowered.startswith(_SYSTEM_PREFIXES) and lowered not in CATALOGUE_VIEWS:
        raise QueryRejected(
            f"Refused: {name} is not part of the database's catalogue (it describes the DuckDB process, "
            f"not the marketplace data). The explorer allows these catalogue functions: {_catalogue_list()}."
        )


def _check_table_function(name: str) -> None:
    if name in _TABLE_FUNCTIONS_ALLOWED:
        return
    if name.startswith(_SYSTEM_PREFIXES):
        raise QueryRejected(
            f"Refused: {name}() is not a catalogue function (it describes the DuckDB process, its "
            "settings, secrets or logs, not the marketplace data). The explorer allows these catalogue "
            f"functions: {_catalogue_list()}."
        )
    if name in _FILE_FUNCTIONS or name.startswith(_FILE_PREFIXES):
        raise QueryRejected(
            f"Refused: {name}() reads files outside the database; the explorer only reads the "
            "marketplace database's tables."
        )
    if name in _STRING_SQL_FUNCTIONS:
        raise QueryRejected(
            f"Refused: {name}() runs SQL held in a string, which the explorer cannot check; "
            "write that query out instead."
        )
    raise QueryRejected(
        f"Refused: the table function {name}() is not available in the explorer (it changes "
        "the database's state or reaches outside it)."
    )


def _check_scalar_function(name: str) -> None:
    if name in _SCALAR_FUNCTIONS_REFUSED:
        raise QueryRejected(f"Refused: {name}() changes state; the explorer only reads.")


def _looks_like_file(name: str) -> bool:
    lowered = name.lower()
    return "/" in name or "\\" in name or lowered.endswith(
        (".csv", ".tsv", ".txt", ".gz", ".zst", ".parquet", ".json", ".jsonl", ".ndjson", ".xlsx", ".db",
         ".duckdb", ".sqlite")
    )
