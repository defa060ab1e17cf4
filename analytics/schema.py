"""The one place that knows the database's tables.

Two stores (see ``analytics.store``):

* the marketplace database: the contract's input tables (CONTRACT section 1), every scoring run
  (section 3) and the ingest history. Batch jobs (`ingest`, `score`, `demo`) rebuild it.
* the analysts' store: what people write (cases, notes, saved queries, audit log). Batch jobs never
  open it, so replacing the marketplace database can never lose an analyst's work.

Timestamps are stored as naive ``TIMESTAMP`` values in UTC (the loader converts any offset).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str
    required: bool = True  # required in an export; optional columns may be absent or empty
    doc: str = ""
    # A rule every non-null value must meet, as a SQL condition on the column, and the same rule in
    # words for the loader's refusal message ("must be 1 or more").
    check: str = ""
    check_doc: str = ""


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()  # empty: the row is its own key (access_log)
    optional: bool = False  # the whole table may be absent from an export
    doc: str = ""
    references: tuple[tuple[str, str, str], ...] = field(default=())  # (column, table, column)
    # Rules that span columns: (columns, SQL condition every row must meet, the rule in words).
    row_checks: tuple[tuple[tuple[str, ...], str, str], ...] = field(default=())

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def create_sql(self, name: str | None = None) -> str:
        # No PRIMARY KEY constraint: DuckDB's key index makes bulk loads of tens of millions of rows
        # several times slower, and the loader already proves every key unique before it writes.
        cols = ",\n    ".join(f'"{c.name}" {c.sql_type}' for c in self.columns)
        return f"CREATE TABLE IF NOT EXISTS {name or self.name} (\n    {cols}\n)"


# --- CONTRACT section 1: the marketplace export -------------------------------------------------

ACCOUNT_EVENT_KINDS = ("suspended", "appeal_submitted", "reinstated", "closed")
REMOVERS = ("customer", "automated", "staff")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


SELLERS = Table(
    "sellers",
    (
        Column("seller_id", "VARCHAR", doc="the seller's id"),
        Column("seller_name", "VARCHAR", doc="display name"),
        Column("country", "VARCHAR", doc="ISO 3166 alpha-2 country code",
               check="regexp_full_match(country, '[A-Z]{2}')",
               check_doc="must be an ISO 3166 alpha-2 code (two capital letters, e.g. US)"),
        Column("city", "VARCHAR", required=False, doc="city, where known"),
        Column("registered_on", "DATE", doc="the day the seller account was opened"),
        Column("primary_category", "VARCHAR", doc="the category most of its products are in"),
    ),
    key=("seller_id",),
    doc="One row per seller account.",
)

PRODUCTS = Table(
    "products",
    (
        Column("product_id", "VARCHAR", doc="an ASIN-like product id"),
        Column("seller_id", "VARCHAR", doc="the seller that lists it"),
        Column("category", "VARCHAR", doc="competitors are the other sellers in the same category"),
        Column("title", "VARCHAR", required=False, doc="listing title"),
        Column("launched_on", "DATE", doc="the day the listing went live"),
    ),
    key=("product_id",),
    references=(("seller_id", "sellers", "seller_id"),),
    doc="One row per product listing.",
)

PRODUCT_DAILY = Table(
    "product_daily",
    (
        Column("product_id", "VARCHAR", doc="the product"),
        Column("date", "DATE", doc="the day"),
        Column("sales_rank", "INTEGER", required=False,
               doc="rank within its category that day, 1 = best seller; null = not ranked",
               check="sales_rank >= 1", check_doc="must be 1 or more (or empty)"),
        Column("price", "DOUBLE", doc="listed price that day",
               check="price >= 0 AND isfinite(price)", check_doc="must be a finite number >= 0"),
        Column("units_sold", "INTEGER",
               doc="internal figure, never shown to sellers: the 'sales volume' insiders sell",
               check="units_sold >= 0", check_doc="must be 0 or more"),
        Column("ad_spend", "DOUBLE", required=False, doc="the seller's ad spend on it that day",
               check="ad_spend >= 0 AND isfinite(ad_spend)", check_doc="must be a finite number >= 0 (or empty)"),
    ),
    key=("product_id", "date"),
    references=(("product_id", "products", "product_id"),),
    doc="One row per product per day it was listed.",
)

REVIEWS = Table(
    "reviews",
    (
        Column("review_id", "VARCHAR", doc="the review"),
        Column("product_id", "VARCHAR", doc="the product reviewed"),
        Column("reviewer_id", "VARCHAR", doc="stable pseudonymous customer id"),
        Column("rating", "TINYINT", doc="1 to 5 stars",
               check="rating BETWEEN 1 AND 5", check_doc="must be 1 to 5"),
        Column("created_at", "TIMESTAMP", doc="when it was posted (UTC)"),
        Column("verified_purchase", "BOOLEAN", doc="the reviewer bought the product"),
        Column("removed_at", "TIMESTAMP", required=False, doc="when it was taken down; null while shown"),
        Column("removed_by", "VARCHAR", required=False,
               doc="customer, automated or staff; null while shown",
               check=_one_of("removed_by", REMOVERS),
               check_doc="must be customer, automated or staff (or empty)"),
    ),
    key=("review_id",),
    references=(("product_id", "products", "product_id"),),
    row_checks=((("removed_at", "removed_by"), "(removed_at IS NULL) = (removed_by IS NULL)",
                 "must be both set or both empty"),),
    doc="One row per review ever posted, including removed ones.",
)

ACCOUNT_EVENTS = Table(
    "account_events",
    (
        Column("seller_id", "VARCHAR", doc="the seller"),
        Column("ts", "TIMESTAMP", doc="when (UTC)"),
        Column("event", "VARCHAR", doc="suspended, appeal_submitted, reinstated or closed",
               check=_one_of("event", ACCOUNT_EVENT_KINDS),
               check_doc="must be suspended, appeal_submitted, reinstated or closed"),
        Column("reason", "VARCHAR", required=False, doc="why, where recorded"),
    ),
    key=("seller_id", "ts", "event"),
    references=(("seller_id", "sellers", "seller_id"),),
    doc="Suspensions, appeals, reinstatements and closures of seller accounts.",
)

ACCESS_LOG = Table(
    "access_log",
    (
        Column("employee_id", "VARCHAR", doc="the staff member"),
        Column("ts", "TIMESTAMP", doc="when (UTC)"),
        Column("action", "VARCHAR",
               doc="e.g. view_sales, export_reviewers, remove_review, reinstate_account"),
        Column("seller_id", "VARCHAR", required=False, doc="whose data was touched"),
        Column("product_id", "VARCHAR", required=False, doc="which product, where one"),
    ),
    key=(),
    optional=True,
    references=(("seller_id", "sellers", "seller_id"), ("product_id", "products", "product_id")),
    doc="Internal staff access to seller data (optional table).",
)

INPUT_TABLES: tuple[Table, ...] = (SELLERS, PRODUCTS, PRODUCT_DAILY, REVIEWS, ACCOUNT_EVENTS, ACCESS_LOG)
INPUT_BY_NAME = {t.name: t for t in INPUT_TABLES}



# --- CONTRACT section 3: scoring output, plus run and ingest bookkeeping --------------------------

OUTPUT_DDL = (
    """
    CREATE TABLE IF NOT EXISTS score_runs (
        as_of DATE PRIMARY KEY,
        started_at TIMESTAMP NOT NULL,
        finished_at TIMESTAMP NOT NULL,
        sellers_scored INTEGER NOT NULL,
        sellers_flagged INTEGER NOT NULL,
        engine_version VARCHAR NOT NULL,
        settings VARCHAR            -- JSON: the thresholds the run used
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS seller_scores (
        as_of DATE NOT NULL,
        seller_id VARCHAR NOT NULL,
        score DOUBLE NOT NULL,       -- higher = more suspicious; comparable between runs
        flagged BOOLEAN NOT NULL,    -- worth an analyst's time this week
        reasons VARCHAR NOT NULL,    -- plain words an analyst can read aloud
        signals VARCHAR[],           -- the signals that fired (names as in evidence.signal)
        score_rank INTEGER,          -- 1 = most suspicious in this run
        PRIMARY KEY (as_of, seller_id)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS evidence (
        as_of DATE NOT NULL,
        seller_id VARCHAR NOT NULL,
        signal VARCHAR NOT NULL,
        changepoint_date DATE,
        "before" DOUBLE,             -- the measure's level before the change
        "after" DOUBLE,              -- and after it
        effect DOUBLE,               -- standardised effect size (signal-specific, documented)
        p_value DOUBLE,
        q_value DOUBLE,              -- Benjamini-Hochberg across sellers, per signal
        significant BOOLEAN,         -- q_value under the signal's false-discovery level
        measure VARCHAR,             -- what before/after measure, in words
        product_id VARCHAR,          -- the product concerned, where one
        related_seller_id VARCHAR,   -- the rival concerned, for competitor-targeting signals
        detail VARCHAR               -- one sentence for the analyst
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS signal_tests (
        as_of DATE NOT NULL,
        seller_id VARCHAR NOT NULL,
        signal VARCHAR NOT NULL,
        p_value DOUBLE,              -- the seller-level p-value, reported as evidence or not
        PRIMARY KEY (as_of, signal, seller_id)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS signal_runs (
        as_of DATE NOT NULL,
        signal VARCHAR NOT NULL,
        sellers_tested INTEGER NOT NULL,  -- the hypotheses its false-discovery control counted
        findings INTEGER NOT NULL,        -- evidence rows written
        significant INTEGER NOT NULL,     -- of which significant
        PRIMARY KEY (as_of, signal)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS category_rank_model (
        as_of DATE NOT NULL,
        category VARCHAR NOT NULL,
        price_coef DOUBLE,           -- change in ln(relative rank) per unit of ln(price)
        ad_coef DOUBLE,              -- change in ln(relative rank) per unit of ln(1 + ad spend)
        product_days BIGINT,         -- how many product-days the estimate rests on
        PRIMARY KEY (as_of, category)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS ingest_log (
        ingested_at TIMESTAMP NOT NULL,
        source VARCHAR NOT NULL,
        table_name VARCHAR NOT NULL,
        rows_in_file BIGINT NOT NULL,
        rows_inserted BIGINT NOT NULL,
        rows_updated BIGINT NOT NULL,
        seconds DOUBLE NOT NULL
    )
    """,
)


def create_marketplace_schema(con) -> None:
    """Create every marketplace table that does not exist yet (idempotent)."""
    for table in INPUT_TABLES:
        con.execute(table.create_sql())
    for ddl in OUTPUT_DDL:
        con.execute(ddl)
