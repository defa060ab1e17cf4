"""``python -m analytics.bench ingest [--rows N]``: the validated load against DuckDB's plain load.

Generates (once, with DuckDB, cached under ``bench_data/``) a synthetic ``product_daily`` of N rows
with the products and sellers it needs, as a Parquet export and as a CSV export. Then, for each
format, in the same run and each in a fresh child process with a fresh database:

* plain: ``CREATE TABLE product_daily AS SELECT * FROM read_parquet(...)`` / ``read_csv(...)``;
* ours: ``analytics.ingest.ingest`` of the whole export (every rule of the contract checked);
* with ``--merge``, also ours again into the database that already holds the export (the merge-by-key
  path: nothing new, nothing changed).

It prints rows per second for each, the ratio (target: ours <= 2x plain) and each child's peak RSS.
``--order random`` writes the rows in no particular order, which costs the duplicate-key check a
full grouping instead of one streaming pass (exports written in key or date order get the pass).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from analytics import store

BENCH_DIR = store.REPO_ROOT / "bench_data"
DAYS = 365
TARGET_RATIO = 2.0


def export_dirs(rows: int, order: str, data_dir: Path = BENCH_DIR) -> dict[str, Path]:
    """The cached Parquet and CSV exports for this size, generated on first use."""
    base = data_dir / f"ingest_{rows}_{order}"
    dirs = {"parquet": base / "parquet", "csv": base / "csv"}
    if (base / ".complete").exists():
        return dirs
    shutil.rmtree(base, ignore_errors=True)
    started = time.perf_counter()
    print(f"generating {rows:,} product_daily rows ({order} order) under {base} ...", flush=True)
    _generate(base, dirs, rows, order)
    (base / ".complete").touch()
    print(f"generated in {time.perf_counter() - started:.1f} s", flush=True)
    return dirs


def _generate(base: Path, dirs: dict[str, Path], rows: int, order: str) -> None:
    products = -(-rows // DAYS)
    sellers = max(1, products // 10)
    for d in dirs.values():
        d.mkdir(parents=True)
    con = duckdb.connect()
    try:
        con.execute(f"""
            CREATE TEMP TABLE sellers AS
            SELECT 'S' || lpad(CAST(s AS VARCHAR), 7, '0') AS seller_id,
                   'Seller ' || s AS seller_name,
                   ['US', 'CN', 'DE', 'GB', 'JP', 'IN'][1 + s % 6] AS country,
                   NULL::VARCHAR AS city,
                   DATE '2020-01-01' + CAST(s % 900 AS INTEGER) AS registered_on,
                   'category_' || (s % 20) AS primary_category
            FROM range({sellers}) t(s)""")
        con.execute(f"""
            CREATE TEMP TABLE products AS
            SELECT 'B' || lpad(CAST(p AS VARCHAR), 9, '0') AS product_id,
                   'S' || lpad(CAST(p % {sellers} AS VARCHAR), 7, '0') AS seller_id,
                   'category_' || (p % {sellers} % 20) AS category,
                   'Product ' || p AS title,
                   DATE '2022-01-01' + CAST(p % 700 AS INTEGER) AS launched_on
            FROM range({products}) t(p)""")
        # Day-major order: how a warehouse appends one day's snapshot after another.
        position = "hash(i)" if order == "random" else "i"
        con.execute(f"""
            CREATE TEMP VIEW product_daily AS
            SELECT 'B' || lpad(CAST(i % {products} AS VARCHAR), 9, '0') AS product_id,
                   DATE '2024-01-01' + CAST(i // {products} AS INTEGER) AS date,
                   CASE WHEN hash(i, 0) % 10 = 0 THEN NULL
                        ELSE CAST(1 + hash(i, 1) % 5000 AS INTEGER) END AS sales_rank,
                   round(5 + (hash(i % {products}) % 20000) / 100.0, 2) AS price,
                   CAST(hash(i, 2) % 50 AS INTEGER) AS units_sold,
                   CASE WHEN hash(i, 3) % 3 = 0 THEN NULL
                        ELSE round((hash(i, 4) % 10000) / 100.0, 2) END AS ad_spend
            FROM range({rows}) t(i)
            ORDER BY {position}""")
        empty = {
            "reviews": "SELECT NULL::VARCHAR AS review_id, NULL::VARCHAR AS product_id, "
                       "NULL::VARCHAR AS reviewer_id, NULL::TINYINT AS rating, NULL::TIMESTAMP AS created_at, "
                       "NULL::BOOLEAN AS verified_purchase WHERE false",
            "account_events": "SELECT NULL::VARCHAR AS seller_id, NULL::TIMESTAMP AS ts, "
                              "NULL::VARCHAR AS event WHERE false",
        }
        for table in ("sellers", "products", "product_daily", *empty):
            source = empty.get(table, f"SELECT * FROM {table}")
            con.execute(f"COPY ({source}) TO '{dirs['parquet'] / table}.parquet' (FORMAT parquet)")
            con.execute(f"COPY ({source}) TO '{dirs['csv'] / table}.csv' (FORMAT csv, HEADER true)")
    finally:
        con.close()


# --- the timed loads, each in its own process --------------------------------------------------------

def _child(kind: str, fmt: str, export_dir: str, db: str) -> None:
    """Runs in a child process: one load into a fresh database; prints seconds and peak RSS."""
    from analytics.ingest import ingest  # imported before the clock starts, like duckdb for plain

    Path(db).unlink(missing_ok=True)
    if kind == "again":  # the timed load below then merges into a database that already holds it all
        ingest(export_dir, db=db, progress=False)
    cpu_started = _cpu_seconds()
    started = time.perf_counter()
    if kind == "plain":
        reader = "read_parquet" if fmt == "parquet" else "read_csv"
        source = Path(export_dir) / f"product_daily.{fmt}"
        con = duckdb.connect(db)
        con.execute(f"CREATE TABLE product_daily AS SELECT * FROM {reader}($path)", {"path": str(source)})
        con.close()
    else:
        ingest(export_dir, db=db, progress=False)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "cpu_seconds": _cpu_seconds() - cpu_started,
                      "peak_rss_mb": peak_rss_mb()}))


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    """This process's peak resident set size. VmHWM, not ru_maxrss: Linux carries ru_maxrss over from
    the parent across fork and exec, so a child would report the generator's peak."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(kind: str, fmt: str, export_dir: Path, work: Path) -> dict:
    db = work / f"{kind}_{fmt}.duckdb"
    out = subprocess.run([sys.executable, "-m", "analytics.bench", "ingest", "--child", kind, fmt,
                          str(export_dir), str(db)], capture_output=True, text=True, check=False)
    for p in (db, db.with_name(db.name + ".wal"), db.with_name(db.name + ".lock")):
        p.unlink(missing_ok=True)
    if out.returncode != 0:
        raise SystemExit(f"{kind} {fmt} load failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analytics.bench ingest",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, metavar="N",
                        help="product_daily rows (default 10,000,000)")
    parser.add_argument("--order", choices=("date", "random"), default="date",
                        help="row order in the files (default: day after day)")
    parser.add_argument("--repeat", type=int, default=1, metavar="R",
                        help="R rounds of one load of each kind; report the fastest of each (default 1)")
    parser.add_argument("--formats", default="parquet,csv", help="comma-separated: parquet,csv")
    parser.add_argument("--merge", action="store_true",
                        help="also time loading the export again into the loaded database (merge by key)")
    parser.add_argument("--data-dir", type=Path, default=BENCH_DIR, help=argparse.SUPPRESS)
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(*args.child)
        return 0

    dirs = export_dirs(args.rows, args.order, args.data_dir)
    work = args.data_dir / "ingest_work"
    work.mkdir(parents=True, exist_ok=True)
    print(f"ingest benchmark: product_daily of {args.rows:,} rows ({args.order} order), "
          f"best of {args.repeat}, each load in a fresh process and database")
    print(f"{'format':<9}{'load':<34}{'seconds':>8}{'rows/s':>12}{'CPU s':>8}{'peak RSS':>11}")
    verdicts = []
    kinds = ("plain", "ours", "again") if args.merge else ("plain", "ours")
    for fmt in args.formats.split(","):
        labels = {"plain": f"plain CREATE TABLE AS {'read_parquet' if fmt == 'parquet' else 'read_csv'}",
                  "ours": "validated ingest (whole export)",
                  "again": "the same again (merge, no change)"}
        # Rounds of one load of each kind, so that both sides of a ratio meet the same machine load.
        rounds = [{kind: _timed(kind, fmt, dirs[fmt], work) for kind in kinds} for _ in range(args.repeat)]
        best = {kind: min((r[kind] for r in rounds), key=lambda r: r["seconds"]) for kind in kinds}
        for kind in kinds:
            r = best[kind]
            print(f"{fmt:<9}{labels[kind]:<34}{r['seconds']:>8.2f}{args.rows / r['seconds']:>12,.0f}"
                  f"{r['cpu_seconds']:>8.2f}{r['peak_rss_mb']:>8,.0f} MB", flush=True)
        ratio = best["ours"]["seconds"] / best["plain"]["seconds"]
        cpu_ratio = best["ours"]["cpu_seconds"] / best["plain"]["cpu_seconds"]
        paired = sorted(r["ours"]["seconds"] / r["plain"]["seconds"] for r in rounds)
        met = "met" if ratio <= TARGET_RATIO else f"MISSED by {ratio / TARGET_RATIO - 1:.0%}"
        verdicts.append(f"{fmt}: ours/plain = {ratio:.2f}x wall clock (best of each; per round "
                        f"{', '.join(f'{p:.2f}' for p in paired)}), {cpu_ratio:.2f}x CPU time "
                        f"(target <= {TARGET_RATIO:.0f}x: {met})")
    print("\n".join(verdicts))
    return 0
