"""`python -m analytics ingest DIR`: every rule of the input contract (docs/INPUT_CONTRACT.md), merge by
key, the command.

A broken export must be refused with one message naming the file, the column and the first offending
rows, and leave the database exactly as it was (same file, same bytes, same rows). Accepted variants
must load. Loading twice changes nothing; a later export updates by key. A reader in another process
keeps answering while the file is swapped.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from analytics import schema
from analytics.ingest import ExportRejected, ingest
from analytics.ingest.progress import Bars, Lines
from tests.export_factory import Rows, csv_text, valid_tables, write_export

REPO = Path(__file__).resolve().parents[1]
MARKET_TABLES = [t.name for t in schema.INPUT_TABLES]


# --- helpers ------------------------------------------------------------------------------------------

def checksums(db: Path, tables: list[str] = MARKET_TABLES) -> dict[str, tuple[int, int]]:
    """Row count and an order-independent content checksum per table."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: con.execute(f"SELECT count(*), coalesce(sum(hash(x)), 0) FROM {t} x").fetchone()
                for t in tables}
    finally:
        con.close()


def snapshot(db: Path) -> dict:
    """Everything that must not change when an export is refused."""
    st = db.stat()
    return {"inode": st.st_ino, "mtime": st.st_mtime_ns,
            "sha256": hashlib.sha256(db.read_bytes()).hexdigest(),
            "tables": checksums(db, MARKET_TABLES + ["ingest_log"])}


def beside(db: Path) -> list[str]:
    """The files in the database's folder (the export folder aside): a job must leave no lock or copy."""
    return sorted(p.name for p in db.parent.iterdir() if p.name != "export")


def query(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="session")
def loaded_db(tmp_path_factory) -> Path:
    """A database holding the valid small marketplace (built once, copied per test)."""
    base = tmp_path_factory.mktemp("base")
    db = base / "market.duckdb"
    ingest(write_export(base / "export"), db=db, progress=False)
    return db


@pytest.fixture
def db(tmp_path, loaded_db) -> Path:
    path = tmp_path / "market.duckdb"
    shutil.copyfile(loaded_db, path)
    return path


# --- broken exports: one case per rule ------------------------------------------------------------------

def set_value(table: str, row: int, column: str, value: str | None) -> Callable:
    def change(tables: dict[str, Rows], folder: Path) -> None:
        tables[table][row][column] = value
    return change


def copy_row(table: str, source: int, target: int) -> Callable:
    """Make row ``target`` a copy of row ``source`` (a duplicate key, whatever the key columns)."""
    def change(tables: dict[str, Rows], folder: Path) -> None:
        tables[table][target] = dict(tables[table][source])
    return change


def drop_column(table: str, column: str) -> Callable:
    def change(tables: dict[str, Rows], folder: Path) -> None:
        for row in tables[table]:
            row.pop(column)
    return change


def drop_table(table: str) -> Callable:
    def change(tables: dict[str, Rows], folder: Path) -> None:
        del tables[table]
    return change


def replace_file(table: str, name: str, content: bytes) -> Callable:
    """Write ``name`` with ``content`` in place of the table's CSV."""
    def change(tables: dict[str, Rows], folder: Path) -> None:
        del tables[table]
        (folder / name).write_bytes(content)
    return change


def add_file(name: str, content: bytes) -> Callable:
    def change(tables: dict[str, Rows], folder: Path) -> None:
        (folder / name).write_bytes(content)
    return change


def sellers_csv() -> str:
    return csv_text(valid_tables()["sellers"])


