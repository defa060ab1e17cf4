"""The suite's guard (``tests/store_guard.py``) catches tests that touch real data or leave secrets.

Each case runs pytest on purpose-made tests in a throwaway git repository, with this suite's own
conftest, and reads what the guard said. One case runs them under pytest-xdist ``-n 2``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from streamlit import config as st_config

from analytics import store
from tests import store_guard

REPO = Path(__file__).resolve().parents[1]

CONFTEST = "from tests.conftest import _isolated_env, guarded_stores  # noqa: F401\n"

CLEAN = '''
from analytics import audit, store

def test_writes_its_own_stores_only(tmp_path):
    audit.record("ana", "sign_in", detail="local")
    assert store.analyst_db_path().parent == tmp_path
'''

# A module-scoped fixture runs outside the per-test isolation: its writes land in the guarded stores.
FIXTURE_LEAK = '''
import pytest
from analytics import audit

@pytest.fixture(scope="module")
def signed_in():
    audit.record("lea@example.com", "sign_in", detail="oidc")

def test_signs_in_outside_its_tmp_path(signed_in):
    pass
'''

# A test that removes the settings altogether falls back on the embedded demo's analysts' store.
UNSET_LEAK = '''
from analytics import audit

def test_removes_the_settings(monkeypatch):
    monkeypatch.delenv("ANOMALY_DB")
    monkeypatch.delenv("ANOMALY_ANALYST_DB")
    audit.record("ana", "sign_in", detail="local")
'''

REPO_LEAK = '''
from pathlib import Path

def test_writes_into_the_repository():
    (Path(__file__).parent / "left-behind.csv").write_text("a,b\\n")
'''

SECRETS_LEAK = '''
from pathlib import Path
from analytics import auth

def test_writes_the_demo_secrets_into_the_project():
    auth.ensure_demo_secrets(Path(__file__).parent / ".streamlit" / "secrets.toml")
'''


def run_pytest(tmp_path: Path, files: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    repo = tmp_path / "project"
    repo.mkdir()
    (repo / "pytest.ini").write_text("[pytest]\n")
    (repo / ".gitignore").write_text("__pycache__/\n.streamlit/secrets.toml\n")
    (repo / "conftest.py").write_text(CONFTEST)
    for name, text in files.items():
        (repo / name).write_text(textwrap.dedent(text))
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "tests"], check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "ANOMALY_"))}
    (tmp_path / "tmp").mkdir()  # where the guard's folder goes (and stays, when it caught something)
    env.update(PYTHONPATH=str(REPO), PYTHONDONTWRITEBYTECODE="1", TMPDIR=str(tmp_path / "tmp"))
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_a_clean_session_passes_and_leaves_nothing(tmp_path):
    done = run_pytest(tmp_path, {"test_clean.py": CLEAN}, "-p", "no:xdist")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Tests touched data" not in done.stdout
    assert not [p for p in (tmp_path / "tmp").iterdir() if p.name.startswith("anomaly-test-guard-")]  # removed


def test_every_kind_of_leak_fails_the_session_and_is_named(tmp_path):
    done = run_pytest(tmp_path, {"test_clean.py": CLEAN, "test_fixture_leak.py": FIXTURE_LEAK,
                                 "test_unset_leak.py": UNSET_LEAK, "test_repo_leak.py": REPO_LEAK,
                                 "test_secrets_leak.py": SECRETS_LEAK}, "-p", "no:xdist")
    out = done.stdout
    assert done.returncode != 0, out
    assert "5 passed, 1 error" in out  # the tests themselves pass: only the guard sees what they did
    assert "Tests touched data or files they must not" in out
    assert f"changed: {store_guard.ANALYSTS_NAME}" in out  # the module fixture's sign-in
    assert "appeared: demo/demo.analyst.duckdb" in out  # the settings removed: the demo's store
    assert "left-behind.csv" in out and "git status of" in out
    assert "a real file was created during the tests:" in out and ".streamlit/secrets.toml" in out
    assert f"changed: {store_guard.MARKETPLACE_NAME}" not in out  # what did not happen is not reported
    kept = [p for p in (tmp_path / "tmp").iterdir() if p.name.startswith("anomaly-test-guard-")]
    assert len(kept) == 1 and str(kept[0]) in out  # kept for a look, and named


def test_the_guard_holds_under_xdist(tmp_path):
    done = run_pytest(tmp_path, {"test_clean.py": CLEAN, "test_fixture_leak.py": FIXTURE_LEAK,
                                 "test_repo_leak.py": REPO_LEAK}, "-n", "2", "--dist", "loadfile")
    out = done.stdout
    assert done.returncode != 0, out
    assert "Tests touched data or files they must not" in out
    assert f"changed: {store_guard.ANALYSTS_NAME}" in out
    assert "left-behind.csv" in out


def test_this_session_is_guarded(guarded_stores, tmp_path):
    # Per test: the test's own stores; underneath, for the whole session: the guarded ones.
    assert Path(os.environ["ANOMALY_DB"]).parent == tmp_path
    assert Path(os.environ["ANOMALY_ANALYST_DB"]).parent == tmp_path
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("ANOMALY_DB")
        patch.delenv("ANOMALY_ANALYST_DB")
        assert store.default_db_path().parent == guarded_stores.folder / "demo"  # never sample_data/
    assert st_config.get_option("secrets.files") == [str(guarded_stores.folder / "secrets.toml")]
    assert guarded_stores.marketplace.exists() and guarded_stores.analysts.exists()
    assert guarded_stores.folder not in tmp_path.parents  # not among pytest's rotated tmp folders
