"""``python -m analytics.bench pages [--db PATH]``: how fast each dashboard page answers.

Each page is run through Streamlit's AppTest in this process, the way the server runs it: with the
data cache emptied the run pays for the queries (cold), later reruns are what an analyst gets on every
click and filter change (warm, ``st.cache_data`` keyed by the database version and the run). Before
the pages, one run of the app pays the process's one-off imports, reported apart. Browser rendering is
not included.

For the figures to mean something it prints, in the same run, two baselines: the Data page (a handful
of counts) and one bare DuckDB query on the run's scores; and the budget of issue 5, under 1 s warm at
demo size and under 3 s at 100,000 sellers. Below the pages, the data functions the pages call are
timed without Streamlit, cold, so a slow page can be traced to its query.

The database is only read. A big one: ``python -m analytics demo --sellers 100000 --db /tmp/big.duckdb
--out /tmp/big`` (or ingest ``bench_data/`` from ``python -m analytics.bench score`` and score it); the
scoring run needs several GB of memory at that size.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from analytics import store

APP = store.REPO_ROOT / "dashboard" / "app.py"
DEMO_BUDGET_S, LARGE_BUDGET_S = 1.0, 3.0
LARGE = 20_000  # sellers from which the 100,000-seller budget applies


@dataclass
class Scenario:
    name: str
    page: str | None  # views/<page>.py; None = the home page (watchlist)
    params: dict = field(default_factory=dict)


def _scenarios(con) -> list[Scenario]:
    as_of = con.execute("select max(as_of) from score_runs").fetchone()[0]
    top = con.execute("select seller_id from seller_scores where as_of = $a order by score_rank limit 1",
                      {"a": as_of}).fetchone()[0]
    quiet = con.execute("select seller_id from seller_scores where as_of = $a and not flagged "
                        "order by score_rank desc limit 1", {"a": as_of}).fetchone()[0]
    category, country = con.execute(
        "select s.primary_category, s.country from seller_scores as c join sellers as s using (seller_id) "
        "where c.as_of = $a order by c.score_rank limit 1", {"a": as_of}).fetchone()
    return [
        Scenario("data (baseline)", "data"),
        Scenario("watchlist", None),
        Scenario("watchlist, filtered", None, {"category": category, "country": country, "flagged": "true"}),
        Scenario("watchlist, page 3", None, {"page": "3"}),
        Scenario("watchlist, case box", None, {"selected": top}),
        Scenario("seller, top of the run", "seller", {"seller_id": top}),
        Scenario("seller, unflagged", "seller", {"seller_id": quiet}),
        Scenario("competitors", "competitors", {"focus": category}),
    ]


def _page_timings(scenario: Scenario, timeout: float, warm_runs: int) -> tuple[float, float]:
    """(cold, warm median) seconds for one page, as the server would run it.

    One AppTest per page, reran: a fresh AppTest scans the installed packages for components (about
    half a second that a running server pays once), which is not the page's time. The first, untimed
    run pays for that; then the data cache is emptied and the next run is the cold one.
    """
    import logging

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    # Outside a server Streamlit warns on every page (no script-run context; emptying the data
    # cache); both are expected here and would bury the figures.
    for name in ("streamlit.runtime.caching.cache_data_api", "streamlit.runtime.scriptrunner_utils.script_run_context"):
        logging.getLogger(name).setLevel(logging.ERROR)

    from analytics.auth import User
    from dashboard.auth_gate import SESSION_KEY

    at = AppTest.from_file(str(APP), default_timeout=timeout)
    at.session_state[SESSION_KEY] = User("bench", "analyst")
    if scenario.page:
        at.switch_page(f"views/{scenario.page}.py")
    for key, value in scenario.params.items():
        at.query_params[key] = value

    def run() -> float:
        started = time.perf_counter()
        at.run()
        seconds = time.perf_counter() - started
        if at.exception:
            raise RuntimeError(f"{scenario.name}: {at.exception[0].message}")
        return seconds

    run()
    st.cache_data.clear()
    cold = run()
    warm = statistics.median(run() for _ in range(max(1, warm_runs)))
    return cold, warm


def _functions(con) -> list[tuple[str, float]]:
    """The data functions behind the pages, cold, without Streamlit."""
    from analytics import competitors, seller_view, watchlist

    as_of = con.execute("select max(as_of) from score_runs").fetchone()[0]
    top = con.execute("select seller_id from seller_scores where as_of = $a order by score_rank limit 1",
                      {"a": as_of}).fetchone()[0]
    category = con.execute("select primary_category from sellers where seller_id = $s", {"s": top}).fetchone()[0]
    timings = []

    def timed(name, fn):
        started = time.perf_counter()
        result = fn()
        timings.append((name, time.perf_counter() - started))
        return result

    timed("watchlist.headline", lambda: watchlist.headline(con, as_of))
    timed("watchlist.filter_options", lambda: watchlist.filter_options(con, as_of))
    timed("watchlist.page (50 rows, no trend)", lambda: watchlist.page(con, as_of, with_trend=False))
    page = watchlist.page(con, as_of, with_trend=False)
    sizes = timed("seller_view.category_sizes (once per run)", lambda: seller_view.category_sizes(con, as_of))
    timed("watchlist.rank_trends (50 sellers)",
          lambda: watchlist.rank_trends(con, list(page.rows["seller_id"]), as_of, sizes))
    overview = timed("seller_view.overview", lambda: seller_view.overview(con, top, as_of))
    product = overview.products["product_id"].iloc[0] if not overview.products.empty else None
    timed("seller_view.chart (incl. detect)", lambda: seller_view.chart(con, top, as_of, product, overview.evidence))
    dates = seller_view.rise_dates(overview.evidence) if not overview.evidence.empty else []
    timed("seller_view.rivals_affected", lambda: seller_view.rivals_affected(con, top, as_of, dates))
    timed("seller_view.shared_reviewers", lambda: seller_view.shared_reviewers(con, top, as_of))
    timed("seller_view.staff_access", lambda: seller_view.staff_access(con, top, as_of))
    timed("competitors.category_view", lambda: competitors.category_view(con, category, as_of, sizes=sizes))
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analytics.bench pages", description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=None,
                        help="marketplace database with at least one run (default: $ANOMALY_DB, else the demo)")
    parser.add_argument("--warm", type=int, default=5, metavar="N", help="warm runs per page (median reported)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds a single page run may take")
    args = parser.parse_args(argv)

    db_path = store.resolve(args.db)
    if not db_path.exists():
        print(f"error: {db_path}: no such database; build one with `python -m analytics demo`", file=sys.stderr)
        return 1
    os.environ["ANOMALY_DB"] = str(db_path)  # the app reads the database from the environment
    with duckdb.connect(str(db_path), read_only=True, config=dict(store.READER_CONFIG)) as con:
        runs = con.execute("select count(*) from score_runs").fetchone()[0]
        if not runs:
            print(f"error: {db_path}: no scoring run yet; run `python -m analytics score`", file=sys.stderr)
            return 1
        sellers = con.execute("select count(*) from seller_scores where as_of = (select max(as_of) from score_runs)"
                              ).fetchone()[0]
        product_days = con.execute("select count(*) from product_daily").fetchone()[0]
        scenarios = _scenarios(con)
        started = time.perf_counter()
        con.execute("select count(*), max(score) from seller_scores where as_of = (select max(as_of) from score_runs)"
                    ).fetchone()
        bare_query = time.perf_counter() - started
    budget = LARGE_BUDGET_S if sellers >= LARGE else DEMO_BUDGET_S
    print(f"pages: {db_path} ({sellers:,} sellers in the latest run, {product_days:,} product-days)")
    print(f"budget (issue 5): warm page under {budget:.0f} s "
          f"({'100,000-seller' if budget == LARGE_BUDGET_S else 'demo'} size)")

    started = time.perf_counter()
    _page_timings(Scenario("imports", "data"), args.timeout, 1)
    print(f"one-off process start (imports, first connection): {time.perf_counter() - started:.2f} s\n")

    print(f"{'page':<26}{'cold s':>9}{'warm s':>9}{'x data':>9}  budget")
    over = 0
    baseline_warm = None
    for scenario in scenarios:
        cold, warm = _page_timings(scenario, args.timeout, args.warm)
        baseline_warm = baseline_warm or warm
        ok = warm < budget
        over += not ok
        print(f"{scenario.name:<26}{cold:>9.2f}{warm:>9.2f}{warm / baseline_warm:>9.1f}  {'ok' if ok else 'OVER'}")
    print(f"{'bare DuckDB query':<26}{bare_query:>9.3f}")

    print("\ndata functions behind the pages (cold, no Streamlit):")
    with duckdb.connect(str(db_path), read_only=True, config=dict(store.READER_CONFIG)) as con:
        for name, seconds in _functions(con):
            print(f"  {name:<40}{seconds:>8.3f} s")
    print(f"\npages: sellers={sellers} over_budget={over}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
