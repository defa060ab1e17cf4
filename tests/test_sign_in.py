"""A local sign-in survives a page reload for a configurable time, without weakening it; the demo's
sign-in file goes where the README says, and only there.

A reload is a new Streamlit session whose request carries the browser's cookies (``st.context.cookies``).
AppTest cannot send cookies, so these tests hand the gate the cookie the previous session set, through
``auth_gate._request_cookies``; what the browser is told to store is the script the gate draws. The
browser itself (the script really sets the cookie, a real reload keeps the sign-in) is checked in
``tests/test_browser.py``.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

import pytest
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from analytics import audit, auth, store
from analytics.auth import User
from dashboard import auth_gate
from dashboard.auth_gate import SESSION_KEY
from tests import review_data

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "dashboard" / "app.py")
SECRET = "a-test-cookie-secret-that-is-long-enough-0123456789"
NOW_MS = 1_795_000_000_000  # 2026-11-18


def secrets(keep_hours: float | None = None, *, cookie_secret: str = SECRET, lea_password: str = "lea-demo",
            ana_role: str = "analyst") -> dict:
    users = {"ana": ("ana-demo", ana_role), "ben": ("ben-demo", "analyst"), "lea": (lea_password, "lead")}
    out = {"local_users": {name: {"role": role, "password_hash": HASHES[(name, password)]}
                           for name, (password, role) in users.items()},
           "sign_in": {"cookie_secret": cookie_secret}}
    if keep_hours is not None:
        out["sign_in"]["keep_hours"] = keep_hours
    return out


HASHES = {(name, password): auth.hash_password(password, rounds=4)
          for name, password in [("ana", "ana-demo"), ("ben", "ben-demo"), ("lea", "lea-demo"), ("lea", "new-pw")]}


@pytest.fixture
def market() -> Path:
    path = review_data.build_marketplace(Path(os.environ["ANOMALY_DB"]))
    yield path
    import streamlit as st
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def browser(monkeypatch):
    """The browser's cookie jar across sessions, and its clock."""
    jar: dict[str, str] = {}
    clock = {"ahead_ms": 0}  # the server's clock (the audit log's), moved on by the test
    monkeypatch.setattr(auth_gate, "_request_cookies", lambda: dict(jar))
    monkeypatch.setattr(auth_gate, "_now_ms", lambda: int(time.time() * 1000) + clock["ahead_ms"])
    return type("Browser", (), {"jar": jar, "clock": clock})


def session(the_secrets: dict) -> AppTest:
    """A new browser session (first visit or reload) of the app."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets.update(the_secrets)
    return at


def cookie_scripts(at: AppTest) -> list[str]:
    bodies = [h.proto.body for h in at.get("html")]  # the main area and the sidebar
    return [b for b in bodies if auth.SIGN_IN_COOKIE in b]


def store_cookie(at: AppTest, jar: dict) -> str | None:
    """What the browser does with the gate's script: store the cookie, or delete it (Max-Age=0)."""
    for script in cookie_scripts(at):
        value, max_age = re.search(rf"{auth.SIGN_IN_COOKIE}=([^;]*); Max-Age=(\d+)", script).groups()
        if int(max_age) == 0:
            jar.pop(auth.SIGN_IN_COOKIE, None)
        else:
            jar[auth.SIGN_IN_COOKIE] = value
    return jar.get(auth.SIGN_IN_COOKIE)


def sign_in(at: AppTest, username: str = "ana", password: str = "ana-demo") -> AppTest:
    at.run()
    at.text_input(key="sign_in_username").input(username)
    at.text_input(key="sign_in_password").input(password)
    next(b for b in at.button if b.label == "Sign in").click().run()
    return at


def signed_in(at: AppTest) -> bool:
    return not at.exception and [t.value for t in at.title][:1] != ["Sign in"]


# --- through the app -----------------------------------------------------------------------------------

def test_a_reload_keeps_the_sign_in_for_the_configured_time(market, browser):
    at = sign_in(session(secrets(keep_hours=8)))
    assert signed_in(at)
    [script] = cookie_scripts(at)
    assert "Max-Age=28800" in script and "SameSite=Strict" in script and "Path=/" in script
    assert "'https:' ? '; Secure'" in script  # Secure whenever the page is served over HTTPS
    token = store_cookie(at, browser.jar)
    assert "ana-demo" not in token and "$2b$" not in token  # neither the password nor its hash

    reload = session(secrets(keep_hours=8)).run()
    assert signed_in(reload)
    assert reload.session_state[SESSION_KEY] == User("ana", "analyst")
    assert not reload.text_input  # no password asked
    assert audit.events(action="sign_in")["detail"].tolist() == ["local, kept from an earlier sign-in", "local"]

    browser.clock["ahead_ms"] += 8 * 3600 * 1000 + 1  # eight hours later
    expired = session(secrets(keep_hours=8)).run()
    assert [t.value for t in expired.title] == ["Sign in"]
    assert store_cookie(expired, browser.jar) is None  # and the stale cookie is deleted


