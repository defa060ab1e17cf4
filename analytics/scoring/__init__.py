"""``python -m analytics score``: score every seller as of a day and store the run.

The run never looks past its as-of date: every query binds ``$as_of`` (data up to the end of that
day; a review removed later counts as still shown), so scoring at each weekly date reproduces what a
live weekly run would have said then. A run is stored all-or-nothing (``store.rebuild``); re-running
the same as-of replaces it.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analytics import __version__, signals, store
from analytics.scoring.combine import add_q_values, seller_scores
from analytics.scoring.context import ScoringContext


SCORING_DUCKDB_MEMORY = "2GB"  # DuckDB's share while scoring (it spills sorts to disk beyond it)


@dataclass
class RunSummary:
    as_of: dt.date
    sellers_scored: int
    sellers_flagged: int
    seconds: float
    stage_seconds: dict[str, float] = field(default_factory=dict)


def data_span(con) -> tuple[dt.date | None, dt.date | None]:
    row = con.execute('select min("date"), max("date") from product_daily').fetchone()
    return row[0], row[1]


def _tested(module, result) -> pd.DataFrame:
    """The signal's tested sellers with p-values (seller_id, signal, p_value); a signal that does not
    say gives its evidence rows' smallest p per seller."""
    if result.tested is not None:
        tested = result.tested[["seller_id", "p_value"]]
    else:
        tested = (result.evidence.groupby("seller_id", as_index=False)["p_value"].min()
                  if not result.evidence.empty else pd.DataFrame(columns=["seller_id", "p_value"]))
    return tested.assign(signal=module.NAME)[["seller_id", "signal", "p_value"]]


def run_signals(ctx: ScoringContext, *, log=None
                ) -> tuple[pd.DataFrame, dict[str, int], dict[str, float], pd.DataFrame]:
    """Every signal's evidence with q-values, the tests each made, seconds per signal, and every
    tested seller's p-value per signal (seller_id, signal, p_value)."""
    modules = signals.all_signals()
    frames, n_tests, seconds, tested = [], {}, {}, []
    for module in modules:
        started = time.perf_counter()
        result = module.find(ctx)
        seconds[module.NAME] = time.perf_counter() - started
        n_tests[module.NAME] = result.n_tests
        tested.append(_tested(module, result))
        if not result.evidence.empty:
            frames.append(result.evidence)
        if log:
            log(f"  {module.NAME}: {len(result.evidence)} findings from {result.n_tests} sellers tested "
                f"({seconds[module.NAME]:.1f} s)")
    columns = list(signals.EVIDENCE_COLUMNS)
    evidence = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    evidence = add_q_values(evidence, n_tests, {m.NAME: m.FDR for m in modules})
    tests = pd.concat([t for t in tested if not t.empty], ignore_index=True) if any(not t.empty for t in tested) \
        else pd.DataFrame({"seller_id": pd.Series(dtype=object), "signal": pd.Series(dtype=object),
                           "p_value": pd.Series(dtype=float)})
    tests["p_value"] = tests["p_value"].astype(float)
    return evidence, n_tests, seconds, tests


@dataclass
class ScoredRun:
    as_of: dt.date
    scores: pd.DataFrame  # seller_scores rows
    evidence: pd.DataFrame  # evidence rows
    rank_model: pd.DataFrame  # category_rank_model rows
    seconds: dict[str, float]
    tests: pd.DataFrame = field(default_factory=pd.DataFrame)  # signal_tests rows
    n_tests: dict[str, int] = field(default_factory=dict)  # per signal: sellers tested


def score_connection(con, as_of: dt.date | None = None, *, log=None) -> ScoredRun:
    """Score on an open connection without storing anything."""
    first_day, last_day = data_span(con)
    if last_day is None:
        raise ValueError("no product_daily rows loaded: ingest an export before scoring")
    as_of = as_of or last_day
    if as_of < first_day:
        raise ValueError(f"--as-of {as_of} is before the first day in the data ({first_day})")
    if as_of > last_day:
        # A run past the data would look like a quiet week and become the watchlist's latest run.
        raise ValueError(f"--as-of {as_of} is after the last day in the data ({last_day}): load a newer "
                         f"export first, or leave --as-of out to score as of {last_day}")
    ctx = ScoringContext(con=con, as_of=as_of, first_day=first_day)
    sellers = con.execute("select seller_id from sellers where registered_on <= $as_of order by seller_id",
                          {"as_of": as_of}).df()["seller_id"]
    evidence, n_tests, seconds, tests = run_signals(ctx, log=log)
    seconds = {**ctx.timings, **seconds}
    started = time.perf_counter()
    scores = seller_scores(sellers, evidence, {m.NAME: m for m in signals.all_signals()}, tests)
    seconds["combine"] = time.perf_counter() - started
    evidence.insert(0, "as_of", as_of)
    scores.insert(0, "as_of", as_of)
    tests.insert(0, "as_of", as_of)
    return ScoredRun(as_of, scores, evidence, ctx.rank_model.coefficients.assign(as_of=as_of), seconds,
                     tests, n_tests)