# (case id, change, file named, column(s) named, text the message must contain)
BROKEN = [
    ("missing required column", drop_column("sellers", "country"), "sellers.csv", "country",
     "missing: a required column"),
    ("missing required table", drop_table("reviews"), "reviews.csv", None, "no file for table reviews"),
    ("empty required value", set_value("sellers", 1, "seller_name", None), "sellers.csv", "seller_name",
     "empty, but required: 1 row (line 3: empty)"),
    ("blank required id", set_value("products", 0, "product_id", "  "), "products.csv", "product_id",
     "empty, but required"),
    ("integer with a fraction", set_value("product_daily", 2, "units_sold", "3.5"), "product_daily.csv",
     "units_sold", "not a whole number (or out of range): 1 row (line 4: '3.5')"),
    ("integer as text", set_value("product_daily", 0, "sales_rank", "first"), "product_daily.csv",
     "sales_rank", "line 2: 'first'"),
    ("rating with a fraction", set_value("reviews", 0, "rating", "4.5"), "reviews.csv", "rating",
     "not a whole number"),
    ("integer out of range", set_value("product_daily", 3, "units_sold", "99999999999"),
     "product_daily.csv", "units_sold", "line 5"),
    ("date not ISO", set_value("products", 0, "launched_on", "04/01/2022"), "products.csv", "launched_on",
     "not an ISO date"),
    ("date with a time", set_value("product_daily", 1, "date", "2024-03-02 10:00"), "product_daily.csv",
     "date", "not an ISO date"),
    ("impossible date", set_value("sellers", 0, "registered_on", "2022-02-30"), "sellers.csv",
     "registered_on", "line 2: '2022-02-30'"),
    ("timestamp not ISO", set_value("reviews", 1, "created_at", "1 March 2024"), "reviews.csv",
     "created_at", "not an ISO 8601 timestamp"),
    ("timestamp with a zone name", set_value("account_events", 0, "ts", "2024-02-01 00:00:00 CET"),
     "account_events.csv", "ts", "not an ISO 8601 timestamp"),
    ("boolean not a boolean", set_value("reviews", 0, "verified_purchase", "maybe"), "reviews.csv",
     "verified_purchase", "not a boolean"),
    ("price not a number", set_value("product_daily", 0, "price", "$19.99"), "product_daily.csv", "price",
     "not a number"),
    ("sales_rank zero", set_value("product_daily", 0, "sales_rank", "0"), "product_daily.csv",
     "sales_rank", "must be 1 or more"),
    ("price negative", set_value("product_daily", 4, "price", "-1"), "product_daily.csv", "price",
     "line 6: -1.0"),
    ("price not finite", set_value("product_daily", 4, "price", "inf"), "product_daily.csv", "price",
     "finite"),
    ("units_sold negative", set_value("product_daily", 4, "units_sold", "-2"), "product_daily.csv",
     "units_sold", "must be 0 or more"),
    ("ad_spend negative", set_value("product_daily", 0, "ad_spend", "-0.5"), "product_daily.csv",
     "ad_spend", "must be a finite number >= 0"),
    ("rating above 5", set_value("reviews", 2, "rating", "6"), "reviews.csv", "rating", "must be 1 to 5"),
    ("rating 0", set_value("reviews", 2, "rating", "0"), "reviews.csv", "rating", "line 4: 0"),
    ("removed_by unknown", set_value("reviews", 1, "removed_by", "moderator"), "reviews.csv", "removed_by",
     "must be customer, automated or staff"),
    ("account event unknown", set_value("account_events", 0, "event", "banned"), "account_events.csv",
     "event", "must be suspended, appeal_submitted, reinstated or closed"),
    ("country not alpha-2", set_value("sellers", 2, "country", "DEU"), "sellers.csv", "country",
     "ISO 3166 alpha-2"),
    ("country lower case", set_value("sellers", 0, "country", "us"), "sellers.csv", "country", "'us'"),
    ("removed_at without removed_by", set_value("reviews", 0, "removed_at", "2024-03-05 00:00:00"),
     "reviews.csv", "removed_at, removed_by", "both set or both empty"),
    ("removed_by without removed_at", set_value("reviews", 2, "removed_by", "customer"), "reviews.csv",
     "removed_at, removed_by", "line 4"),
    ("duplicate seller", set_value("sellers", 2, "seller_id", "S1"), "sellers.csv", "seller_id",
     "appears more than once: 2 rows (line 2: 'S1'; line 4: 'S1')"),
    ("duplicate product day", set_value("product_daily", 1, "date", "2024-03-01"), "product_daily.csv",
     "product_id, date", "line 2: 'B0001', 2024-03-01; line 3: 'B0001', 2024-03-01"),
    ("duplicate account event", copy_row("account_events", 0, 2),
     "account_events.csv", "seller_id, ts, event", "appears more than once"),
    ("product of an unknown seller", set_value("products", 3, "seller_id", "S404"), "products.csv",
     "seller_id", "not found in sellers.seller_id"),
    ("day of an unknown product", set_value("product_daily", 7, "product_id", "B404"), "product_daily.csv",
     "product_id", "line 9: 'B404'"),
    ("review of an unknown product", set_value("reviews", 3, "product_id", "B404"), "reviews.csv",
     "product_id", "not found in products.product_id"),
    ("event of an unknown seller", set_value("account_events", 2, "seller_id", "S404"),
     "account_events.csv", "seller_id", "not found in sellers"),
    ("access to an unknown seller", set_value("access_log", 0, "seller_id", "S404"), "access_log.csv",
     "seller_id", "not found in sellers"),
    ("access to an unknown product", set_value("access_log", 0, "product_id", "B404"), "access_log.csv",
     "product_id", "not found in products"),
    ("two files for one table", add_file("sellers.parquet", b"PAR1"), "sellers.csv", None,
     "two files for table sellers"),
    ("column named twice", replace_file("sellers", "sellers.csv",
                                        b"seller_id,seller_name,country,country,city,registered_on,"
                                        b"primary_category\nS1,A,US,US,,2022-01-01,toys\n"),
     "sellers.csv", "country", "named twice in the header"),
    ("bad gzip", replace_file("sellers", "sellers.csv.gz", b"this is not gzip"), "sellers.csv.gz", None,
     "unreadable"),
    ("gzip cut short", replace_file("product_daily", "product_daily.csv.gz",
                                    gzip.compress(csv_text(valid_tables()["product_daily"]).encode())[:-30]),
     "product_daily.csv.gz", None, "unreadable"),
    ("not UTF-8", replace_file("sellers", "sellers.csv", sellers_csv().replace("Austin", "Z\u00fcrich")
                               .encode("latin-1")), "sellers.csv", None, "unreadable"),
    ("header not UTF-8", replace_file("sellers", "sellers.csv", "s\u00e9ller_id\n".encode("latin-1")),
     "sellers.csv", None, "not UTF-8"),
    ("not parquet", replace_file("sellers", "sellers.parquet", b"just some text"), "sellers.parquet", None,
     "unreadable"),
    ("empty file", replace_file("sellers", "sellers.csv", b""), "sellers.csv", None, "no header row"),
    ("row with a field too many", replace_file("products", "products.csv",
                                               (csv_text(valid_tables()["products"]) + "B9,S1,toys,x,2022-01-01,extra\n")
                                               .encode()), "products.csv", None, "unreadable"),
    # A file edited on two systems: DuckDB only says its parser reached an invalid state.
    ("mixed line endings", replace_file("sellers", "sellers.csv",
                                        sellers_csv().replace("\n", "\r\n").encode() + b"S9,Nine,DE,,2022-01-01,toys\n"),
     "sellers.csv", None, "mixed line endings"),
    # Excel-style: CRLF rows with a bare LF inside a quoted title. That is fine; the extra field is not.
    ("quoted line break beside a field too many",
     replace_file("products", "products.csv",
                  (csv_text(valid_tables()["products"]).replace("\n", "\r\n")
                   + 'B8,S1,toys,"two\nlines",2022-01-01\r\nB9,S1,toys,x,2022-01-01,extra\r\n').encode()),
     "products.csv", None, "Expected Number of Columns"),
]


