"""The generator's variants measured end to end (``evaluate --variants``), and the engine's blindness
to the labels: ingest and score never read them, whatever they say."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from analytics import cli
from analytics.generator import generate
from analytics.variants import ALL, format_results, parse_names, run_variants, size_for

ROOT = Path(__file__).resolve().parents[1]
# The engine: what reads the export and the database to score sellers.
ENGINE = ("analytics/ingest", "analytics/scoring", "analytics/signals", "analytics/changepoints",
          "analytics/queries", "analytics/store.py", "analytics/schema.py")


def _scores(db: Path) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        scores = con.execute("SELECT seller_id, score, flagged, reasons FROM seller_scores ORDER BY seller_id").fetchall()
        evidence = con.execute("SELECT * EXCLUDE (as_of) FROM evidence ORDER BY ALL").fetchall()
    finally:
        con.close()
    return scores + evidence


def test_the_engine_never_reads_labels(tmp_path):
    """Scores are the same whether labels.csv beside the export is true, says every seller is an insider,
    or is gone; and no engine module mentions the labels file or the evaluation that reads it."""
    from analytics.ingest import ingest
    from analytics.scoring import score

    market = generate(tmp_path / "m", sellers=200, days=120, seed=3)
    true_labels = market.labels_path.read_text()
    runs = []
    for case in ("true", "scrambled", "gone"):
        if case == "scrambled":
            ids = [line.split(",")[0] for line in (market.export_dir / "sellers.csv").read_text().splitlines()[1:]]
            market.labels_path.write_text("seller_id,scenario,onset_date\n"
                                          + "".join(f"{s},review_wipe,2026-08-01\n" for s in ids))
        elif case == "gone":
            market.labels_path.unlink()
        db = tmp_path / f"{case}.duckdb"
        ingest(market.export_dir, db=db, progress=False)
        score(db=db)
        runs.append(_scores(db))
    assert true_labels and runs[0] and runs[0] == runs[1] == runs[2]

    for part in ENGINE:
        for path in sorted((ROOT / part).rglob("*")) if (ROOT / part).is_dir() else [ROOT / part]:
            if path.suffix not in (".py", ".sql"):
                continue
            text = path.read_text()
            assert not re.search(r"labels\.csv|read_labels|analytics\.evaluate|import evaluate", text), path


def test_variant_names_and_sizes():
    assert parse_names(None) == list(ALL) == parse_names("all")
    assert ALL[0] == "default" and set(ALL[1:]) == {"lags", "rare", "crowded", "slow", "sessions", "spellings",
                                                     "nolog"}
    assert parse_names("lags, nolog") == ["lags", "nolog"] and parse_names("lags+slow") == ["lags+slow"]
    with pytest.raises(ValueError, match="unknown variant 'fast'"):
        parse_names("lags,fast")
    assert size_for("rare", 1500) == 15_000 and size_for("lags", 1500) == 1500 and size_for("rare+lags", 200) == 2000


def test_the_cli_wires_variants_into_evaluate_and_demo(capsys):
    args = cli.build_parser().parse_args(["evaluate", "--variants"])
    assert args.variants == "all" and args.labels is None and args.sellers == 1500 and args.weeks is None
    args = cli.build_parser().parse_args(["evaluate", "--variants", "lags,nolog", "--sellers", "300", "--seed", "2"])
    assert (args.variants, args.sellers, args.seed) == ("lags,nolog", 300, 2)
    assert cli.build_parser().parse_args(["demo", "--variant", "lags,slow"]).variant == "lags,slow"
    assert cli.build_parser().parse_args(["demo"]).variant == "default"
    assert cli.main(["evaluate", "--variants", "bogus"]) == 1
    assert "unknown variant 'bogus'" in capsys.readouterr().err
    assert cli.main(["evaluate"]) == 1
    assert "--labels" in capsys.readouterr().err
    assert cli.main(["demo", "--variant", "bogus"]) == 1
    assert "unknown generator variant 'bogus'" in capsys.readouterr().err


@pytest.mark.slow
def test_evaluate_variants_builds_scores_and_reports_one_row_each(tmp_path):
    """Each variant in a child process with its memory capped (as the command runs them)."""
    results = run_variants(["plain", "nolog"], sellers=200, days=120, weeks=2, seed=4, keep=tmp_path)
    assert [r.name for r in results] == ["plain", "nolog"]
    for r in results:
        e = r.evaluation
        assert r.sellers == 200 and r.insiders >= 10
        # Better than ranking at random (average precision = the insiders' share of sellers).
        assert e.average_precision > r.insiders / r.sellers and len(e.weekly_runs) == 2
        assert (tmp_path / r.name / "market.duckdb").exists() and (tmp_path / r.name / "labels.csv").exists()
    assert not (tmp_path / "nolog" / "export" / "access_log.parquet").exists()
    text = format_results(results, seed=4, weeks=2)
    lines = text.splitlines()
    assert lines[1].split()[:4] == ["variant", "sellers", "insiders", "AP"]
    assert lines[2].startswith("plain") and lines[3].startswith("nolog")
    assert "wipe " in lines[2] and "reinstate " in lines[3]


def test_a_variant_that_outgrows_its_memory_cap_fails_its_own_row(tmp_path):
    (result,) = run_variants(["plain"], sellers=200, days=120, weeks=1, seed=4, keep=tmp_path, max_memory_gb=0.3)
    assert result.evaluation is None and result.error
    text = format_results([result], seed=4, weeks=1)
    assert "plain" in text.splitlines()[2] and "failed after" in text


@pytest.mark.slow
def test_bought_reinstatements_are_found_in_a_team_where_most_busy_reinstaters_sell_them(tmp_path):
    """The ``crowded`` variant: in one account-health team a tenth of the reinstatements are bought, by
    members who do reinstatements every day, so the team's median busy employee is no yardstick. The
    employees taken as two groups (one lifting most slow-reason suspensions within hours) still find
    most of the bought lifts, and no honest slow reinstatement is flagged."""
    import pandas as pd

    from analytics.ingest import ingest
    from analytics.scoring import score

    market = generate(tmp_path / "m", sellers=1500, seed=7, variants="crowded")
    db = tmp_path / "m.duckdb"
    ingest(market.export_dir, db=db, progress=False)
    score(db=db)
    labels = pd.read_csv(market.labels_path)
    with duckdb.connect(str(db), read_only=True) as con:
        flagged = set(con.execute("select seller_id from seller_scores where flagged").df()["seller_id"])
    bought = set(labels.loc[labels["scenario"] == "bought_reinstatement", "seller_id"])
    honest_slow = set(labels.loc[labels["scenario"] == "benign_slow_reinstatement", "seller_id"])
    assert len(flagged & bought) >= 0.5 * len(bought)
    assert not flagged & honest_slow
