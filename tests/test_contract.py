"""The input contract ships in the repository, generated from ``analytics/schema.py`` so it cannot
drift, and the command line points to it (never to a "CONTRACT section" a user cannot find)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from analytics import contract, schema

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / contract.DOC_PATH


def cli(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "analytics", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_committed_contract_is_what_the_schema_generates():
    assert DOC.read_text(encoding="utf-8") == contract.contract_markdown(), (
        f"{contract.DOC_PATH} is out of date: run `.venv/bin/python -m analytics contract > {contract.DOC_PATH}`")


def test_it_names_every_table_column_and_rule():
    text = contract.contract_markdown()
    for table in schema.INPUT_TABLES:
        assert f"### `{table.name}`" in text
        for column in table.columns:
            assert f"| `{column.name}` |" in text
            if column.check_doc:
                assert column.check_doc in text
        for _, _, doc in table.row_checks:
            assert doc in text
    assert "access_log` (optional)" in text


def test_the_command_prints_it():
    assert cli("contract") == DOC.read_text(encoding="utf-8")


def test_the_help_points_to_the_contract_and_names_the_demo_database():
    main = " ".join(cli("--help").split())
    assert "docs/INPUT_CONTRACT.md" in main and "python -m analytics contract" in main
    assert "CONTRACT section" not in main
    demo = " ".join(cli("demo", "--help").split())
    assert "demo database sample_data/demo/demo.duckdb" in demo  # the file, not "the embedded demo database"
    assert "--sellers N how many sellers" in demo and "--seed S the generator's random seed" in demo
    assert "--days D how many days" in demo
