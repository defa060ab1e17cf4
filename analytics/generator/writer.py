"""Writes the export folder (one file per contract table) and labels.csv beside it.

Formats are mixed as real exports are: small tables as plain CSV, product_daily and access_log as
Parquet, reviews as gzipped CSV (Parquet in light mode, where they run to tens of millions of rows).
CSV timestamps are ISO 8601: mostly UTC with ``Z``, some without an offset (UTC by the contract),
some in local time with an offset such as ``+08:00``, some with milliseconds. Every writer is
deterministic: the same arrays give byte-identical files.
"""

from __future__ import annotations

import gzip as _gzip
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

# Offset styles for CSV timestamps: code -> minutes east of UTC (None = no offset written).
TZ_STYLES = {0: 0, 1: None, 2: 480, 3: -300, 4: 330, 5: -420}


def iso_sql(ms: str, tz: str) -> str:
    """SQL for an ISO 8601 text of the epoch-millisecond column ``ms`` in the style column ``tz``.

    Column names only: values never go into SQL text."""
    minutes = "CASE {tz} WHEN 2 THEN 480 WHEN 3 THEN -300 WHEN 4 THEN 330 WHEN 5 THEN -420 ELSE 0 END"
    minutes = minutes.format(tz=tz)
    return (
        f"strftime(epoch_ms({ms} + 60000 * ({minutes})), '%Y-%m-%dT%H:%M:%S')"
        f" || CASE WHEN {ms} % 1000 <> 0 THEN '.' || lpad(({ms} % 1000)::VARCHAR, 3, '0') ELSE '' END"
        f" || CASE {tz} WHEN 1 THEN '' WHEN 0 THEN 'Z'"
        f" ELSE (CASE WHEN ({minutes}) < 0 THEN '-' ELSE '+' END)"
        f" || lpad((abs({minutes}) // 60)::VARCHAR, 2, '0') || ':' || lpad((abs({minutes}) % 60)::VARCHAR, 2, '0') END"
    )


def _quoted(path: Path) -> str:
    """A file path as an SQL string literal (COPY takes no bound parameter for its target)."""
    return "'" + str(path).replace("'", "''") + "'"


def tz_styles(rng: np.random.Generator, n: int, shares: dict[int, float]) -> np.ndarray:
    codes = np.array(list(shares), dtype=np.int8)
    p = np.array(list(shares.values()), dtype=float)
    return codes[rng.choice(codes.size, n, p=p / p.sum())]


def dictionary(indices: np.ndarray, values: pa.Array) -> pa.DictionaryArray:
    """Strings by index without materialising them; -1 = null."""
    indices = np.asarray(indices)
    mask = indices < 0
    return pa.DictionaryArray.from_arrays(pa.array(np.where(mask, 0, indices).astype(np.int32),
                                                   mask=mask if mask.any() else None), values)


def dates(start: np.datetime64, day: np.ndarray) -> pa.Array:
    return pa.array((start + np.asarray(day, dtype=np.int64)).astype("datetime64[D]"), type=pa.date32())


