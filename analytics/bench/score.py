"""``python -m analytics.bench score --sellers N``: the whole score at scale, against a naive loop.

Generates (or reuses, under ``bench_data/``, keyed by size, seed and the generator's version) an
N-seller x 365-day marketplace of the default sample mix, then:

1. runs ``score`` in a child process and reports its stages and peak memory (the child's own
   ``ru_maxrss``, so generating and loading the data here does not count);
2. in the same run, times the straightforward way on a sample of sellers: one query per seller, and
   per product a statsmodels OLS with a step at every candidate day plus price and ad spend (HAC
   errors), keeping the best; extrapolated to all sellers.

The last line is exactly ``score: sellers=N seconds=S peak_rss_mb=M speedup_vs_loop=R``.
Targets (issue 3): S <= 120, M <= 6000, R >= 100.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from analytics import store

BENCH_DIR = store.REPO_ROOT / "bench_data"


def cache_name(sellers: int, days: int, seed: int) -> str:
    """The cached marketplace's name: its size, seed and the generator's version (a hash of the
    generator's source), so a changed generator builds a new one."""
    from analytics.generator import generator_version

    return f"market_{sellers}_{days}_{seed}_{generator_version()}"


def _drop_stale(sellers: int, days: int, seed: int, current: str) -> None:
    """Earlier generators' marketplaces of the same size and seed (several GB each at 100k)."""
    prefix = f"market_{sellers}_{days}_{seed}"
    stale = re.compile(re.escape(prefix) + r"(_[0-9a-f]{12})?")
    for path in BENCH_DIR.glob(prefix + "*"):
        stem = path.name.split(".")[0]
        if stem == current or not stale.fullmatch(stem):
            continue
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
        print(f"removed {path.name} (an earlier generator's)", flush=True)


def ensure_marketplace(sellers: int, days: int, seed: int) -> Path:
    """The benchmark database for this size and generator version, generated and ingested once and then
    reused."""
    from analytics.generator import generate
    from analytics.ingest import ingest

    name = cache_name(sellers, days, seed)
    db_path = BENCH_DIR / f"{name}.duckdb"
    if db_path.exists():
        return db_path
    BENCH_DIR.mkdir(exist_ok=True)
    _drop_stale(sellers, days, seed, name)
    out_dir = BENCH_DIR / name
    started = time.perf_counter()
    generate(out_dir, sellers=sellers, days=days, seed=seed, light=sellers > 20_000)
    print(f"generated {sellers:,} sellers x {days} days in {time.perf_counter() - started:.0f} s", flush=True)
    started = time.perf_counter()
    staging = db_path.with_name(db_path.name + ".building")
    staging.unlink(missing_ok=True)
    ingest(out_dir / "export", db=staging)
    staging.replace(db_path)
    print(f"ingested in {time.perf_counter() - started:.0f} s", flush=True)
    return db_path


def _child(db: str) -> None:
    """Runs in the child process: score, then print stage timings and this process's peak RSS."""
    from analytics.scoring import score

    summary = score(db=db)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": summary.seconds, "stages": summary.stage_seconds,
                      "sellers": summary.sellers_scored, "flagged": summary.sellers_flagged,
                      "peak_rss_mb": peak_mb}))


def naive_loop_seconds_per_seller(db_path: Path, sample: int, seed: int) -> float:
    """Seconds per seller for the straightforward per-series statsmodels search."""
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import SingularMatrixWarning

    with store.connect_read_only(db_path) as con:
        seller_ids = con.execute("select seller_id from sellers order by hash(seller_id) limit $n",
                                 {"n": sample}).df()["seller_id"].tolist()
        started = time.perf_counter()
        for seller_id in seller_ids:
            daily = con.execute(
                """select pd.product_id, pd.sales_rank, pd.price, coalesce(pd.ad_spend, 0) as ad_spend
                   from product_daily pd join products p using (product_id)
                   where p.seller_id = $seller and pd.sales_rank is not null and pd.price > 0
                   order by pd.product_id, pd.date""", {"seller": seller_id}).df()
            for _, series in daily.groupby("product_id"):
                y = np.log(series["sales_rank"].to_numpy(float))
                n = len(y)
                if n < 40:
                    continue
                exog = np.column_stack([np.log(series["price"].to_numpy(float)),
                                        np.log1p(series["ad_spend"].to_numpy(float))])
                best = -np.inf
                # A product whose price and ads never moved makes a rank-deficient design: the loop
                # still pays for the fit, which is what is being timed.
                warnings.simplefilter("ignore", SingularMatrixWarning)
                for split in range(28, n - 7):
                    step = (np.arange(n) >= split).astype(float)
                    fit = sm.OLS(y, sm.add_constant(np.column_stack([step, exog]))).fit(
                        cov_type="HAC", cov_kwds={"maxlags": 5})
                    best = max(best, abs(fit.tvalues[1]))
        elapsed = time.perf_counter() - started
    return elapsed / max(len(seller_ids), 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analytics.bench score", description=__doc__.splitlines()[0])
    parser.add_argument("--sellers", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--loop-sample", type=int, default=20,
                        help="sellers timed with the naive loop (extrapolated to all)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child)
        return 0

    db_path = ensure_marketplace(args.sellers, args.days, args.seed)
    work_copy = db_path.with_name(db_path.stem + ".scoring.duckdb")
    work_copy.write_bytes(db_path.read_bytes())  # every run scores the same untouched data
    try:
        child = subprocess.run([sys.executable, "-m", "analytics.bench.score", "--child", str(work_copy)],
                               capture_output=True, text=True, check=False)
        if child.returncode != 0:
            print(child.stderr, file=sys.stderr)
            return child.returncode
        result = json.loads(child.stdout.strip().splitlines()[-1])
    finally:
        work_copy.unlink(missing_ok=True)
    print(f"score of {result['sellers']:,} sellers: {result['seconds']:.1f} s, "
          f"{result['flagged']:,} flagged, peak RSS {result['peak_rss_mb']:.0f} MB")
    for stage, seconds in result["stages"].items():
        print(f"  {stage:<24}{seconds:8.2f} s")

    per_seller = naive_loop_seconds_per_seller(db_path, args.loop_sample, args.seed)
    loop_total = per_seller * result["sellers"]
    speedup = loop_total / result["seconds"]
    print(f"naive per-series statsmodels loop: {per_seller:.3f} s per seller on {args.loop_sample} sellers, "
          f"extrapolated {loop_total / 3600:.1f} h for all")
    print(f"score: sellers={result['sellers']} seconds={result['seconds']:.1f} "
          f"peak_rss_mb={result['peak_rss_mb']:.0f} speedup_vs_loop={speedup:.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
