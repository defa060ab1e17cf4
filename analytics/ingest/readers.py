"""Finding an export's files, reading their headers, and reading them with DuckDB's own readers.

Everything here that needs only a file's header (which files, which columns) runs before the
database is opened, so a malformed export is refused without copying the database. The rows are read
by DuckDB (``read_csv`` / ``read_parquet``) with explicit types, straight into a staging table.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from analytics import schema
from analytics.ingest import convert
from analytics.ingest.errors import ExportRejected

FORMATS = {".csv": "csv", ".csv.gz": "csv", ".parquet": "parquet"}


@dataclass(frozen=True)
class ExportFile:
    """One file of an export: which table it holds and what its header says."""

    table: schema.Table
    path: Path
    format: str  # "csv" or "parquet"
    header: tuple[str, ...]  # column names in file order
    source_types: dict[str, str] = field(default_factory=dict)  # Parquet: DuckDB type per column

    @property
    def columns(self) -> list[str]:
        """The contract's columns that this file carries."""
        return [c for c in self.table.column_names if c in self.header]

    @property
    def absent(self) -> list[str]:
        """Optional columns this file leaves out."""
        return [c for c in self.table.column_names if c not in self.header]

    @property
    def extras(self) -> list[str]:
        known = set(self.table.column_names)
        return [c for c in self.header if c not in known]

    @property
    def unit(self) -> str:
        """What a position in this file is called in messages."""
        return "line" if self.format == "csv" else "row"

    def position(self, rowid: int) -> int:
        """A staged row's number as a person finds it in the file: the CSV line (header = line 1,
        counting records as DuckDB's own messages do), or the Parquet row counted from 1."""
        return rowid + 2 if self.format == "csv" else rowid + 1

    def source_type(self, column: str, *, raw: bool) -> str:
        """The type a column arrives in: Parquet's own; for CSV what the reader parses it as."""
        if self.format == "parquet":
            return self.source_types[column]
        if raw:
            return "VARCHAR"
        return convert.csv_read_type(self.table.column(column).sql_type)

    def reader_sql(self, *, raw: bool) -> tuple[str, dict]:
        """A DuckDB table function reading this file, and its parameters.

        ``raw``: CSV read all as text (to find bad values after a typed read failed); Parquet is
        always read with its own types.
        """
        if self.format == "parquet":
            return "read_parquet($path)", {"path": str(self.path)}
        known = set(self.table.column_names)
        # Extra columns get private names: a header may repeat or leave blank an extra column.
        columns = {
            (name if name in known else f"_extra_{i}"):
                ("VARCHAR" if raw or name not in known else self.source_type(name, raw=False))
            for i, name in enumerate(self.header)
        }
        sql = ("read_csv($path, header = true, auto_detect = false, delim = ',', quote = '\"', "
               "escape = '\"', strict_mode = true, null_padding = false, "
               f"encoding = 'utf-8', dateformat = '{convert.ISO_DATE_FORMAT}', columns = $columns)")
        return sql, {"path": str(self.path), "columns": columns}


@dataclass(frozen=True)
class Export:
    folder: Path
    files: tuple[ExportFile, ...]  # in the contract's table order (parents before children)
    warnings: tuple[str, ...]

    def file(self, table: str) -> ExportFile | None:
        return next((f for f in self.files if f.table.name == table), None)


