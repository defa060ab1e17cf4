"""In a real headless Chromium: a local sign-in survives a reload and a pasted link, and signing out ends it.

The dashboard runs on the weekly review's small marketplace (``tests/review_data.py``: quick to build)
with the demo users and a ``[sign_in]`` section in its working directory's ``.streamlit/secrets.toml``.
"""

from __future__ import annotations

import time
import tomllib

import pytest

from analytics import auth
from tests import review_data
from tests.browser_support import TIMEOUT_MS, chromium_browser, require_chromium, running_dashboard, settle

pytestmark = pytest.mark.browser



@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_chromium()
    root = tmp_path_factory.mktemp("sign-in")
    db = review_data.build_marketplace(root / "market.duckdb")
    (root / ".streamlit").mkdir()
    (root / ".streamlit" / "secrets.toml").write_text(auth.demo_secrets_text(rounds=4), encoding="utf-8")
    with running_dashboard(root, db) as url:
        yield url, root


@pytest.fixture(scope="module")
def chromium():
    with chromium_browser() as browser:
        yield browser


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
