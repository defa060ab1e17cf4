"""Shared fixtures. Tests never touch the demo database or real data; each builds what it needs in tmp_path.

Two layers keep it so:

* per test (``_isolated_env``): ``ANOMALY_DB`` and ``ANOMALY_ANALYST_DB`` point into the test's own
  ``tmp_path``. It uses a ``MonkeyPatch`` of its own, so a test that calls ``monkeypatch.undo()`` (or
  uses ``monkeypatch.context()``) cannot undo it;
* per session (``tests.store_guard.guarded_stores``): everything the app finds its stores and
  secrets through points at guarded stores in a temporary folder, which must be byte-identical at the
  end, with nothing new beside them, the repository's ``git status`` unchanged and the real stores and
  secrets files untouched. See ``tests/store_guard.py``.
"""

from __future__ import annotations

import pytest

from tests.store_guard import guarded_stores  # noqa: F401 - the session's guard, autouse


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path):
    # A test must never read or write the developer's own databases by accident.
    patch = pytest.MonkeyPatch()
    patch.setenv("ANOMALY_DB", str(tmp_path / "marketplace.duckdb"))
    patch.setenv("ANOMALY_ANALYST_DB", str(tmp_path / "analyst.duckdb"))
    yield
    patch.undo()