@pytest.mark.parametrize("change, file, columns, fragment",
                         [pytest.param(*case[1:], id=case[0]) for case in BROKEN])
def test_broken_export_is_refused_and_nothing_changes(tmp_path, db, change, file, columns, fragment):
    before, files_before = snapshot(db), beside(db)
    tables = valid_tables()
    folder = tmp_path / "export"
    folder.mkdir()
    change(tables, folder)
    write_export(folder, tables)

    with pytest.raises(ExportRejected) as refused:
        ingest(folder, db=db, progress=False)

    message = str(refused.value)
    assert "\n" not in message
    assert file in message
    if columns:
        assert f"column{'s' if ',' in columns else ''} {columns}:" in message
    assert fragment in message
    assert snapshot(db) == before
    assert beside(db) == files_before == ["market.duckdb"], "a lock file or the private copy was left behind"


def test_refusal_message_reads_as_documented(tmp_path, db):
    tables = valid_tables()
    for row, value in ((1, "3.5"), (4, "x"), (6, "1e-3")):
        tables["product_daily"][row]["units_sold"] = value
    folder = write_export(tmp_path / "export", tables)
    with pytest.raises(ExportRejected) as refused:
        ingest(folder, db=db, progress=False)
    assert str(refused.value) == (
        f"{folder}/product_daily.csv: column units_sold: not a whole number (or out of range): "
        "3 rows (line 3: '3.5'; line 6: 'x'; line 8: '1e-3')")
    assert refused.value.count == 3 and refused.value.columns == ("units_sold",)