def find_export(folder: Path | str) -> Export:
    """Find each table's file in ``folder`` and check the headers; refuse what breaks the contract."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ExportRejected(folder, "no such folder")
    warnings: list[str] = []
    found: dict[str, list[Path]] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        table = _table_of(path.name)
        if table is None:
            warnings.append(f"{path}: ignored (not a table of the contract)")
            continue
        found.setdefault(table, []).append(path)

    con = duckdb.connect()  # in memory: reads Parquet footers only
    try:
        files = []
        for table in schema.INPUT_TABLES:
            paths = found.get(table.name, [])
            if len(paths) > 1:
                raise ExportRejected(paths[0], f"two files for table {table.name} "
                                     f"({', '.join(p.name for p in paths)}); keep one")
            if not paths:
                if table.optional:
                    continue
                raise ExportRejected(folder, f"no file for table {table.name} (expected "
                                     f"{table.name}.csv, {table.name}.csv.gz or {table.name}.parquet)")
            files.append(_read_header(con, table, paths[0]))
    finally:
        con.close()
    for f in files:
        if f.extras:
            warnings.append(f"{f.path}: ignored extra column{'s' if len(f.extras) > 1 else ''} "
                            f"{', '.join(repr(c) for c in f.extras)}")
    return Export(folder, tuple(files), tuple(warnings))


def _table_of(filename: str) -> str | None:
    for ext in FORMATS:
        if filename.endswith(ext):
            name = filename[: -len(ext)]
            return name if name in schema.INPUT_BY_NAME else None
    return None


def _format_of(path: Path) -> str:
    return next(fmt for ext, fmt in FORMATS.items() if path.name.endswith(ext))


def _read_header(con: duckdb.DuckDBPyConnection, table: schema.Table, path: Path) -> ExportFile:
    fmt = _format_of(path)
    if fmt == "csv":
        header, types = _csv_header(path), {}
    else:
        header, types = _parquet_header(con, path)
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise ExportRejected(path, "named twice in the header", columns=[name])
        seen.add(name)
    for column in table.columns:
        if column.required and column.name not in header:
            raise ExportRejected(path, f"missing: a required column (the header has: "
                                 f"{', '.join(header) or 'no columns'})", columns=[column.name])
    return ExportFile(table, path, fmt, tuple(header), types)


def _csv_header(path: Path) -> list[str]:
    try:
        with open(path, "rb") as raw:
            stream = gzip.open(raw) if path.name.endswith(".gz") else raw
            first = stream.readline()
    except (OSError, EOFError, zlib.error) as exc:
        raise ExportRejected(path, f"unreadable: {exc}") from None
    if not first.strip():
        raise ExportRejected(path, "unreadable: empty file, no header row")
    try:
        text = first.decode("utf-8-sig")  # a UTF-8 byte-order mark is tolerated
    except UnicodeDecodeError:
        raise ExportRejected(path, "unreadable: the header row is not UTF-8") from None
    row = next(csv.reader(io.StringIO(text)), [])
    return [name.strip() for name in row]


def _parquet_header(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[list[str], dict[str, str]]:
    try:
        # parquet_schema gives the names as written (DESCRIBE would rename a repeated one).
        rows = con.execute("SELECT name, num_children FROM parquet_schema($path)",
                           {"path": str(path)}).fetchall()
        described = con.execute("DESCRIBE SELECT * FROM read_parquet($path)", {"path": str(path)}).fetchall()
    except duckdb.Error as exc:
        raise ExportRejected(path, f"unreadable: {short_error(exc)}") from None
    names = _top_level_names(rows)
    types = {name: type_ for name, type_, *_ in described}
    return names, types


def _top_level_names(rows: list[tuple[str, int | None]]) -> list[str]:
    """The root's direct children in a Parquet schema listed depth-first."""
    names: list[str] = []
    pending = [rows[0][1] or 0] if rows else []  # children still to visit, per open level
    for name, children in rows[1:]:
        if len(pending) == 1:
            names.append(name)
        pending[-1] -= 1
        if children:
            pending.append(children)
        while len(pending) > 1 and pending[-1] == 0:
            pending.pop()
    return names


def line_ending_problem(path: Path, *, chunk: int = 1 << 22) -> str | None:
    """For a CSV DuckDB could not parse: whether its lines end both ways (CRLF and bare LF), which
    DuckDB reports only as an invalid parser state. Read in chunks, so any size is fine."""
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        crlf, lf_only, first_lf_only = _count_line_endings(opener, path, chunk)
    except (OSError, EOFError, zlib.error):  # a damaged file: DuckDB's own reason says more
        return None
    if crlf and lf_only:
        return (f"mixed line endings: {crlf:,} lines end in CRLF and {lf_only:,} in LF only "
                f"(the first LF-only one is line {first_lf_only}); save the file with one kind")
    return None


def _count_line_endings(opener, path: Path, chunk: int) -> tuple[int, int, int | None]:
    crlf = lf_only = lines_before = 0
    first_lf_only = None
    carried_cr = False  # the previous chunk ended in CR
    with opener(path, "rb") as stream:
        while block := stream.read(chunk):
            newlines = block.count(b"\n")
            pairs = block.count(b"\r\n") + (carried_cr and block.startswith(b"\n"))
            crlf += pairs
            lf_only += newlines - pairs
            if first_lf_only is None and newlines > pairs:
                bare = _BARE_LF.search(block, 1 if carried_cr and block.startswith(b"\n") else 0)
                first_lf_only = lines_before + block.count(b"\n", 0, bare.start()) + 1
            lines_before += newlines
            carried_cr = block.endswith(b"\r")
    return crlf, lf_only, first_lf_only


_BARE_LF = re.compile(rb"(?<!\r)\n")


def short_error(exc: BaseException) -> str:
    """DuckDB's error message without its advice and the query echo, on one line."""
    lines = []
    for line in str(exc).splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith(("Possible", "LINE ", "file =", "delimiter =", "* ", "^")):
            break
        lines.append(line)
    return " ".join(lines)[:400]


def stage(con: duckdb.DuckDBPyConnection, f: ExportFile, into: str, *, temp: bool) -> None:
    """Read ``f`` into a new table ``into`` with the contract's column types and order, in file order.

    Columns the file leaves out are NULL. Conversions are strict (see ``convert``): a bad value makes
    this raise ``duckdb.Error``; ``validate.explain_read_failure`` then finds the offending rows.
    """
    source, params = f.reader_sql(raw=False)
    select = []
    for column in f.table.columns:
        q = convert.quote(column.name)
        if column.name in f.header:
            conv = convert.conversion(f.source_type(column.name, raw=False), column.sql_type)
            select.append(f"{conv.strict(q, f'{f.path.name}: column {column.name}')} AS {q}")
        else:
            select.append(f"CAST(NULL AS {column.sql_type}) AS {q}")
    kind = "TEMP TABLE" if temp else "TABLE"
    con.execute(f"CREATE {kind} {into} AS SELECT {', '.join(select)} FROM {source}", params)
