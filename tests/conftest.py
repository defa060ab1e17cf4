"""Shared fixtures. Tests never touch the demo database; each builds what it needs in tmp_path."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    # A test must never read or write the developer's own databases by accident.
    monkeypatch.setenv("ANOMALY_DB", str(tmp_path / "marketplace.duckdb"))
    monkeypatch.setenv("ANOMALY_ANALYST_DB", str(tmp_path / "analyst.duckdb"))
    yield