def test_message_quotes_at_most_five_rows(tmp_path, db):
    tables = valid_tables()
    for row in tables["product_daily"]:
        row["price"] = "-1"
    folder = write_export(tmp_path / "export", tables)
    with pytest.raises(ExportRejected) as refused:
        ingest(folder, db=db, progress=False)
    message = str(refused.value)
    assert "8 rows (first: line 2: -1.0; line 3" in message
    assert message.count("line ") == 5


def test_broken_parquet_value_is_refused_with_its_row(tmp_path, db):
    folder = write_export(tmp_path / "export", fmt="parquet")
    con = duckdb.connect()
    con.execute(f"COPY (SELECT * REPLACE (CASE WHEN date = DATE '2024-03-02' AND product_id = 'B0002' "
                f"THEN 3.5 ELSE units_sold END AS units_sold) FROM read_parquet('{folder}/product_daily.parquet')) "
                f"TO '{folder}/product_daily2.parquet' (FORMAT parquet)")
    con.close()
    (folder / "product_daily2.parquet").replace(folder / "product_daily.parquet")
    before = snapshot(db)
    with pytest.raises(ExportRejected) as refused:
        ingest(folder, db=db, progress=False)
    assert str(refused.value).endswith(
        "product_daily.parquet: column units_sold: not a whole number (or out of range): 1 row (row 4: 3.5)")
    assert snapshot(db) == before


def test_refused_first_export_creates_no_database(tmp_path):
    tables = valid_tables()
    tables["reviews"][0]["rating"] = "9"
    db = tmp_path / "new" / "folder" / "new.duckdb"
    with pytest.raises(ExportRejected):
        ingest(write_export(tmp_path / "export", tables), db=db, progress=False)
    assert not db.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"], "no lock file, no folder made for it"


def test_a_load_leaves_only_the_database(tmp_path):
    db = tmp_path / "m.duckdb"
    ingest(write_export(tmp_path / "export"), db=db, progress=False)
    assert beside(db) == ["m.duckdb"]


def test_a_second_job_is_refused_while_one_writes_and_the_lock_goes_with_it(tmp_path, db):
    from analytics import store
    with store.writer_lock(db):
        assert beside(db) == ["market.duckdb", "market.duckdb.lock"]
        with pytest.raises(store.StoreError, match="another ingest or score job is writing"):
            ingest(write_export(tmp_path / "export"), db=db, progress=False)
    assert beside(db) == ["market.duckdb"]
    ingest(write_export(tmp_path / "export"), db=db, progress=False)  # free again


# --- accepted variants -----------------------------------------------------------------------------------

def test_timestamps_with_offsets_are_stored_as_utc(tmp_path):
    tables = valid_tables()
    stamps = {"R1": ("2024-03-01T08:00:00+08:00", "2024-03-01 00:00:00"),
              "R2": ("2024-03-01T10:30:00.250Z", "2024-03-01 10:30:00.25"),
              "R3": ("2024-03-01T01:00:00-05:00", "2024-03-01 06:00:00"),
              "R4": ("2024-03-01 09:15:00", "2024-03-01 09:15:00")}
    for row in tables["reviews"]:
        row["created_at"] = stamps[row["review_id"]][0]
    tables["reviews"][1]["removed_at"] = "2024-03-02T08:00:00.5+05:30"
    db = tmp_path / "m.duckdb"
    ingest(write_export(tmp_path / "export", tables), db=db, progress=False)
    stored = dict(query(db, "SELECT review_id, CAST(created_at AS VARCHAR) FROM reviews"))
    assert stored == {k: v[1] for k, v in stamps.items()}
    assert query(db, "SELECT CAST(removed_at AS VARCHAR) FROM reviews WHERE review_id = 'R2'") == [
        ("2024-03-02 02:30:00.5",)]
    assert query(db, "SELECT data_type FROM information_schema.columns WHERE table_name = 'reviews' "
                     "AND column_name = 'created_at'") == [("TIMESTAMP",)]


