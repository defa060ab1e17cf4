"""``python -m analytics evaluate --labels PATH [--weeks K]``: detection quality against ground truth.

Labels (CONTRACT section 1): ``seller_id, scenario, onset_date``; a seller absent from them is
innocent; scenarios starting with ``benign_`` are innocent look-alikes. Everything else is an insider
buyer.
"""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analytics import store

BENIGN_PREFIX = "benign_"


@dataclass
class Evaluation:
    as_of: dt.date
    average_precision: float
    precision_at_k: float
    k: int
    recall_flagged: float
    benign_flagged_share: float
    unlabelled_flagged_share: float
    per_scenario: pd.DataFrame  # scenario, sellers, flagged, share_flagged, median_delay_days, delayed_n
    weekly_runs: list[dt.date]
    median_delay_days: float = float("nan")  # insiders whose onset falls in the weekly window
    delayed_n: int = 0
    calibration: pd.DataFrame | None = None  # per signal: see ``calibration``


def read_labels(path: Path | str) -> pd.DataFrame:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such labels file")
    labels = pd.read_csv(path, dtype={"seller_id": str, "scenario": str})
    missing = {"seller_id", "scenario", "onset_date"} - set(labels.columns)
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
    labels["onset_date"] = pd.to_datetime(labels["onset_date"]).dt.date
    return labels


def average_precision(scores: np.ndarray, positives: np.ndarray) -> float:
    """Mean precision at the rank of each positive, ties broken pessimistically (positives last)."""
    if positives.sum() == 0:
        return float("nan")
    order = np.lexsort((positives, -scores))  # by score desc, then negatives before positives
    hits = positives[order].astype(float)
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float(np.sum(precision * hits) / hits.sum())


CALIBRATION_P = 0.05


def calibration(con, as_of: dt.date, labels: pd.DataFrame) -> pd.DataFrame:
    """Per signal in the run: sellers it tested, the unlabelled ones among them, the share of those with
    p < 0.05 (near 5 % is honest; far below wastes power; far above is false alarms), and the same
    share among insiders (its power at that level)."""
    runs = con.execute("select signal, sellers_tested from signal_runs where as_of = $as_of order by signal",
                       {"as_of": as_of}).df()
    tests = con.execute("select seller_id, signal, p_value from signal_tests where as_of = $as_of",
                        {"as_of": as_of}).df()
    scored = con.execute("select seller_id from seller_scores where as_of = $as_of", {"as_of": as_of}).df()
    scenario = scored.merge(labels[["seller_id", "scenario"]], on="seller_id", how="left")["scenario"]
    unlabelled_share = float(scenario.isna().mean()) if len(scenario) else 0.0
    insider_share = float((scenario.notna() & ~scenario.fillna("").str.startswith(BENIGN_PREFIX)).mean()) \
        if len(scenario) else 0.0
    tests = tests.merge(labels[["seller_id", "scenario"]], on="seller_id", how="left")
    tests["scenario"] = tests["scenario"].fillna("unlabelled")
    tests["low"] = tests["p_value"] < CALIBRATION_P
    is_unlabelled = tests["scenario"] == "unlabelled"
    is_insider = ~is_unlabelled & ~tests["scenario"].str.startswith(BENIGN_PREFIX)
    out = runs.set_index("signal")
    out["with_p"] = tests.groupby("signal").size().reindex(out.index).fillna(0).astype(int)
    # A signal that gives p-values for only the sellers it reports: its tested sellers are counted in
    # proportion (the share is then an estimate, marked as such).
    out["complete"] = out["with_p"] >= out["sellers_tested"]
    low_unlabelled = tests[is_unlabelled].groupby("signal")["low"].sum().reindex(out.index).fillna(0)
    low_insiders = tests[is_insider].groupby("signal")["low"].sum().reindex(out.index).fillna(0)
    unlabelled_tested = tests[is_unlabelled].groupby("signal").size().reindex(out.index).fillna(0)
    insiders_tested = tests[is_insider].groupby("signal").size().reindex(out.index).fillna(0)
    out["unlabelled_tested"] = np.where(out["complete"], unlabelled_tested, out["sellers_tested"] * unlabelled_share)
    insiders_tested = np.where(out["complete"], insiders_tested, out["sellers_tested"] * insider_share)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["unlabelled_p_below_005"] = np.where(out["unlabelled_tested"] > 0,
                                                 low_unlabelled / out["unlabelled_tested"], np.nan)
        out["insiders_p_below_005"] = np.where(insiders_tested > 0, low_insiders / insiders_tested, np.nan)
    return out.reset_index()


def _run_scores(con, as_of: dt.date) -> pd.DataFrame:
    return con.execute("select seller_id, score, flagged from seller_scores where as_of = $as_of",
                       {"as_of": as_of}).df()


