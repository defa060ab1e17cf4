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


RAMP_UP_DAYS = 28  # a new listing climbing the ranks in its first weeks is not a jump


@dataclass
class ProductMatrices:
    """Products x days matrices (NaN = not listed or not ranked that day)."""

    products: pd.DataFrame  # product_idx, product_id, seller_id, category, launched_on
    days: pd.DatetimeIndex
    rel_rank: np.ndarray  # ln(rank / ranked products in the category): share of the category
    log_rank: np.ndarray  # ln(rank), without each product's first weeks after launch
    log_price: np.ndarray
    log_ad_spend: np.ndarray


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
        products = self.query("product_index")
        days = pd.date_range(self.first_day, self.as_of, freq="D")
        shape = (len(products), len(days))
        sql = queries.load("product_rank_matrix")
        cells = self.con.execute(sql, {"as_of": self.as_of, "first_day": self.first_day,
                                       "ramp_up_days": RAMP_UP_DAYS}).fetchnumpy()
        rows = np.asarray(cells["product_idx"], dtype=np.int64)
        cols = np.asarray(cells["day_idx"], dtype=np.int64)

        def scatter(column: str) -> np.ndarray:
            # float32: four products x days matrices at 100,000 sellers are the run's largest objects.
            matrix = np.full(shape, np.nan, dtype=np.float32)
            values = cells[column]
            values = np.ma.filled(values.astype(np.float32), np.nan) if np.ma.isMaskedArray(values) \
                else np.asarray(values, dtype=np.float32)
            matrix[rows, cols] = values
            return matrix

        return ProductMatrices(products, days, scatter("rel_rank"), scatter("log_rank"),
                               scatter("log_price"), scatter("log_ad_spend"))

    @functools.cached_property
    def rank_model(self) -> RankModel:
        m = self.product_matrices
        with self.timed("fit rank model"):
            return fit_rank_model(m.log_rank, m.log_price, m.log_ad_spend, m.products["category"].to_numpy())