def test_a_pasted_link_opens_its_page_straight_after_a_reload(market, browser):
    store_cookie(sign_in(session(secrets())), browser.jar)
    at = session(secrets())
    at.run()
    at.switch_page("views/week.py")
    at.query_params["week"] = review_data.WEEK
    at.run()
    assert signed_in(at)
    assert any(review_data.WEEK in t.value for t in at.title)


def test_signing_out_ends_the_kept_sign_in_everywhere(market, browser):
    at = sign_in(session(secrets()))
    token = store_cookie(at, browser.jar)
    copied = dict(browser.jar)  # the same cookie in another browser (or stolen)

    next(b for b in at.sidebar.button if b.label == "Sign out").click().run()
    assert [t.value for t in at.title] == ["Sign in"]  # the session's own request still has the cookie
    assert store_cookie(at, browser.jar) is None  # the browser is told to delete it
    assert audit.events(action="sign_out")["actor"].tolist() == ["ana"]

    browser.jar.update(copied)
    assert [t.value for t in session(secrets()).run().title] == ["Sign in"]  # refused: issued before
    assert auth.read_sign_in_token(secrets(), token, now_ms=int(time.time() * 1000)) is not None  # only so

    again = sign_in(session(secrets()))  # a fresh sign-in is kept again
    store_cookie(again, browser.jar)
    assert signed_in(session(secrets()).run())


@pytest.mark.parametrize("change", ["the password", "the key", "the user removed", "tampered"])
def test_a_kept_sign_in_stops_when_what_it_was_signed_for_changes(market, browser, change):
    store_cookie(sign_in(session(secrets()), "lea", "lea-demo"), browser.jar)
    later = secrets()
    if change == "the password":
        later = secrets(lea_password="new-pw")
    elif change == "the key":
        later = secrets(cookie_secret="another-cookie-secret-that-is-long-enough-987654")
    elif change == "the user removed":
        del later["local_users"]["lea"]
    else:
        browser.jar[auth.SIGN_IN_COOKIE] = browser.jar[auth.SIGN_IN_COOKIE].replace(".bGVh.", ".YW5h.")  # ana
    at = session(later).run()
    assert [t.value for t in at.title] == ["Sign in"]
    assert SESSION_KEY not in at.session_state


def test_the_role_comes_from_the_secrets_not_the_cookie(market, browser):
    store_cookie(sign_in(session(secrets())), browser.jar)
    at = session(secrets(ana_role="lead")).run()
    assert at.session_state[SESSION_KEY] == User("ana", "lead")


def test_keep_hours_zero_keeps_the_sign_in_for_the_tab_only(market, browser):
    at = sign_in(session(secrets(keep_hours=0)))
    assert signed_in(at)
    assert cookie_scripts(at) == [] and store_cookie(at, browser.jar) is None
    assert not any("stay signed in" in c.value for c in session(secrets(keep_hours=0)).run().caption)
    assert any("stay signed in on this browser for 12 hours" in c.value for c in session(secrets()).run().caption)


def test_a_bad_sign_in_setting_says_so_and_keeps_nothing(market, browser):
    at = session({**secrets(), "sign_in": {"cookie_secret": "short"}}).run()
    assert any("cookie_secret must be at least 32 characters" in w.value for w in at.warning)
    assert signed_in(sign_in(at)) and cookie_scripts(at) == []


# --- the token -----------------------------------------------------------------------------------------

