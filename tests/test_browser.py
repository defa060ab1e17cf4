"""End to end in a real headless Chromium: the demo marketplace (small), `streamlit run`, sign in, the
watchlist, click the top seller (its case box opens under the table), follow the link to its page, its
chart with change-point markers, and back; then a screenshot of every page at 1400 px wide (the whole
page, however long) and of meeting mode at 1920x1080, a projector's screen. With
UPDATE_SCREENSHOTS=FOLDER (``make screenshots``) it runs on the full demo and saves the README's images (watchlist.png,
seller.png, meeting.png) in FOLDER, which the Makefile then copies into docs/screenshots/; every page's
screenshot goes to a temporary folder, printed at the end (``pytest -s``). A test run never changes
tracked files.

Playwright drives Debian's /usr/bin/chromium (``make chromium`` installs it); it never downloads a
browser. Streamlit draws tables on a canvas, so the row is clicked by position; everything else waits
on Streamlit's data-testid selectors.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from analytics import auth
from analytics.demo import build_demo
from tests.browser_support import TIMEOUT_MS, chromium_browser, require_chromium, running_dashboard, settle

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
# `make screenshots` sets it to a folder: the full demo, and the README's images saved there (the Makefile
# copies them into docs/screenshots/ after the run, so the run itself never changes tracked files).
UPDATE_SCREENSHOTS = os.environ.get("UPDATE_SCREENSHOTS", "")
VIEWPORT = {"width": 1600, "height": 2000}  # tall: the main area scrolls inside its own container
ROW_HEIGHT = 80  # dashboard/views/watchlist.py's ROW_HEIGHT
HEADER_HEIGHT = 38  # the table's header row


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    require_chromium()
    root = tmp_path_factory.mktemp("browser")
    size = {} if UPDATE_SCREENSHOTS else {"sellers": 150, "days": 120}
    return build_demo(db=root / "demo.duckdb", out=root / "demo", log=lambda _: None, **size)


@pytest.fixture(scope="module")
def server(demo_db):
    root = demo_db.parent
    db = demo_db
    # Streamlit reads secrets from the working directory's .streamlit/: the demo's public sign-ins.
    (root / ".streamlit").mkdir()
    (root / ".streamlit" / "secrets.toml").write_text(auth.demo_secrets_text(), encoding="utf-8")
    # viewer toolbar, as .streamlit/config.toml (this working directory has its own)
    with running_dashboard(root, db, "--client.toolbarMode", "viewer") as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium_browser() as chromium:
        yield chromium


def sign_in(page, url: str, user: str = "ana") -> None:
    page.goto(url)
    settle(page)
    page.get_by_role("textbox", name="User name").fill(user)
    page.get_by_role("textbox", name="Password").fill(f"{user}-demo")
    page.get_by_role("button", name="Sign in").click()


def wait_for_charts(page) -> None:
    """Plotly draws into its element after Streamlit placed it: wait until every chart has its axes."""
    charts = page.locator('[data-testid="stPlotlyChart"]')
    for i in range(charts.count()):
        charts.nth(i).locator("svg.main-svg").first.wait_for(timeout=TIMEOUT_MS)
    page.wait_for_timeout(500)


def whole_page_screenshot(page, path: Path, width: int) -> None:
    """The main area scrolls inside its own element, so a full-page screenshot would stop at the
    window: make the window as tall as the main area's content, then take it."""
    height = 0
    for _ in range(4):  # a taller window can reflow the page (charts resize): until it holds still
        wanted = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
        wanted = max(600, min(int(wanted), 16_000))
        if wanted == height:
            break
        height = wanted
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(400)
        settle(page)
    page.screenshot(path=str(path))


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    if UPDATE_SCREENSHOTS:
        folder = Path(UPDATE_SCREENSHOTS)
        if not folder.is_absolute() or folder.resolve().is_relative_to(REPO):
            pytest.fail("UPDATE_SCREENSHOTS must name a folder outside the repository (make screenshots "
                        "copies the images into docs/screenshots/ afterwards)")
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    return tmp_path_factory.mktemp("screenshots")


def test_watchlist_to_seller_chart_and_back(server, browser, screenshots):
    page = browser.new_page(viewport=VIEWPORT)
    sign_in(page, server)
    table = page.locator('[data-testid="stDataFrame"]').first
    table.wait_for(timeout=TIMEOUT_MS)
    settle(page)
    assert page.get_by_role("heading", name="Watchlist").is_visible()
    page.screenshot(path=str(screenshots / "watchlist.png"))

    # Select the top row: its checkbox sits in the first column, one header row down. The seller's case
    # box opens under the table, with the link to the seller's page.
    box = table.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + HEADER_HEIGHT + ROW_HEIGHT / 2)
    page.wait_for_url("**selected=*", timeout=TIMEOUT_MS)
    settle(page)
    case_button = page.get_by_role("button", name="Open a case").or_(page.get_by_role("button", name="Save"))
    case_button.first.wait_for(timeout=TIMEOUT_MS)
    selected = re.search(r"selected=([^&]+)", page.url).group(1)
    page.get_by_role("link", name=re.compile("Open the seller's page")).click()
    page.wait_for_url(f"**/seller?seller_id={selected}*", timeout=TIMEOUT_MS)
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    chart.wait_for(timeout=TIMEOUT_MS)
    settle(page)
    # Plotly draws legends and markers after the element appears: wait for them, then count. Each panel
    # has its own legend (classes legendtext, legend2text, ...), so match any SVG text.
    chart.locator("svg text", has_text="change point").first.wait_for(timeout=TIMEOUT_MS)
    chart.locator("svg text", has_text="finding:").first.wait_for(timeout=TIMEOUT_MS)
    assert chart.locator(".scatterlayer .trace .point").count() > 0  # the change-point diamonds
    assert page.get_by_role("heading", name="Evidence").is_visible()
    # The README shows the chart: bring it to the top of the main area (which scrolls on its own).
    page.get_by_role("heading", name="What moved, and when").evaluate("element => element.scrollIntoView()")
    page.wait_for_timeout(300)
    page.screenshot(path=str(screenshots / "seller.png"))

    page.get_by_text("Back to the watchlist").click()
    page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=TIMEOUT_MS)
    settle(page)
    assert page.get_by_role("heading", name="Watchlist").is_visible()
    page.close()