def test_booleans_in_the_usual_spellings(tmp_path):
    tables = valid_tables()
    spellings = ["T", "no", "YES", "False"]
    for row, value in zip(tables["reviews"], spellings):
        row["verified_purchase"] = value
    db = tmp_path / "m.duckdb"
    ingest(write_export(tmp_path / "export", tables), db=db, progress=False)
    assert [v for (v,) in query(db, "SELECT verified_purchase FROM reviews ORDER BY review_id")] == [
        True, False, True, False]


def test_utf8_bom_is_tolerated(tmp_path):
    db = tmp_path / "m.duckdb"
    summary = ingest(write_export(tmp_path / "export", bom=True), db=db, progress=False)
    assert summary.rows["sellers"] == 3
    assert query(db, "SELECT seller_id FROM sellers ORDER BY 1") == [("S1",), ("S2",), ("S3",)]


def test_extra_column_is_ignored_with_a_warning(tmp_path):
    tables = valid_tables()
    for row in tables["sellers"]:
        row["internal_notes"] = "secret"
    db = tmp_path / "m.duckdb"
    log = io.StringIO()
    summary = ingest(write_export(tmp_path / "export", tables), db=db, progress=Lines(log))
    assert any("sellers.csv" in w and "'internal_notes'" in w for w in summary.warnings)
    assert "warning: " in log.getvalue() and "internal_notes" in log.getvalue()
    assert "internal_notes" not in [c for (c,) in query(db, "SELECT column_name FROM "
                                                            "information_schema.columns WHERE table_name = 'sellers'")]


def test_optional_table_and_columns_may_be_absent(tmp_path):
    tables = valid_tables()
    del tables["access_log"]
    optional = {t.name: [c.name for c in t.columns if not c.required] for t in schema.INPUT_TABLES}
    for name, rows in tables.items():
        for row in rows:
            for column in optional[name]:
                row.pop(column)
    db = tmp_path / "m.duckdb"
    summary = ingest(write_export(tmp_path / "export", tables), db=db, progress=False)
    assert set(summary.rows) == set(MARKET_TABLES) - {"access_log"}
    assert query(db, "SELECT count(*), count(sales_rank), count(ad_spend) FROM product_daily") == [(8, 0, 0)]
    assert query(db, "SELECT count(*) FROM access_log") == [(0,)]


def test_access_log_without_its_optional_columns(tmp_path):
    tables = valid_tables()
    for row in tables["access_log"]:
        row.pop("seller_id")
        row.pop("product_id")
    db = tmp_path / "m.duckdb"
    ingest(write_export(tmp_path / "export", tables), db=db, progress=False)
    assert query(db, "SELECT count(*), count(seller_id) FROM access_log") == [(3, 0)]


@pytest.mark.parametrize("fmt", ["csv.gz", "parquet"])
def test_gzip_and_parquet_load_the_same_marketplace(tmp_path, loaded_db, fmt):
    db = tmp_path / "m.duckdb"
    ingest(write_export(tmp_path / "export", fmt=fmt), db=db, progress=False)
    assert checksums(db) == checksums(loaded_db)


