"""`evaluate`: the figures an analyst reads to trust (or not) the detector."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from analytics import scoring
from analytics.evaluate import average_precision, evaluate, format_evaluation
from tests.test_scoring import reinstatement_market  # noqa: F401  (fixture)


def test_average_precision_rewards_insiders_ranked_first():
    positives = np.array([1, 0, 1, 0, 0], dtype=bool)
    assert average_precision(np.array([5.0, 4, 3, 2, 1]), positives) == pytest.approx((1 + 2 / 3) / 2)
    assert average_precision(np.array([1.0, 5, 4, 3, 2]), positives) == pytest.approx((1 / 2 + 2 / 5) / 2)
    # Ties are broken against the detector: a positive tied with negatives counts as ranked last.
    assert average_precision(np.zeros(5), positives) == pytest.approx((1 / 4 + 2 / 5) / 2)


def test_evaluate_reports_recall_look_alikes_and_unlabelled(reinstatement_market, tmp_path):  # noqa: F811
    labels = tmp_path / "labels.csv"
    pd.DataFrame({"seller_id": ["S000", "S084", "S001"],
                  "scenario": ["bought_reinstatement", "benign_fast_verification", "benign_slow_reinstatement"],
                  "onset_date": ["2026-02-10", "2026-02-01", "2026-02-02"]}).to_csv(labels, index=False)
    scoring.score(db=reinstatement_market)
    result = evaluate(db=reinstatement_market, labels=labels)
    assert result.k == 1
    assert result.average_precision == 1.0 and result.precision_at_k == 1.0
    assert result.recall_flagged == 1.0
    assert result.benign_flagged_share == 0.0 and result.unlabelled_flagged_share == 0.0
    per = result.per_scenario.set_index("scenario")
    assert per.loc["bought_reinstatement", "flagged"] == 1
    assert "recall among flagged (insiders): 1.000" in format_evaluation(result)


def test_evaluate_without_a_run_says_what_to_do(reinstatement_market, tmp_path):  # noqa: F811
    labels = tmp_path / "labels.csv"
    labels.write_text("seller_id,scenario,onset_date\nS000,bought_reinstatement,2026-02-10\n")
    done = subprocess.run([sys.executable, "-m", "analytics", "evaluate", "--db", str(reinstatement_market),
                           "--labels", str(labels)], capture_output=True, text=True)
    assert done.returncode == 1
    assert "no scoring run" in done.stderr and done.stderr.count("\n") == 1


def test_score_refuses_an_as_of_past_the_data_and_keeps_the_database(reinstatement_market):  # noqa: F811
    before = reinstatement_market.read_bytes()
    done = subprocess.run([sys.executable, "-m", "analytics", "score", "--db", str(reinstatement_market),
                           "--as-of", "2031-01-01"], capture_output=True, text=True)
    assert done.returncode == 1
    assert "after the last day in the data" in done.stderr and done.stderr.count("\n") == 1
    assert reinstatement_market.read_bytes() == before