def test_the_token_is_signed_over_every_part_of_it():
    s = secrets()
    token = auth.sign_in_token(s, User("ana", "analyst"), now_ms=NOW_MS)
    assert auth.read_sign_in_token(s, token, now_ms=NOW_MS + 1).user == User("ana", "analyst")
    version, name, issued, expires, signature = token.split(".")
    forged = [
        ".".join([version, name, issued, str(int(expires) + 3_600_000), signature]),  # longer life
        ".".join([version, name, str(int(issued) + 1), expires, signature]),  # issued later
        ".".join([version, "YmVu", issued, expires, signature]),  # another user
        ".".join(["v2", name, issued, expires, signature]),
        ".".join([version, name, issued, expires, signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")]),
        token + ".x", "", "not a token", "v1.%%%.1.2.3",
    ]
    for bad in forged:
        assert auth.read_sign_in_token(s, bad, now_ms=NOW_MS + 1) is None, bad
    assert auth.read_sign_in_token(s, token, now_ms=NOW_MS - 120_000) is None  # issued in the future


def test_a_shorter_keep_hours_applies_to_tokens_issued_before():
    token = auth.sign_in_token(secrets(keep_hours=12), User("ana", "analyst"), now_ms=NOW_MS)
    two_hours_later = NOW_MS + 2 * 3600 * 1000
    assert auth.read_sign_in_token(secrets(keep_hours=12), token, now_ms=two_hours_later) is not None
    assert auth.read_sign_in_token(secrets(keep_hours=1), token, now_ms=two_hours_later) is None
    assert auth.read_sign_in_token(secrets(keep_hours=0), token, now_ms=NOW_MS + 1) is None


def test_without_a_configured_key_each_server_process_has_its_own():
    s = secrets()
    del s["sign_in"]
    token = auth.sign_in_token(s, User("ben", "analyst"), now_ms=NOW_MS)
    assert auth.read_sign_in_token(s, token, now_ms=NOW_MS).user.username == "ben"
    assert auth.sign_in_key(s) == auth._PROCESS_KEY and len(auth._PROCESS_KEY) == 32
    assert auth.keep_signed_in_seconds(s) == 12 * 3600


@pytest.mark.parametrize("value", [-1, "soon", 24 * 31])
def test_keep_hours_must_be_sensible(value):
    with pytest.raises(auth.AuthConfigError, match="keep_hours"):
        auth.keep_signed_in_seconds({"sign_in": {"keep_hours": value}})


def test_the_demo_secrets_keep_sign_ins_with_their_own_random_key():
    import tomllib
    first, second = (tomllib.loads(auth.demo_secrets_text(rounds=4)) for _ in range(2))
    assert first["sign_in"]["keep_hours"] == 12
    assert len(first["sign_in"]["cookie_secret"]) >= auth.MIN_COOKIE_SECRET_CHARS
    assert first["sign_in"]["cookie_secret"] != second["sign_in"]["cookie_secret"]


# --- where the demo's sign-in file goes ----------------------------------------------------------------

@pytest.fixture
def secrets_files():
    saved = st_config.get_option("secrets.files")
    yield lambda paths: st_config.set_option("secrets.files", [str(p) for p in paths])
    st_config.set_option("secrets.files", saved)


def test_the_demo_sign_in_goes_to_the_projects_git_ignored_secrets_file(tmp_path, monkeypatch, secrets_files):
    assert auth_gate.demo_secrets_path() == ROOT / ".streamlit" / "secrets.toml"
    target = tmp_path / "project" / ".streamlit" / "secrets.toml"
    monkeypatch.setattr(auth_gate, "demo_secrets_path", lambda: target)
    # `streamlit run dashboard/app.py` adds the script's folder's .streamlit/ too: never written there.
    script_level = tmp_path / "project" / "dashboard" / ".streamlit" / "secrets.toml"
    secrets_files([tmp_path / "home" / ".streamlit" / "secrets.toml", target, script_level])

    auth_gate.ensure_demo_secrets(tmp_path / "not-the-demo.duckdb")
    assert not target.exists()  # real data: no demo users, ever
    auth_gate.ensure_demo_secrets(store.DEMO_DB)
    assert target.exists() and not script_level.exists()
    assert target.stat().st_mode & 0o077 == 0  # readable by its owner only
    assert auth.authenticate(__import__("tomllib").loads(target.read_text()), "ana", "ana-demo")


def test_started_outside_the_project_folder_the_demo_writes_no_sign_in_file(tmp_path, monkeypatch, secrets_files):
    target = tmp_path / "project" / ".streamlit" / "secrets.toml"
    monkeypatch.setattr(auth_gate, "demo_secrets_path", lambda: target)
    elsewhere = tmp_path / "elsewhere" / ".streamlit" / "secrets.toml"
    secrets_files([elsewhere, tmp_path / "project" / "dashboard" / ".streamlit" / "secrets.toml"])
    auth_gate.ensure_demo_secrets(store.DEMO_DB)
    assert not target.exists() and not elsewhere.exists()
    assert not list(tmp_path.rglob("secrets.toml"))


@pytest.mark.parametrize("path", [".streamlit/secrets.toml", "dashboard/.streamlit/secrets.toml",
                                  ".streamlit/secrets.toml.tmp"])
def test_every_secrets_file_the_app_may_write_is_git_ignored(path):
    done = subprocess.run(["git", "-C", str(ROOT), "check-ignore", "-q", path], check=False)
    assert done.returncode == 0, f"{path} is not git-ignored"
    assert subprocess.run(["git", "-C", str(ROOT), "check-ignore", "-q", ".streamlit/secrets.example.toml"],
                          check=False).returncode == 1