def test_parquet_types_are_converted_to_the_contract(tmp_path):
    """Parquet as other tools write it: offsets-aware timestamps, BIGINT and whole DOUBLE integers,
    text dates, and an extra nested column."""
    folder = write_export(tmp_path / "export", fmt="parquet")
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"""COPY (SELECT * REPLACE (CAST(created_at AS VARCHAR) || '+08:00' AS created_at),
                               {{'a': 1, 'b': [2, 3]}} AS extra
                        FROM read_parquet('{folder}/reviews.parquet'))
                    TO '{folder}/r.parquet' (FORMAT parquet)""")
    con.execute(f"""COPY (SELECT * REPLACE (CAST(created_at AS TIMESTAMPTZ) AS created_at)
                        FROM read_parquet('{folder}/r.parquet'))
                    TO '{folder}/reviews.parquet' (FORMAT parquet)""")
    con.execute(f"""COPY (SELECT * REPLACE (CAST(units_sold AS DOUBLE) AS units_sold,
                                         CAST(sales_rank AS BIGINT) AS sales_rank,
                                         CAST(date AS VARCHAR) AS date)
                        FROM read_parquet('{folder}/product_daily.parquet'))
                    TO '{folder}/pd.parquet' (FORMAT parquet)""")
    con.close()
    (folder / "r.parquet").unlink()
    (folder / "pd.parquet").replace(folder / "product_daily.parquet")
    db = tmp_path / "m.duckdb"
    summary = ingest(folder, db=db, progress=False)
    assert any("'extra'" in w for w in summary.warnings)
    assert query(db, "SELECT CAST(created_at AS VARCHAR) FROM reviews WHERE review_id = 'R1'") == [
        ("2024-03-01 01:00:00",)]
    assert query(db, "SELECT sum(units_sold), typeof(any_value(units_sold)) FROM product_daily") == [
        (120, "INTEGER")]


def test_parquet_column_named_twice_is_refused(tmp_path, db):
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = write_export(tmp_path / "export")
    (folder / "sellers.csv").unlink()
    columns = valid_tables()["sellers"]
    names = list(columns[0]) + ["city"]
    arrays = [pa.array([row[c] for row in columns]) for c in names]
    pq.write_table(pa.table(arrays, names=names), folder / "sellers.parquet")
    before = snapshot(db)
    with pytest.raises(ExportRejected, match=r"sellers.parquet: column city: named twice in the header"):
        ingest(folder, db=db, progress=False)
    assert snapshot(db) == before


def test_table_with_a_header_and_no_rows_is_valid(tmp_path):
    tables = valid_tables()
    tables["account_events"] = []
    db = tmp_path / "m.duckdb"
    ingest(write_export(tmp_path / "export", tables), db=db, progress=False)
    ingest(write_export(tmp_path / "pq", tables, fmt="parquet"), db=tmp_path / "p.duckdb", progress=False)
    assert query(db, "SELECT count(*) FROM account_events") == [(0,)]
    assert query(tmp_path / "p.duckdb", "SELECT count(*) FROM account_events") == [(0,)]


def test_windows_line_endings(tmp_path, loaded_db):
    folder = write_export(tmp_path / "export")
    for path in folder.iterdir():
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    db = tmp_path / "m.duckdb"
    ingest(folder, db=db, progress=False)
    assert checksums(db) == checksums(loaded_db)


def test_references_may_point_at_rows_already_loaded(tmp_path, db):
    tables = valid_tables()
    tables["sellers"] = [r for r in tables["sellers"] if r["seller_id"] != "S3"]  # B0004's seller
    summary = ingest(write_export(tmp_path / "export", tables), db=db, progress=False)
    assert summary.rows["products"] == 4


# --- merge by key, idempotence ----------------------------------------------------------------------

def test_loading_the_same_export_twice_changes_nothing(tmp_path, db, loaded_db):
    before = checksums(db)
    summary = ingest(write_export(tmp_path / "export"), db=db, progress=False)
    assert checksums(db) == before
    assert all(t.rows_inserted == 0 and t.rows_updated == 0 for t in summary.tables)
    assert query(db, "SELECT count(DISTINCT ingested_at), count(*) FROM ingest_log") == [(2, 12)]