def test_meeting_mode_walks_one_step_from_a_pasted_link(server, browser, demo_db):
    """A link into meeting mode survives the sign-in, shows the item's chart and case box, and Next
    moves to the following screen (the next item, or the closing summary)."""
    page = browser.new_page(viewport=VIEWPORT)
    sign_in(page, f"{server}/meeting?week={agenda_week(demo_db)}&item=1")
    page.locator('[data-testid="stHeading"]').first.wait_for(timeout=TIMEOUT_MS)
    settle(page)
    assert "/meeting" in page.url and "item=1" in page.url
    position = page.get_by_text(re.compile(r"item 1 of \d+")).first
    position.wait_for(timeout=TIMEOUT_MS)
    total = int(re.search(r"item 1 of (\d+)", position.inner_text()).group(1))
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    chart.wait_for(timeout=TIMEOUT_MS)
    chart.locator("svg text", has_text="finding:").first.wait_for(timeout=TIMEOUT_MS)
    assert page.get_by_role("button", name="Open a case").is_visible() or page.get_by_role(
        "button", name="Save").is_visible()
    first_title = page.locator("h1").first.inner_text()

    page.get_by_role("button", name="Next ▶").click()
    page.wait_for_url("**/meeting?*item=2*", timeout=TIMEOUT_MS)
    settle(page)
    expected = "item 2 of" if total >= 2 else "summary"
    page.get_by_text(expected, exact=False).first.wait_for(timeout=TIMEOUT_MS)
    assert page.locator("h1").first.inner_text() != first_title
    page.close()


def top_seller(db: Path) -> str:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("select seller_id from seller_scores where as_of = (select max(as_of) from score_runs) "
                           "order by score_rank limit 1").fetchone()[0]


def agenda_week(db: Path) -> str:
    """The latest ISO week whose run flags someone the run before did not (the first run flags everyone
    anew): a week with items on its meeting agenda."""
    import duckdb

    from analytics import weekly

    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("""
            with flags as (select as_of, list(seller_id order by seller_id) filter (where flagged) as ids
                           from seller_scores group by as_of)
            select as_of, ids, lag(ids) over (order by as_of) as before from flags order by as_of desc""").fetchall()
    for as_of, ids, before in rows:
        if ids and (before is None or set(ids) - set(before)):
            return weekly.week_of(as_of)
    return weekly.week_of(rows[0][0])


PAGE_WIDTH = 1400
MEETING_SCREEN = {"width": 1920, "height": 1080}


def test_every_page_has_a_screenshot(server, browser, screenshots, demo_db, tmp_path_factory):
    """Every page at 1400 px wide, signed in as a lead (who also sees the audit log), and meeting mode
    on a 1920x1080 projector; a look at them is what finds clipped titles and unreadable legends."""
    seller = top_seller(demo_db)
    folder = tmp_path_factory.mktemp("pages")  # every page; the README's own images go to `screenshots`
    week = agenda_week(demo_db)
    pages = {"watchlist": "", "seller": f"seller?seller_id={seller}", "competitors": "competitors", "data": "data",
             "sql": "sql", "week": f"week?week={week}", "meeting": f"meeting?week={week}&item=1", "cases": "cases",
             "audit": "audit"}
    page = browser.new_page(viewport={"width": PAGE_WIDTH, "height": 1000})
    sign_in(page, server, user="lea")
    page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=TIMEOUT_MS)
    saved = []
    for name, path in pages.items():
        page.set_viewport_size({"width": PAGE_WIDTH, "height": 1000})
        page.goto(f"{server}/{path}")
        page.locator('[data-testid="stHeading"]').first.wait_for(timeout=TIMEOUT_MS)
        settle(page)
        wait_for_charts(page)
        assert not page.locator('[data-testid="stException"]').count(), name
        target = folder / f"page-{name}.png"
        whole_page_screenshot(page, target, PAGE_WIDTH)
        saved.append(target)
    page.close()

    page = browser.new_page(viewport=MEETING_SCREEN)
    sign_in(page, f"{server}/meeting?week={week}&item=1", user="lea")
    page.locator('[data-testid="stPlotlyChart"]').first.wait_for(timeout=TIMEOUT_MS)
    settle(page)
    wait_for_charts(page)
    for name in ("meeting-1080p", "meeting-1080p-chart"):
        target = folder / f"{name}.png"
        if name.endswith("chart"):  # the chart brought to the top, as the room sees it when scrolled to
            page.locator('[data-testid="stPlotlyChart"]').first.evaluate("element => element.scrollIntoView()")
            page.wait_for_timeout(300)
        page.screenshot(path=str(target))
        saved.append(target)
    page.close()
    if UPDATE_SCREENSHOTS:  # the README shows meeting mode as the room sees it
        shutil.copyfile(folder / "meeting-1080p.png", screenshots / "meeting.png")
    print("\nscreenshots:\n" + "\n".join(f"  {path}" for path in saved))
    assert all(path.stat().st_size > 10_000 for path in saved)
