"""Tiny marketplace exports written the way a real export is: files in a folder, values as text.

``valid_tables()`` is a small marketplace that follows the contract; tests change a value, drop a
column or add a file, then ``write_export`` it as CSV, CSV.gz or Parquet. Values are the raw text a
CSV holds (so a test can write ``3.5`` into an integer column); ``None`` is an empty field.
"""

from __future__ import annotations

import copy
import csv
import gzip
import io
from pathlib import Path

import duckdb

from analytics import schema

Rows = list[dict[str, str | None]]

_VALID: dict[str, Rows] = {
    "sellers": [
        {"seller_id": "S1", "seller_name": "Acme Toys", "country": "US", "city": "Austin",
         "registered_on": "2022-03-01", "primary_category": "toys"},
        {"seller_id": "S2", "seller_name": "Bolt Gadgets", "country": "CN", "city": "Shenzhen",
         "registered_on": "2021-11-15", "primary_category": "electronics"},
        {"seller_id": "S3", "seller_name": "Casa, Home & Co", "country": "DE", "city": None,
         "registered_on": "2023-06-30", "primary_category": "home"},
    ],
    "products": [
        {"product_id": "B0001", "seller_id": "S1", "category": "toys", "title": "Wooden train",
         "launched_on": "2022-04-01"},
        {"product_id": "B0002", "seller_id": "S1", "category": "toys", "title": "Kite",
         "launched_on": "2022-05-01"},
        {"product_id": "B0003", "seller_id": "S2", "category": "electronics", "title": "USB hub",
         "launched_on": "2022-01-10"},
        {"product_id": "B0004", "seller_id": "S3", "category": "home", "title": None,
         "launched_on": "2023-07-01"},
    ],
    "product_daily": [
        {"product_id": p, "date": d, "sales_rank": r, "price": price, "units_sold": u, "ad_spend": a}
        for p, d, r, price, u, a in [
            ("B0001", "2024-03-01", "3", "19.99", "12", "5.00"),
            ("B0001", "2024-03-02", "2", "19.99", "15", None),
            ("B0002", "2024-03-01", "7", "9.50", "4", "0"),
            ("B0002", "2024-03-02", None, "9.50", "0", None),
            ("B0003", "2024-03-01", "1", "24.00", "40", "12.5"),
            ("B0003", "2024-03-02", "1", "22.00", "44", "12.5"),
            ("B0004", "2024-03-01", "5", "35.00", "2", None),
            ("B0004", "2024-03-02", "4", "35.00", "3", None),
        ]
    ],
    "reviews": [
        {"review_id": "R1", "product_id": "B0001", "reviewer_id": "C1", "rating": "5",
         "created_at": "2024-03-01 09:00:00", "verified_purchase": "true", "removed_at": None,
         "removed_by": None},
        {"review_id": "R2", "product_id": "B0001", "reviewer_id": "C2", "rating": "1",
         "created_at": "2024-03-01T10:30:00Z", "verified_purchase": "false",
         "removed_at": "2024-03-02T08:00:00Z", "removed_by": "staff"},
        {"review_id": "R3", "product_id": "B0003", "reviewer_id": "C1", "rating": "4",
         "created_at": "2024-03-02 12:00:00", "verified_purchase": "1", "removed_at": None,
         "removed_by": None},
        {"review_id": "R4", "product_id": "B0004", "reviewer_id": "C3", "rating": "2",
         "created_at": "2024-03-02 13:00:00", "verified_purchase": "0", "removed_at": None,
         "removed_by": None},
    ],
    "account_events": [
        {"seller_id": "S2", "ts": "2024-02-01 00:00:00", "event": "suspended", "reason": "policy"},
        {"seller_id": "S2", "ts": "2024-02-03 00:00:00", "event": "appeal_submitted", "reason": None},
        {"seller_id": "S2", "ts": "2024-02-10 00:00:00", "event": "reinstated", "reason": None},
    ],
    "access_log": [
        {"employee_id": "E1", "ts": "2024-03-01 08:00:00", "action": "view_sales", "seller_id": "S1",
         "product_id": "B0001"},
        {"employee_id": "E1", "ts": "2024-03-01 08:05:00", "action": "view_sales", "seller_id": "S2",
         "product_id": None},
        {"employee_id": "E2", "ts": "2024-03-02 11:00:00", "action": "remove_review", "seller_id": None,
         "product_id": None},
    ],
}


def valid_tables() -> dict[str, Rows]:
    """A fresh copy of the small valid marketplace (every table, every column)."""
    return copy.deepcopy(_VALID)


def csv_text(rows: Rows, header: list[str] | None = None) -> str:
    header = header or (list(rows[0]) if rows else [])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in header])
    return out.getvalue()


def write_export(folder: Path | str, tables: dict[str, Rows] | None = None, *, fmt: str = "csv",
                 headers: dict[str, list[str]] | None = None, bom: bool = False) -> Path:
    """Write ``tables`` (default: the valid marketplace) into ``folder``, one file per table.

    ``fmt``: ``csv``, ``csv.gz`` or ``parquet``. ``headers`` overrides a table's header (for a column
    named twice, say); otherwise it is the first row's keys (an empty table gets the full header).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tables = valid_tables() if tables is None else tables
    for name, rows in tables.items():
        header = (headers or {}).get(name) or (list(rows[0]) if rows else schema.INPUT_BY_NAME[name].column_names)
        text = csv_text(rows, header)
        if fmt == "csv":
            (folder / f"{name}.csv").write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
        elif fmt == "csv.gz":
            (folder / f"{name}.csv.gz").write_bytes(gzip.compress(text.encode()))
        elif fmt == "parquet":
            write_parquet(folder / f"{name}.parquet", name, text, header)
        else:
            raise ValueError(fmt)
    return folder


def write_parquet(path: Path, table_name: str, text: str, header: list[str]) -> None:
    """A Parquet file with the contract's types (text where a value does not parse)."""
    table = schema.INPUT_BY_NAME[table_name]
    tmp = path.with_suffix(".tmp.csv")
    tmp.write_text(text)
    types = {c: table.column(c).sql_type if c in table.column_names else "VARCHAR" for c in header}
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        select = ", ".join(
            f'TRY_CAST("{c}" AS {t}) AS "{c}"' if t != "VARCHAR" else f'"{c}"'
            for c, t in types.items())
        con.execute(f"COPY (SELECT {select} FROM read_csv($p, header = true, all_varchar = true)) "
                    f"TO '{path}' (FORMAT parquet)", {"p": str(tmp)})
    finally:
        con.close()
        tmp.unlink()