def store_run(con, run: ScoredRun, started_at: dt.datetime, settings: dict) -> None:
    as_of, scores, evidence = run.as_of, run.scores, run.evidence
    con.execute("begin transaction")
    for table in ("seller_scores", "evidence", "score_runs", "category_rank_model", "signal_tests", "signal_runs"):
        con.execute(f"delete from {table} where as_of = $as_of", {"as_of": as_of})
    con.register("new_rank_model", run.rank_model)
    con.execute("""insert into category_rank_model (as_of, category, price_coef, ad_coef, product_days)
                   select as_of, category, price_coef, ad_coef, product_days from new_rank_model""")
    con.register("new_scores", scores)
    con.execute("""insert into seller_scores (as_of, seller_id, score, flagged, reasons, signals, score_rank)
                   select as_of, seller_id, score, flagged, reasons, signals, score_rank from new_scores""")
    con.register("new_evidence", evidence)
    con.execute("""insert into evidence (as_of, seller_id, signal, changepoint_date, "before", "after", effect,
                                         p_value, q_value, significant, measure, product_id,
                                         related_seller_id, detail)
                   select as_of, seller_id, signal, changepoint_date, "before", "after", effect,
                          p_value, q_value, significant, measure, product_id, related_seller_id, detail
                   from new_evidence""")
    con.execute("insert into score_runs values ($as_of, $started, $finished, $scored, $flagged, $version, $settings)",
                {"as_of": as_of, "started": started_at, "finished": dt.datetime.now(dt.UTC).replace(tzinfo=None),
                 "scored": len(scores), "flagged": int(scores["flagged"].sum()), "version": __version__,
                 "settings": json.dumps(settings)})
    con.register("new_tests", run.tests)
    con.execute("""insert into signal_tests (as_of, seller_id, signal, p_value)
                   select as_of, seller_id, signal, p_value from new_tests""")
    signal_runs = pd.DataFrame({"signal": list(run.n_tests), "sellers_tested": list(run.n_tests.values())})
    con.register("new_signal_runs", signal_runs.assign(as_of=as_of))
    con.execute("""insert into signal_runs (as_of, signal, sellers_tested, findings, significant)
                   select r.as_of, r.signal, r.sellers_tested,
                          (select count(*) from new_evidence as e where e.signal = r.signal),
                          (select count(*) from new_evidence as e where e.signal = r.signal and e.significant)
                   from new_signal_runs as r""")
    con.unregister("new_tests")
    con.unregister("new_signal_runs")
    con.unregister("new_rank_model")
    con.unregister("new_scores")
    con.unregister("new_evidence")
    con.execute("commit")


def score(*, db: Path | str | None = None, as_of: dt.date | None = None, log=None) -> RunSummary:
    """Score every seller registered by ``as_of`` and store the run (replacing one for the same day)."""
    started = time.perf_counter()
    started_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    db_path = store.resolve(db)
    if not db_path.exists():
        raise store.StoreError(f"{db_path}: no such database; ingest an export first")
    with store.rebuild(db_path) as con:
        # DuckDB would otherwise cache up to 80% of the machine's memory; the run's own arrays need the rest.
        con.execute(f"set memory_limit = '{SCORING_DUCKDB_MEMORY}'")
        run = score_connection(con, as_of, log=log)
        write_started = time.perf_counter()
        settings = {m.NAME: {"fdr": m.FDR, "weight": m.WEIGHT, "core": m.CORE} for m in signals.all_signals()}
        store_run(con, run, started_at, settings)
        run.seconds["write"] = time.perf_counter() - write_started
    flagged = int(run.scores["flagged"].sum())
    return RunSummary(run.as_of, len(run.scores), flagged, time.perf_counter() - started, run.seconds)


def score_command(*, db=None, as_of=None) -> None:
    log = lambda msg: print(msg, file=sys.stderr)  # noqa: E731
    summary = score(db=db, as_of=as_of, log=log)
    log(f"scored {summary.sellers_scored:,} sellers as of {summary.as_of}: {summary.sellers_flagged:,} flagged "
        f"({summary.seconds:.1f} s)")