def evaluate(*, db: Path | str | None = None, labels: Path | str, weeks: int = 0, log=None) -> Evaluation:
    from analytics.scoring import data_span, score

    label_rows = read_labels(labels)
    db_path = store.resolve(db)
    weekly: list[dt.date] = []
    if weeks > 0:
        with store.connect_read_only(db_path) as con:
            _, last_day = data_span(con)
        weekly = [last_day - dt.timedelta(days=7 * k) for k in range(weeks - 1, -1, -1)]
        for as_of in weekly:
            summary = score(db=db_path, as_of=as_of)
            if log:
                log(f"weekly run {as_of}: {summary.sellers_flagged} flagged ({summary.seconds:.1f} s)")

    with store.connect_read_only(db_path) as con:
        latest = con.execute("select max(as_of) from score_runs").fetchone()[0]
        if latest is None:
            raise ValueError(f"{db_path}: no scoring run stored yet; run `python -m analytics score` first")
        scores = _run_scores(con, latest)
        calibrated = calibration(con, latest, label_rows)
        first_flag = pd.DataFrame(columns=["seller_id", "first_flagged"])
        if weekly:
            runs = [_run_scores(con, d).assign(as_of=d) for d in weekly]
            flagged_runs = pd.concat(runs)
            flagged_runs = flagged_runs[flagged_runs["flagged"]]
            first_flag = flagged_runs.groupby("seller_id", as_index=False)["as_of"].min().rename(
                columns={"as_of": "first_flagged"})

    table = scores.merge(label_rows, on="seller_id", how="left")
    table["scenario"] = table["scenario"].fillna("unlabelled")
    table["insider"] = (table["scenario"] != "unlabelled") & ~table["scenario"].str.startswith(BENIGN_PREFIX)
    insiders = table["insider"].to_numpy()
    k = int(insiders.sum())
    ranked = table.sort_values("score", ascending=False, kind="stable")
    precision_at_k = float(ranked.head(k)["insider"].mean()) if k else float("nan")
    benign = table["scenario"].str.startswith(BENIGN_PREFIX)
    unlabelled = table["scenario"] == "unlabelled"

    table = table.merge(first_flag, on="seller_id", how="left")
    if weekly:
        # Delay is measured for sellers whose first act falls inside the weekly window.
        in_window = pd.to_datetime(table["onset_date"]) >= pd.Timestamp(weekly[0] - dt.timedelta(days=7))
        delay = (pd.to_datetime(table["first_flagged"]) - pd.to_datetime(table["onset_date"])).dt.days
        table["delay_days"] = delay.where(in_window)
    else:
        table["delay_days"] = np.nan

    per_scenario = (
        table.groupby("scenario")
        .agg(sellers=("seller_id", "count"), flagged=("flagged", "sum"),
             median_delay_days=("delay_days", "median"), delayed_n=("delay_days", "count"))
        .reset_index()
    )
    per_scenario["share_flagged"] = per_scenario["flagged"] / per_scenario["sellers"]
    per_scenario = per_scenario[["scenario", "sellers", "flagged", "share_flagged", "median_delay_days", "delayed_n"]]

    return Evaluation(
        as_of=latest,
        average_precision=average_precision(table["score"].to_numpy(float), insiders),
        precision_at_k=precision_at_k,
        k=k,
        recall_flagged=float(table.loc[table["insider"], "flagged"].mean()) if k else float("nan"),
        benign_flagged_share=float(table.loc[benign, "flagged"].mean()) if benign.any() else float("nan"),
        unlabelled_flagged_share=float(table.loc[unlabelled, "flagged"].mean()) if unlabelled.any() else float("nan"),
        per_scenario=per_scenario,
        weekly_runs=weekly,
        median_delay_days=float(table.loc[table["insider"], "delay_days"].median()),
        delayed_n=int(table.loc[table["insider"], "delay_days"].count()),
        calibration=calibrated,
    )


def format_evaluation(result: Evaluation) -> str:
    lines = [
        f"latest run: {result.as_of}",
        f"average precision (insiders vs everyone else): {result.average_precision:.3f}",
        f"precision at K={result.k}: {result.precision_at_k:.3f}",
        f"recall among flagged (insiders): {result.recall_flagged:.3f}",
        f"benign_ look-alikes flagged: {100 * result.benign_flagged_share:.1f} %",
        f"unlabelled sellers flagged: {100 * result.unlabelled_flagged_share:.2f} %",
        "",
        f"{'scenario':<28}{'sellers':>8}{'flagged':>9}{'share':>8}{'median delay (d)':>18}",
    ]
    for row in result.per_scenario.itertuples():
        delay = "" if pd.isna(row.median_delay_days) else f"{row.median_delay_days:.0f} (n={row.delayed_n})"
        lines.append(f"{row.scenario:<28}{row.sellers:>8}{row.flagged:>9}{row.share_flagged:>8.2f}{delay:>18}")
    if result.weekly_runs:
        lines.append(f"weekly runs: {result.weekly_runs[0]} .. {result.weekly_runs[-1]} ({len(result.weekly_runs)})")
        lines.append(f"median detection delay (insiders with onset in the window, flagged in a weekly run): "
                     f"{result.median_delay_days:.0f} days (n={result.delayed_n})")
    if result.calibration is not None and not result.calibration.empty:
        lines += ["", "calibration (latest run): share of tested sellers with p < 0.05 "
                      "(unlabelled: near 5 % is honest; insiders: power)",
                  f"{'signal':<22}{'tested':>8}{'with p':>8}{'unlabelled':>12}{'p<0.05':>10}{'insiders p<0.05':>17}"]
        for row in result.calibration.itertuples():
            mark = "" if row.complete else "*"
            share = "" if pd.isna(row.unlabelled_p_below_005) else f"{100 * row.unlabelled_p_below_005:.1f} %{mark}"
            power = "" if pd.isna(row.insiders_p_below_005) else f"{100 * row.insiders_p_below_005:.1f} %{mark}"
            lines.append(f"{row.signal:<22}{row.sellers_tested:>8}{int(row.with_p):>8}"
                         f"{row.unlabelled_tested:>12.0f}{share:>10}{power:>17}")
        if not result.calibration["complete"].all():
            lines.append("* the signal gives p-values only for the sellers it reports: shares among an "
                         "estimated number tested")
    return "\n".join(lines)


def evaluate_command(*, db=None, labels, weeks: int = 0) -> None:
    result = evaluate(db=db, labels=labels, weeks=weeks, log=lambda m: print(m, file=sys.stderr))
    print(format_evaluation(result))
