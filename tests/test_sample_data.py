"""The committed sample export (sample_data/small) is what a new user loads first: it must load under
the contract and score, with its labels kept outside the export folder."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from analytics import scoring
from analytics.ingest import ingest

SMALL = Path(__file__).resolve().parents[1] / "sample_data" / "small"


def test_the_committed_sample_export_loads_and_scores(tmp_path):
    db = tmp_path / "small.duckdb"
    ingest(SMALL / "export", db=db)
    summary = scoring.score(db=db)
    assert summary.sellers_scored == 300
    labels = pd.read_csv(SMALL / "labels.csv")
    assert not (SMALL / "export" / "labels.csv").exists()  # the engine never sees the ground truth
    with duckdb.connect(str(db), read_only=True) as con:
        scored = con.execute("select seller_id, flagged from seller_scores").df()
    assert set(labels["seller_id"]) <= set(scored["seller_id"])
    insiders = labels[~labels["scenario"].str.startswith("benign_")]
    assert len(insiders) >= 10
    # And the engine finds buyers in it: a new user's first run flags some of the labelled insiders.
    flagged = set(scored.loc[scored["flagged"], "seller_id"])
    assert len(flagged & set(insiders["seller_id"])) >= 5
