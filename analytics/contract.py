"""The input contract in words, generated from ``analytics.schema`` (so it cannot drift from what
``ingest`` checks): ``python -m analytics contract`` prints it; ``docs/INPUT_CONTRACT.md`` is its
output, committed, and a test fails when the two differ.

Regenerate after changing the schema:

    .venv/bin/python -m analytics contract > docs/INPUT_CONTRACT.md
"""

from __future__ import annotations

from analytics import schema
from analytics.ingest import convert, readers

DOC_PATH = "docs/INPUT_CONTRACT.md"

# How a value of each column type is written in an export (what ``analytics.ingest.convert`` accepts).
TYPE_WORDS = {
    "VARCHAR": ("text", "any UTF-8 text; in a required column, text that is only blanks counts as empty"),
    "INTEGER": ("whole number", "`42`; `3.5` or `1e-3` are refused, never rounded"),
    "DOUBLE": ("number", "`19.99`, `0`, `1e3`; must be finite where a rule says so"),
    "DATE": ("date", f"`YYYY-MM-DD` (`{convert.ISO_DATE_FORMAT}`), e.g. `2026-11-22`; no time of day"),
    "TIMESTAMP": ("timestamp", "ISO 8601: `2026-11-22T13:45:00Z`, `2026-11-22 13:45:00`, "
                               "`2026-11-22T21:45:00+08:00`; no offset means UTC; stored in UTC"),
    "BOOLEAN": ("true/false", "`true`/`false`, `t`/`f`, `yes`/`no` or `1`/`0`"),
}


def _kind(sql_type: str) -> str:
    t = sql_type.upper()
    return "INTEGER" if t in convert.INTEGER_TYPES else "DOUBLE" if t in convert.FLOAT_TYPES else t


def _type_word(sql_type: str) -> str:
    return TYPE_WORDS[_kind(sql_type)][0]


def _cell(text: str) -> str:
    return text.replace("|", "\\|") or " "


def _file_names(table: schema.Table) -> str:
    return ", ".join(f"`{table.name}{ext}`" for ext in readers.FORMATS)


def _table_section(table: schema.Table) -> list[str]:
    lines = [f"### `{table.name}`{' (optional)' if table.optional else ''}", "", table.doc, ""]
    lines.append(f"File: {_file_names(table)}.")
    if table.optional:
        lines.append("The whole table may be left out of an export; what was loaded before stays.")
    if table.key:
        keys = ", ".join(f"`{k}`" for k in table.key)
        lines.append(f"Key: {keys}. A key appears at most once in a file; a later export replaces the row "
                     "with the same key.")
    else:
        lines.append("Key: none, a row is its own key. A row repeated exactly in a file, or already loaded, "
                     "is stored once (the summary says how many exact duplicates were dropped).")
    lines += ["", "| column | type | required | what it is | rule |", "|---|---|---|---|---|"]
    for c in table.columns:
        lines.append(f"| `{c.name}` | {_type_word(c.sql_type)} | {'yes' if c.required else 'no'} | "
                     f"{_cell(c.doc)} | {_cell(c.check_doc)} |")
    rules = []
    for column, parent, parent_column in table.references:
        rules.append(f"`{column}` must name a row of `{parent}` (its `{parent_column}`), in the same export "
                     f"or loaded before{'' if table.column(column).required else ', where it is set'}.")
    for columns, _condition, doc in table.row_checks:
        rules.append(f"{', '.join(f'`{c}`' for c in columns)}: {doc}.")
    if rules:
        lines += ["", *[f"* {rule}" for rule in rules]]
    return [*lines, ""]


def contract_markdown() -> str:
    """The whole input contract, as Markdown."""
    tables = ", ".join(f"`{t.name}`" for t in schema.INPUT_TABLES)
    kinds = sorted({_kind(c.sql_type) for t in schema.INPUT_TABLES for c in t.columns}, key=list(TYPE_WORDS).index)
    lines = [
        "# The input contract: a marketplace export",
        "",
        "<!-- Generated from analytics/schema.py by `python -m analytics contract`; do not edit by hand.",
        f"     Regenerate: .venv/bin/python -m analytics contract > {DOC_PATH} -->",
        "",
        "What `python -m analytics ingest DIR` loads, and every rule it checks. An export that breaks a rule is",
        "refused whole, with one line naming the file, the column, the first offending rows and how many rows",
        "are affected; the database is left exactly as it was.",
        "",
        "## The folder",
        "",
        "* One file per table, named `<table>.csv`, `<table>.csv.gz` or `<table>.parquet`, for the tables",
        f"  {tables}.",
        "* Two files for one table are refused; other files are ignored, with a warning (names starting",
        "  with `.` silently).",
        "* Columns are matched by name, exactly as written below, in any order. A required column missing from",
        "  the header is refused; an optional one may be left out (a later export that leaves it out keeps",
        "  the loaded values). Extra columns are ignored, with a warning; a column named twice is refused.",
        "* CSV: UTF-8 (a byte-order mark is tolerated), a header row, comma-separated, fields with commas,",
        "  quotes or line breaks in double quotes (`\"\"` for a quote); lines end all in LF or all in CRLF;",
        "  `.csv.gz` is the same, gzip-compressed.",
        "* Parquet: any column type that converts exactly (an integer-valued double to a whole number, a",
        "  timestamp at midnight to a date, an integer 0/1 to true/false).",
        "* Empty: an empty CSV field, or null in Parquet.",
        "",
        "## Values",
        "",
        "| type | written as |",
        "|---|---|",
        *[f"| {TYPE_WORDS[k][0]} | {TYPE_WORDS[k][1]} |" for k in kinds],
        "",
        "## Loading again",
        "",
        "A later export of the same marketplace (more days, new reviews, reviews removed since) merges by key:",
        "rows with a key already loaded are replaced by the export's, new keys are added, and rows the export",
        "does not carry are kept. Loading the same export twice changes nothing.",
        "",
        "## Tables",
        "",
        "Parents first: a file may only name sellers and products that this export or an earlier one loaded.",
        "",
    ]
    for table in schema.INPUT_TABLES:
        lines += _table_section(table)
    return "\n".join(lines).rstrip("\n") + "\n"
