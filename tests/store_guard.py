"""The suite's guard: tests never touch real data and never leave secrets behind.

A session-scoped fixture (``guarded_stores``, autouse through ``tests/conftest.py``; a plugin of its
own, ``-p tests.store_guard``, so that its own test can run it on purpose-made leaky tests):

* creates a marketplace store and an analysts' store in a fresh temporary folder of its own (made
  with ``tempfile.mkdtemp``, outside pytest's numbered ``tmp_path`` folders, which other tests and
  concurrent pytest runs create and rotate), and points every setting through which the app finds
  its stores or secrets at that folder for the whole session: ``ANOMALY_DB`` and
  ``ANOMALY_ANALYST_DB``, the embedded demo's path (``analytics.store.DEMO_DB`` / ``DEMO_DIR``) and
  Streamlit's ``secrets.files``. The per-test isolation (``tests/conftest.py``) then points the two
  variables at each test's own ``tmp_path``; a test that loses it (``monkeypatch.undo()``, a fixture
  that runs outside it) lands in this folder instead of in real data, and is caught:
* at the end of the session it checks that both stores are byte-identical, that no other file
  appeared beside them (a lock, a WAL, an analysts' store made beside the marketplace, the demo, a
  secrets file), that ``git status --porcelain`` of the repository is what it was at the start, and
  that the real places the session found (the analysts' stores that ``$ANOMALY_DB`` /
  ``$ANOMALY_ANALYST_DB`` and the demo name, a real ``$ANOMALY_DB``, the project's secrets files) were
  neither created, changed nor removed. Any difference fails the run, naming what changed; the
  folder is then kept for a look.

Under pytest-xdist each worker is a process of its own: each runs this fixture for the tests it
runs, with its own folder, and checks the repository at its own end.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from analytics import audit, schema, store

STORE_SETTINGS = ("ANOMALY_DB", "ANOMALY_ANALYST_DB")
MARKETPLACE_NAME = "guard-marketplace.duckdb"
ANALYSTS_NAME = "guard-analysts.duckdb"  # not <marketplace>.analyst.duckdb: that one appearing is a leak


@dataclass(frozen=True)
class GuardedStores:
    folder: Path
    marketplace: Path
    analysts: Path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def folder_state(folder: Path) -> dict[str, str]:
    """Every file and folder under ``folder``: its path relative to it, and its content's digest."""
    state = {}
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        state[name] = "folder" if path.is_dir() else _sha256(path)
    return state


def git_status(repo: Path) -> str | None:
    """``git status --porcelain`` (untracked files listed one by one), or None outside a repository."""
    try:
        done = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=all"],
                              capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def _identity(path: Path) -> tuple | None:
    """What tells that a real file was created, changed or removed, without reading it whole."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def real_places(repo: Path) -> list[Path]:
    """The real files a leaking test would create or change, as the session finds the settings."""
    places: list[Path] = []
    env_db = os.environ.get("ANOMALY_DB")
    if env_db:
        places.append(Path(env_db).expanduser().resolve())  # a developer's own marketplace database
    places.append(store.analyst_db_path(None))  # the analysts' store the settings name ...
    places.append(store.analyst_db_path(store.DEMO_DB))  # ... and the demo's
    places += [repo / ".streamlit" / "secrets.toml", repo / "dashboard" / ".streamlit" / "secrets.toml"]
    try:
        from streamlit import config as st_config
        places += [Path(p) for p in st_config.get_option("secrets.files")]
    except Exception:  # noqa: BLE001 - no Streamlit, no secrets files of its own
        pass
    unique: list[Path] = []
    for place in places:
        if place not in unique:
            unique.append(place)
    return unique


def _build_stores(folder: Path) -> GuardedStores:
    marketplace, analysts = folder / MARKETPLACE_NAME, folder / ANALYSTS_NAME
    con = duckdb.connect(str(marketplace))
    try:
        schema.create_marketplace_schema(con)
        con.execute("INSERT INTO sellers VALUES ('GUARD', 'written by the test guard', 'US', NULL, "
                    "DATE '2026-01-01', 'guard')")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    con = duckdb.connect(str(analysts))
    try:
        audit.ensure_table(con)
        con.execute("INSERT INTO audit_log VALUES (TIMESTAMP '2026-01-01', 'guard', 'sign_in', NULL, "
                    "'written by the test guard: no test may add to it')")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return GuardedStores(folder, marketplace, analysts)


def _diff(before: dict, after: dict) -> list[str]:
    lines = []
    for name in sorted(set(before) | set(after)):
        if name not in after:
            lines.append(f"removed: {name}")
        elif name not in before:
            lines.append(f"appeared: {name}")
        elif before[name] != after[name]:
            lines.append(f"changed: {name}")
    return lines


def _status_diff(before: str, after: str) -> list[str]:
    old, new = set(before.splitlines()), set(after.splitlines())
    return [f"now   {line!r}" for line in sorted(new - old)] + [f"was   {line!r}" for line in sorted(old - new)]


def _repo_root(start: Path) -> Path:
    done = subprocess.run(["git", "-C", str(start), "rev-parse", "--show-toplevel"],
                          capture_output=True, text=True, check=False)
    return Path(done.stdout.strip()) if done.returncode == 0 else start


@pytest.fixture(scope="session", autouse=True)
def guarded_stores(request) -> GuardedStores:
    repo = _repo_root(Path(request.config.rootpath))
    real = {place: _identity(place) for place in real_places(repo)}
    status_before = git_status(repo)

    folder = Path(tempfile.mkdtemp(prefix="anomaly-test-guard-"))
    guarded = _build_stores(folder)
    before = folder_state(folder)

    patch = pytest.MonkeyPatch()  # its own: no test's monkeypatch.undo() reaches it
    patch.setenv("ANOMALY_DB", str(guarded.marketplace))
    patch.setenv("ANOMALY_ANALYST_DB", str(guarded.analysts))
    patch.setattr(store, "DEMO_DIR", folder / "demo")
    patch.setattr(store, "DEMO_DB", folder / "demo" / "demo.duckdb")
    restore_secrets = _point_streamlit_secrets_at(folder / "secrets.toml")
    try:
        yield guarded
    finally:
        restore_secrets()
        patch.undo()

    problems = [f"the guarded stores' folder {folder}: {line}" for line in _diff(before, folder_state(folder))]
    for place, identity in real.items():
        now = _identity(place)
        if now != identity:
            what = "created" if identity is None else "removed" if now is None else "changed"
            problems.append(f"a real file was {what} during the tests: {place}")
    status_after = git_status(repo)
    if status_before is not None and status_after != status_before:
        problems += [f"git status of {repo} changed: {line}"
                     for line in _status_diff(status_before, status_after or "")]
        problems.append("(a file a person or another program changed while the tests ran shows here too: "
                        "if that is all, run the tests again)")
    if problems:
        pytest.fail(f"Tests touched data or files they must not (the guard's folder is kept for a look: {folder}):"
                    "\n  " + "\n  ".join(problems), pytrace=False)
    shutil.rmtree(folder, ignore_errors=True)


def _point_streamlit_secrets_at(path: Path):
    """Streamlit reads secrets from ``secrets.files``; for the session, that is one file in the folder."""
    try:
        from streamlit import config as st_config
    except ImportError:  # pragma: no cover - Streamlit is a requirement
        return lambda: None
    saved = st_config.get_option("secrets.files")
    st_config.set_option("secrets.files", [str(path)])
    return lambda: st_config.set_option("secrets.files", saved)
