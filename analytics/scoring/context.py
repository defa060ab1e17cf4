"""What every signal gets: a connection, the as-of date, and the shared daily matrices."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analytics import queries
from analytics.scoring.rank_model import RankModel, fit_rank_model
from analytics.scoring.screen import ScreenResult, screen_level_shifts


RAMP_UP_DAYS = 28  # a new listing climbing the ranks in its first weeks is not a jump
RANK_SCREEN_DAYS = (28, 7)  # a month of history before a rank change, a week after it
CELL_BATCH = 1_000_000  # daily rows scattered into the matrices at a time
MATRIX_BLOCK = 20_000  # matrix rows derived at a time (bounded temporaries)


@dataclass
class ProductMatrices:
    """Products x days matrices (NaN = not listed or not ranked that day)."""

    products: pd.DataFrame  # product_idx, product_id, seller_id, category, launched_on
    days: pd.DatetimeIndex
    rel_rank: np.ndarray  # ln(rank / ranked products in the category): share of the category
    log_rank: np.ndarray  # ln(rank), without each product's first weeks after launch
    log_price: np.ndarray
    log_ad_spend: np.ndarray

    @functools.cached_property
    def rows_by_seller(self) -> dict[str, np.ndarray]:
        """seller_id -> its product rows (looked up per reported seller; a scan per seller would cost
        seconds at marketplace scale)."""
        return {seller: np.asarray(rows) for seller, rows in self.products.groupby("seller_id").indices.items()}


@dataclass
class ScoringContext:
    con: object  # a DuckDB connection; signals only read
    as_of: dt.date
    first_day: dt.date
    settings: dict = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)  # stage -> seconds, for the benchmark
    _shared: dict = field(default_factory=dict, repr=False)

    def shared(self, key: str, build):
        """What several signals need, built once per run (timed as ``key``) and then reused."""
        if key not in self._shared:
            with self.timed(key):
                self._shared[key] = build()
        return self._shared[key]

    @contextlib.contextmanager
    def timed(self, stage: str):
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - started

    def params(self, **extra) -> dict:
        return {"as_of": self.as_of, **extra}

    def query(self, name: str, **extra) -> pd.DataFrame:
        """Run ``analytics/queries/<name>.sql`` with $as_of (and any extra parameters) bound."""
        sql = queries.load(name)
        bound = {k: v for k, v in self.params(first_day=self.first_day, **extra).items() if f"${k}" in sql}
        return self.con.execute(sql, bound).df()

    @functools.cached_property
    def product_matrices(self) -> ProductMatrices:
        with self.timed("build series"):
            return self._build_product_matrices()

    def _build_product_matrices(self) -> ProductMatrices:
        """Scatter the daily rows into float32 matrices as they stream out of DuckDB (a materialised
        result of tens of millions of rows would be a second copy of everything), then derive the
        relative rank and the launch ramp-up from the matrices themselves."""
        products = self.query("product_index")
        days = pd.date_range(self.first_day, self.as_of, freq="D")
        n_products, n_days = len(products), len(days)
        category_codes, categories = pd.factorize(products["category"])
        category_codes = category_codes.astype(np.int64)

        # float32: these products x days matrices at 100,000 sellers are the run's largest objects.
        log_rank, log_price, log_ad_spend = (np.full((n_products, n_days), np.nan, dtype=np.float32)
                                             for _ in range(3))
        ranked_per_category_day = np.zeros(len(categories) * n_days, dtype=np.int64)
        cells_sql = queries.load("product_daily_cells")
        params = self.params(first_day=self.first_day)
        for batch in self.con.sql(cells_sql, params=params).to_arrow_reader(CELL_BATCH):
            cells = {name: column.to_numpy(zero_copy_only=False)
                     for name, column in zip(batch.schema.names, batch.columns)}
            rows, cols = cells["product_idx"].astype(np.int64), cells["day_idx"].astype(np.int64)
            log_rank[rows, cols] = cells["log_rank"]
            log_price[rows, cols] = cells["log_price"]
            log_ad_spend[rows, cols] = cells["log_ad_spend"]
            ranked = ~np.isnan(cells["log_rank"])
            ranked_per_category_day += np.bincount(category_codes[rows[ranked]] * n_days + cols[ranked],
                                                   minlength=len(ranked_per_category_day))
        log_category_size = np.log(np.maximum(ranked_per_category_day, 1)).reshape(len(categories), n_days)
        log_category_size = log_category_size.astype(np.float32)

        # rel_rank = ln(rank / max(ranked products in the category that day, rank)): <= 0, more
        # negative = better. log_rank leaves out each product's first RAMP_UP_DAYS after launch.
        rel_rank = np.empty_like(log_rank)
        launched = (pd.to_datetime(products["launched_on"]) - days[0]).dt.days.to_numpy(dtype=np.float64)
        first_counted = np.nan_to_num(launched, nan=-np.inf) + RAMP_UP_DAYS
        day_index = np.arange(n_days)
        for lo in range(0, n_products, MATRIX_BLOCK):
            block = slice(lo, min(n_products, lo + MATRIX_BLOCK))
            np.minimum(log_rank[block] - log_category_size[category_codes[block]], 0.0, out=rel_rank[block])
            log_rank[block][day_index[None, :] < first_counted[block, None]] = np.nan
        return ProductMatrices(products, days, rel_rank, log_rank, log_price, log_ad_spend)

    @functools.cached_property
    def rank_screen(self) -> ScreenResult:
        """Every product's most likely sustained rank improvement on the log rank that price and ads
        leave unexplained: screened once per run and shared (the rank-jump evidence and the
        signals that ask what a seller's rank did name the same change)."""
        m = self.product_matrices
        residual = m.log_rank - self.rank_model.explained
        with self.timed("rank screen"):
            return screen_level_shifts(residual, direction=-1, min_before=RANK_SCREEN_DAYS[0],
                                       min_after=RANK_SCREEN_DAYS[1])

    @functools.cached_property
    def rank_model(self) -> RankModel:
        m = self.product_matrices
        with self.timed("fit rank model"):
            return fit_rank_model(m.log_rank, m.log_price, m.log_ad_spend, m.products["category"].to_numpy())
