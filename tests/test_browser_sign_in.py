"""In a real headless Chromium: a local sign-in survives a reload and a pasted link, and signing out ends it.

The dashboard runs on the weekly review's small marketplace (``tests/review_data.py``: quick to build)
with the demo users and a ``[sign_in]`` section in its working directory's ``.streamlit/secrets.toml``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from analytics import auth
from tests import review_data
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, _free_port, _wait_healthy, settle

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (`make chromium`)")
    root = tmp_path_factory.mktemp("sign-in")
    db = review_data.build_marketplace(root / "market.duckdb")
    (root / ".streamlit").mkdir()
    (root / ".streamlit" / "secrets.toml").write_text(auth.demo_secrets_text(rounds=4), encoding="utf-8")
    port = _free_port()
    env = {**os.environ, "ANOMALY_DB": str(db), "ANOMALY_ANALYST_DB": str(root / "analyst.duckdb")}
    log = root / "streamlit.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(REPO / "dashboard" / "app.py"),
             "--server.address", "127.0.0.1", "--server.port", str(port), "--server.headless", "true",
             "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
            cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, log)
        yield url, root
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def chromium():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def signed_in_as(page, name: str) -> None:
    page.get_by_text(f"Signed in as {name}").first.wait_for(timeout=TIMEOUT_MS)


def sign_in_cookie(context) -> dict | None:
    return next((c for c in context.cookies() if c["name"] == auth.SIGN_IN_COOKIE), None)


def test_a_reload_and_a_pasted_link_keep_the_sign_in_until_sign_out(server, chromium):
    url, root = server
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(url)
    settle(page)
    page.get_by_role("textbox", name="User name").fill("ana")
    page.get_by_role("textbox", name="Password").fill("ana-demo")
    page.get_by_role("button", name="Sign in").click()
    signed_in_as(page, "ana")
    page.wait_for_function(f"document.cookie.includes('{auth.SIGN_IN_COOKIE}=')", timeout=TIMEOUT_MS)

    cookie = sign_in_cookie(context)
    keep_s = tomllib.loads((root / ".streamlit" / "secrets.toml").read_text())["sign_in"]["keep_hours"] * 3600
    assert cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert abs(cookie["expires"] - (time.time() + keep_s)) < 120  # expires with the configured time
    assert "ana-demo" not in cookie["value"]

    page.reload()
    settle(page)
    signed_in_as(page, "ana")
    assert page.get_by_role("textbox", name="Password").count() == 0

    pasted = context.new_page()  # a link pasted into another tab of the same browser
    pasted.goto(f"{url}/week?week={review_data.WEEK}")
    settle(pasted)
    signed_in_as(pasted, "ana")
    assert "/week" in pasted.url and f"week={review_data.WEEK}" in pasted.url
    pasted.close()

    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("textbox", name="Password").wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function(f"!document.cookie.includes('{auth.SIGN_IN_COOKIE}=')", timeout=TIMEOUT_MS)
    page.reload()
    settle(page)
    page.get_by_role("textbox", name="Password").wait_for(timeout=TIMEOUT_MS)
    context.close()