def test_later_export_updates_by_key_and_keeps_what_it_does_not_carry(tmp_path, db):
    tables = valid_tables()
    # A review removed since; a new review; one more day for one product, none for another.
    tables["reviews"][0].update(removed_at="2024-03-04T10:00:00Z", removed_by="customer")
    tables["reviews"].append({"review_id": "R5", "product_id": "B0002", "reviewer_id": "C9", "rating": "3",
                              "created_at": "2024-03-03 10:00:00", "verified_purchase": "yes",
                              "removed_at": None, "removed_by": None})
    tables["product_daily"] = [r for r in tables["product_daily"] if r["product_id"] != "B0002"]
    tables["product_daily"].append({"product_id": "B0001", "date": "2024-03-03", "sales_rank": "1",
                                    "price": "18.99", "units_sold": "30", "ad_spend": None})
    tables["sellers"][0]["city"] = "Dallas"
    for row in tables["products"]:
        row.pop("title")  # an optional column left out: the loaded titles stay
    del tables["access_log"]  # an optional table left out: what was loaded stays
    access_before = checksums(db, ["access_log"])

    summary = ingest(write_export(tmp_path / "export", tables), db=db, progress=False)

    loads = {t.table: (t.rows_inserted, t.rows_updated) for t in summary.tables}
    assert loads["reviews"] == (1, 1)
    assert loads["product_daily"] == (1, 0)
    assert loads["sellers"] == (0, 1)
    assert loads["products"] == (0, 0)
    assert query(db, "SELECT removed_by, CAST(removed_at AS VARCHAR) FROM reviews WHERE review_id = 'R1'") == [
        ("customer", "2024-03-04 10:00:00")]
    assert query(db, "SELECT count(*) FROM reviews") == [(5,)]
    assert query(db, "SELECT count(*) FROM product_daily") == [(9,)]
    assert query(db, "SELECT count(*) FROM product_daily WHERE product_id = 'B0002'") == [(2,)]
    assert query(db, "SELECT city FROM sellers WHERE seller_id = 'S1'") == [("Dallas",)]
    assert query(db, "SELECT title FROM products WHERE product_id = 'B0001'") == [("Wooden train",)]
    assert checksums(db, ["access_log"]) == access_before


def test_access_log_rows_are_their_own_key(tmp_path):
    tables = valid_tables()
    tables["access_log"].append(dict(tables["access_log"][0]))  # the same row twice in one file
    db = tmp_path / "m.duckdb"
    first = ingest(write_export(tmp_path / "export", tables), db=db, progress=False)
    assert query(db, "SELECT count(*) FROM access_log") == [(3,)]
    second = ingest(write_export(tmp_path / "again", tables), db=db, progress=False)
    assert query(db, "SELECT count(*) FROM access_log") == [(3,)]
    assert [t.rows_inserted for t in first.tables if t.table == "access_log"] == [3]
    assert [t.rows_inserted for t in second.tables if t.table == "access_log"] == [0]


def test_the_summary_says_what_was_dropped(tmp_path):
    tables = valid_tables()
    tables["access_log"] += [dict(tables["access_log"][0]), dict(tables["access_log"][1])]  # two repeats
    db = tmp_path / "m.duckdb"
    log = io.StringIO()
    first = ingest(write_export(tmp_path / "export", tables), db=db, progress=Lines(log))
    access = next(t for t in first.tables if t.table == "access_log")
    assert (access.rows_in_file, access.rows_inserted, access.duplicates_dropped) == (5, 3, 2)
    assert access.describe() == "5 rows in file, 3 loaded, 2 exact duplicates dropped"
    assert "ingest: access_log: 5 rows in file, 3 loaded, 2 exact duplicates dropped in" in log.getvalue()
    assert "access_log: 5 rows in file, 3 loaded, 2 exact duplicates dropped" in first.format()
    assert "ingest: product_daily: 8 rows loaded in" in log.getvalue()  # nothing dropped: said plainly

    second = ingest(write_export(tmp_path / "again", tables), db=db, progress=False)
    access = next(t for t in second.tables if t.table == "access_log")
    assert access.describe() == "5 rows in file, 0 new or changed, 3 already loaded as they are, 2 exact duplicates dropped"
    reviews = next(t for t in second.tables if t.table == "reviews")
    assert reviews.describe() == "4 rows in file, 0 new or changed, 4 already loaded as they are"


