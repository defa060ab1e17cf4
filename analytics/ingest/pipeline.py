"""``ingest(export_dir)``: validate a whole export, then merge it into the store, all or nothing.

1. Before the database is touched: find the files, check their headers (``readers.find_export``).
2. In ``store.rebuild``'s private copy of the database, for each table (parents first): read the file
   into a staging table with the contract's types, check its values and keys. Then check every
   reference against this export and what is already loaded.
3. Only when every file passed: merge each staging table into its table, record the load in
   ``ingest_log``. ``rebuild`` then swaps the copy in; any refusal before that throws the copy away
   and the live database stays byte for byte as it was.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from analytics import store
from analytics.ingest import merge, progress as progress_mod, readers, validate


@dataclass(frozen=True)
class TableLoad:
    table: str
    file: Path
    rows_in_file: int
    rows_inserted: int
    rows_updated: int
    seconds: float
    duplicates_dropped: int = 0  # exact repeats of another row in the same file (keyless tables)

    @property
    def rows_unchanged(self) -> int:
        """Rows already loaded exactly as the file has them (left alone)."""
        return self.rows_in_file - self.duplicates_dropped - self.rows_inserted - self.rows_updated

    def describe(self) -> str:
        """What happened to the file's rows, in words: every row of the file is accounted for.

        "access_log: 117,686 rows in file, 117,684 loaded, 2 exact duplicates dropped".
        """
        loaded = self.rows_inserted + self.rows_updated
        if loaded == self.rows_in_file:
            return f"{self.rows_in_file:,} rows loaded"
        parts = [f"{self.rows_in_file:,} rows in file",
                 f"{loaded:,} {'loaded' if not self.rows_unchanged else 'new or changed'}"]
        if self.rows_unchanged:
            parts.append(f"{self.rows_unchanged:,} already loaded as they are")
        if self.duplicates_dropped:
            n = self.duplicates_dropped
            parts.append(f"{n:,} exact duplicate{'s' if n != 1 else ''} dropped")
        return ", ".join(parts)


@dataclass(frozen=True)
class IngestSummary:
    source: Path
    db: Path
    tables: tuple[TableLoad, ...]
    warnings: tuple[str, ...]
    seconds: float

    @property
    def rows(self) -> dict[str, int]:
        """Rows in each loaded file, by table."""
        return {t.table: t.rows_in_file for t in self.tables}

    def format(self) -> str:
        """The closing summary: rows per table (every row of each file accounted for) and seconds."""
        lines = [f"loaded {self.source} into {self.db} in {self.seconds:.1f} s",
                 f"{'table':<16}{'rows in file':>14}{'inserted':>12}{'updated':>12}{'unchanged':>12}"
                 f"{'dropped':>10}{'seconds':>9}"]
        for t in self.tables:
            lines.append(f"{t.table:<16}{t.rows_in_file:>14,}{t.rows_inserted:>12,}"
                         f"{t.rows_updated:>12,}{t.rows_unchanged:>12,}{t.duplicates_dropped:>10,}"
                         f"{t.seconds:>9.1f}")
        lines += [f"{t.table}: {t.describe()}" for t in self.tables if t.duplicates_dropped]
        return "\n".join(lines)


def _stage_name(table: str) -> str:
    return f"_ingest_stage_{table}"


def _configure(con: duckdb.DuckDBPyConnection) -> None:
    # Timestamps without an offset are UTC, and stored values are naive UTC.
    con.execute("SET TimeZone = 'UTC'")
    # Query progress feeds the bars; DuckDB's own bar must not print.
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    # Staging tables keep the file's order: a row's rowid is its position in the file.
    con.execute("SET preserve_insertion_order = true")


def ingest(export_dir: Path | str, *, db: Path | str | None = None,
           progress: progress_mod.Reporter | bool | None = None) -> IngestSummary:
    """Validate the export in ``export_dir`` and merge it into the marketplace database.

    Raises ``ExportRejected`` (a ``ValueError``) naming the file, column and first offending rows
    when the export breaks the contract; the database is then left exactly as it was.
    ``progress``: see ``progress.reporter`` (default: bars on a terminal, lines on stderr otherwise).
    """
    started = time.perf_counter()
    source = Path(export_dir).resolve()
    export = readers.find_export(source)
    db_path = store.resolve(db)
    loads: list[TableLoad] = []
    with progress_mod.reporter(progress) as report:
        for warning in export.warnings:
            report.warn(warning)
        with store.rebuild(db_path) as con:
            _configure(con)
            staged: dict[str, str] = {}
            rows: dict[str, int] = {}
            seconds: dict[str, float] = {}
            replaces_empty: dict[str, bool] = {}
            for f in export.files:
                t0 = time.perf_counter()
                name, stage = f.table.name, _stage_name(f.table.name)
                report.begin(name, f.path)
                # A first load of a keyed table is staged as a real table that then simply becomes
                # the table; otherwise the stage is a temporary table merged in.
                replaces_empty[name] = bool(f.table.key) and merge.is_empty(con, f.table)
                try:
                    with report.follow(con, name):
                        readers.stage(con, f, stage, temp=not replaces_empty[name])
                except duckdb.Error as exc:
                    validate.explain_read_failure(con, f, exc)
                staged[name] = stage
                report.phase(name, "checking values")
                rows[name] = validate.check_values(con, f, stage)
                report.phase(name, "checking keys")
                validate.check_keys(con, f, stage)
                seconds[name] = time.perf_counter() - t0
            for f in export.files:
                t0 = time.perf_counter()
                report.phase(f.table.name, "checking references")
                validate.check_references(con, f, staged[f.table.name], staged)
                seconds[f.table.name] += time.perf_counter() - t0
            # Every file passed: only now do tables change (still in the private copy).
            ingested_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
            for f in export.files:
                t0 = time.perf_counter()
                name = f.table.name
                report.phase(name, "merging")
                merged = merge.merge(con, f.table, staged.pop(name), absent=f.absent,
                                     replaces_empty_table=replaces_empty[name])
                seconds[name] += time.perf_counter() - t0
                load = TableLoad(name, f.path, rows[name], merged.inserted, merged.updated, seconds[name],
                                 duplicates_dropped=merged.duplicates)
                loads.append(load)
                report.end(name, load.describe(), seconds[name])
            con.executemany(
                "INSERT INTO ingest_log (ingested_at, source, table_name, rows_in_file, rows_inserted, "
                "rows_updated, seconds) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(ingested_at, str(source), t.table, t.rows_in_file, t.rows_inserted, t.rows_updated,
                  round(t.seconds, 3)) for t in loads])
    return IngestSummary(source, db_path, tuple(loads), export.warnings, time.perf_counter() - started)