class ExportWriter:
    def __init__(self, export_dir: Path):
        self.dir = Path(export_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect(config={"threads": 2, "preserve_insertion_order": True})
        self.con.execute("SET enable_progress_bar = false")
        self.files: dict[str, Path] = {}

    def close(self) -> None:
        self.con.close()

    def parquet(self, name: str, table: pa.Table, *, encode: tuple[str, ...] = ()) -> None:
        self.parquet_chunks(name, [table], encode=encode)

    def parquet_chunks(self, name: str, chunks, *, encode: tuple[str, ...] = ()) -> None:
        """One Parquet file from tables built a chunk at a time (bounded memory).

        Dictionary encoding only for the few low-cardinality columns named, and statistics only for
        non-text columns: both cost more than the rest of the write on millions of unique ids."""
        path = self.dir / f"{name}.parquet"
        writer = None
        try:
            for table in chunks:
                schema = pa.schema([pa.field(f.name, f.type.value_type) if pa.types.is_dictionary(f.type)
                                    and f.name not in encode else f for f in table.schema])
                table = table.cast(schema)
                if writer is None:
                    stats = [f.name for f in schema
                             if not pa.types.is_string(f.type) and not pa.types.is_dictionary(f.type)]
                    writer = pq.ParquetWriter(path, schema, compression="zstd", use_dictionary=list(encode),
                                              write_statistics=stats)
                writer.write_table(table, row_group_size=1_000_000)
        finally:
            if writer is not None:
                writer.close()
        self.files[name] = path

    def csv(self, name: str, table: pa.Table, select: str, *, gzip: bool = False) -> None:
        """``select`` is the column list over the registered table ``src`` (formatting only)."""
        plain = self.dir / f"{name}.csv"
        self.con.register("src", table)
        self.con.execute(f"COPY (SELECT {select} FROM src) TO {_quoted(plain)} (HEADER, DELIMITER ',')")
        self.con.unregister("src")
        if gzip:
            # DuckDB's own gzip is several times slower; level 1 and a zero mtime keep it fast and
            # byte-identical between runs.
            path = plain.with_name(plain.name + ".gz")
            with open(plain, "rb") as src, _gzip.GzipFile(path, "wb", compresslevel=1, mtime=0) as dst:
                shutil.copyfileobj(src, dst, 1 << 22)
            plain.unlink()
            self.files[name] = path
        else:
            self.files[name] = plain


def write_labels(path: Path, seller_ids: pa.Array, labels: dict[int, list], start: np.datetime64) -> None:
    sellers = np.array(sorted(labels), dtype=np.int64)
    table = pa.table({
        "seller_id": seller_ids.take(pa.array(sellers)) if sellers.size else pa.array([], pa.string()),
        "scenario": pa.array([labels[s][0] for s in sellers], type=pa.string()),
        "onset_date": dates(start, np.array([labels[s][1] for s in sellers], dtype=np.int64)),
    })
    con = duckdb.connect()
    con.register("labels", table)
    con.execute(f"COPY (SELECT * FROM labels ORDER BY scenario, seller_id) TO {_quoted(path)} (HEADER)")
    con.close()


class MarketExport:
    """Writes the contract tables one at a time, so the caller can drop each big one once written."""

    def __init__(self, export_dir: Path, rng: np.random.Generator, tl, cats, sellers, products, staff, *,
                 light: bool, spelling_rng: np.random.Generator | None = None):
        """``spelling_rng``: write access_log actions and account_events reasons in several case and
        separator styles (variant spellings); None writes them as the generator names them."""
        from analytics.generator.ids import base36_ids

        self.rng, self.light = rng, light
        self.spelling_rng = spelling_rng
        self.start = np.datetime64(tl.start, "D")
        self.seller_ids = base36_ids(np.arange(sellers.n), prefix="A", width=13, salt=11)
        self.product_ids = base36_ids(np.arange(products.n), prefix="B0", width=8, salt=23)
        self.employee_ids = base36_ids(np.arange(staff.n), prefix="E", width=7, salt=53)
        self.category_names = pa.array(cats.names, type=pa.string())
        self.out = ExportWriter(export_dir)
        self.rows: dict[str, int] = {}

    @property
    def files(self) -> dict[str, Path]:
        return self.out.files

    def close(self) -> None:
        self.out.close()

    def sellers(self, sellers) -> None:
        table = pa.table({
            "seller_id": self.seller_ids,
            "seller_name": pa.array(sellers.name, type=pa.string()),
            "country": pa.array(sellers.country, type=pa.string()),
            "city": pa.array(sellers.city, type=pa.string()),
            "registered_on": dates(self.start, sellers.registered_day),
            "primary_category": dictionary(sellers.primary_category, self.category_names),
        })
        self.out.csv("sellers", table, "*")
        self.rows["sellers"] = table.num_rows

    def products(self, products) -> None:
        table = pa.table({
            "product_id": self.product_ids,
            "seller_id": dictionary(products.seller, self.seller_ids),
            "category": dictionary(products.category, self.category_names),
            "title": pa.array(products.title, type=pa.string()),
            "launched_on": dates(self.start, products.launch_day),
        })
        self.out.csv("products", table, "*")
        self.rows["products"] = table.num_rows

    def product_daily(self, sales, *, chunk: int = 4_000_000) -> None:
        def tables():
            for lo in range(0, max(sales.product.size, 1), chunk):
                part = slice(lo, lo + chunk)
                rank, ads = sales.rank[part], sales.ad_spend[part]
                yield pa.table({
                    "product_id": dictionary(sales.product[part], self.product_ids),
                    "date": dates(self.start, sales.day[part]),
                    "sales_rank": pa.array(rank, mask=rank == 0, type=pa.int32()),
                    # Single precision while simulating; written as the cents they are.
                    "price": pa.array(np.round(sales.price[part].astype(np.float64), 2)),
                    "units_sold": pa.array(sales.units[part], type=pa.int32()),
                    "ad_spend": pa.array(np.round(ads.astype(np.float64), 2), mask=np.isnan(ads)),
                })

        self.out.parquet_chunks("product_daily", tables(), encode=("product_id",))
        self.rows["product_daily"] = int(sales.product.size)

    def reviews(self, reviews) -> None:
        from analytics.generator.ids import base36_ids
        from analytics.generator.reviews import REMOVERS

        n = reviews.n
        removed = reviews.removed_by > 0
        reviewer_ids = base36_ids(np.arange(reviews.n_reviewers), prefix="AG", width=12, salt=37)
        removers = dictionary(np.where(removed, reviews.removed_by - 1, -1), pa.array(REMOVERS[1:], type=pa.string()))
        cols = {
            "review_id": base36_ids(np.arange(n), prefix="R", width=12, salt=41),
            "product_id": dictionary(reviews.product, self.product_ids),
            "reviewer_id": dictionary(reviews.reviewer, reviewer_ids),
            "rating": pa.array(reviews.rating, type=pa.int8()),
        }
        if self.light:
            cols |= {
                "created_at": pa.array(reviews.created_ms.astype("datetime64[ms]")),
                "verified_purchase": pa.array(reviews.verified),
                "removed_at": pa.array(reviews.removed_ms.astype("datetime64[ms]"), mask=~removed),
                "removed_by": removers,
            }
            self.out.parquet("reviews", pa.table(cols), encode=("product_id", "removed_by"))
        else:
            cols |= {
                "created_ms": pa.array(reviews.created_ms),
                "created_tz": pa.array(tz_styles(self.rng, n, {0: 0.8, 1: 0.05, 2: 0.1, 3: 0.03, 4: 0.02})),
                "verified_purchase": pa.array(reviews.verified),
                "removed_ms": pa.array(reviews.removed_ms, mask=~removed),
                "removed_by": removers,
            }
            self.out.csv("reviews", pa.table(cols),
                         "review_id, product_id, reviewer_id, rating, "
                         f"{iso_sql('created_ms', 'created_tz')} AS created_at, verified_purchase, "
                         f"{iso_sql('removed_ms', '0')} AS removed_at, removed_by", gzip=True)
        self.rows["reviews"] = n

    def account_events(self, events, sellers) -> None:
        # Some sellers' events arrive in local (China) time with an offset.
        china = sellers.country[events.seller] == "CN" if events.seller.size else np.zeros(0, dtype=bool)
        tz = np.where(china & (self.rng.random(events.seller.size) < 0.4), 2, 0).astype(np.int8)
        reason = events.reason
        if self.spelling_rng is not None:
            # Each region's case system writes reasons its own way, with strays (several tools).
            from analytics.generator.staff import TEAMS, team_of_country
            from analytics.generator.variants import row_styles, spell, tool_styles

            system = tool_styles(self.spelling_rng, len(TEAMS))
            team = team_of_country(sellers.country[events.seller]) if events.seller.size else np.zeros(0, np.int8)
            style = row_styles(self.spelling_rng, system[team.astype(np.int64)], stray=0.25)
            reason = np.array([None if r is None else spell(r, int(k)) for r, k in zip(reason, style)], dtype=object)
        table = pa.table({
            "seller_id": dictionary(events.seller, self.seller_ids),
            "ts_ms": pa.array(events.ts_ms, type=pa.int64()),
            "tz": pa.array(tz),
            "event": pa.array(events.event, type=pa.string()),
            "reason": pa.array(reason, type=pa.string()),
        })
        self.out.csv("account_events", table, f"seller_id, {iso_sql('ts_ms', 'tz')} AS ts, event, reason")
        self.rows["account_events"] = table.num_rows

    def access_log(self, access) -> None:
        from analytics.generator.access import ACTIONS

        action, names = access.action.astype(np.int64), list(ACTIONS)
        if self.spelling_rng is not None:
            # Each employee's tool writes actions its own way, with strays (a second tool, a migration).
            from analytics.generator.variants import STYLES, row_styles, spell, tool_styles

            tool = tool_styles(self.spelling_rng, len(self.employee_ids))
            style = row_styles(self.spelling_rng, tool[access.employee.astype(np.int64)])
            action = action * len(STYLES) + style
            names = [spell(a, k) for a in ACTIONS for k in range(len(STYLES))]
        table = pa.table({
            "employee_id": dictionary(access.employee, self.employee_ids),
            "ts": pa.array(access.ts_ms.astype("datetime64[ms]")),
            "action": dictionary(action, pa.array(names, type=pa.string())),
            "seller_id": dictionary(access.seller, self.seller_ids),
            "product_id": dictionary(access.product, self.product_ids),
        })
        self.out.parquet("access_log", table, encode=("employee_id", "action", "seller_id", "product_id"))
        self.rows["access_log"] = table.num_rows