def test_each_load_is_recorded(tmp_path):
    db = tmp_path / "m.duckdb"
    summary = ingest(write_export(tmp_path / "export"), db=db, progress=False)
    logged = query(db, "SELECT table_name, rows_in_file, rows_inserted, source FROM ingest_log ORDER BY 1")
    assert {r[0]: r[1] for r in logged} == summary.rows
    assert all(r[3] == str((tmp_path / "export").resolve()) for r in logged)


# --- progress --------------------------------------------------------------------------------------------

def test_plain_progress_lines_and_summary(tmp_path):
    log = io.StringIO()
    summary = ingest(write_export(tmp_path / "export"), db=tmp_path / "m.duckdb", progress=Lines(log))
    assert "ingest: product_daily: 8 rows loaded in" in log.getvalue()
    text = summary.format()
    assert "product_daily" in text and "rows in file" in text and " s" in text.splitlines()[0]


def test_bars_follow_a_load(tmp_path):
    bars = Bars()
    bars.console.file = io.StringIO()
    summary = ingest(write_export(tmp_path / "export"), db=tmp_path / "m.duckdb", progress=bars)
    assert summary.rows["product_daily"] == 8
    assert all(task.finished or task.completed == 100 for task in bars.bars.tasks)


# --- the command ---------------------------------------------------------------------------------------

def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analytics", "ingest", *args], capture_output=True,
                          text=True, cwd=REPO, timeout=120, check=False)


def test_cli_loads_and_prints_a_summary(tmp_path):
    db = tmp_path / "m.duckdb"
    done = run_cli(str(write_export(tmp_path / "export")), "--db", str(db))
    assert done.returncode == 0, done.stderr
    assert "product_daily" in done.stdout and "8" in done.stdout
    assert query(db, "SELECT count(*) FROM product_daily") == [(8,)]


def test_cli_refuses_with_one_line_on_stderr(tmp_path, db):
    tables = valid_tables()
    tables["product_daily"][2]["units_sold"] = "3.5"
    before = snapshot(db)
    done = run_cli(str(write_export(tmp_path / "export", tables)), "--db", str(db))
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "product_daily.csv" in errors[0] and "units_sold" in errors[0]
    assert "line 4: '3.5'" in errors[0]
    assert snapshot(db) == before


def test_cli_refuses_a_missing_folder(tmp_path):
    done = run_cli(str(tmp_path / "nowhere"), "--db", str(tmp_path / "m.duckdb"))
    assert done.returncode == 1
    assert done.stderr.strip().startswith("error:") and "no such folder" in done.stderr


# --- a reader keeps answering while the writer swaps the file ------------------------------------------

READER_SCRIPT = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path
    from analytics.store import Reader

    reader, stop = Reader(sys.argv[1]), Path(sys.argv[2])
    counts, queries = set(), 0
    while True:
        stopping = stop.exists()
        with reader.cursor() as cur:
            counts.add(cur.execute("SELECT count(*) FROM product_daily").fetchone()[0])
        queries += 1
        if queries == 1:
            print("ready", flush=True)
        if stopping:
            break
        time.sleep(0.005)
    print(json.dumps({"queries": queries, "counts": sorted(counts)}), flush=True)
""")


def test_reader_process_keeps_answering_while_the_writer_swaps(tmp_path, db):
    stop = tmp_path / "stop"
    reader = subprocess.Popen([sys.executable, "-c", READER_SCRIPT, str(db), str(stop)], cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "ready"
        expected = [8]
        for extra_days in (1, 2, 3):
            tables = valid_tables()
            tables["product_daily"] += [
                {"product_id": "B0001", "date": f"2024-04-0{d}", "sales_rank": "1", "price": "1",
                 "units_sold": "1", "ad_spend": None} for d in range(1, extra_days + 1)]
            ingest(write_export(tmp_path / f"export{extra_days}", tables), db=db, progress=False)
            expected.append(8 + extra_days)
            time.sleep(0.2)
        stop.touch()
        out, err = reader.communicate(timeout=60)
    finally:
        if reader.poll() is None:
            reader.kill()
    assert reader.returncode == 0, err
    seen = json.loads(out.strip().splitlines()[-1])
    assert seen["counts"][0] == 8 and seen["counts"][-1] == 11
    assert set(seen["counts"]) <= set(expected)
    assert seen["queries"] > 10
