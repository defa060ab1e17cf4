"""The weekly review pack: `python -m analytics report --week YYYY-Www --out DIR` writes an HTML file
that works offline, the same as PDF, and CSVs, listing the same items as the week page."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from analytics import report
from analytics.auth import User
from dashboard.auth_gate import SESSION_KEY
from tests import review_data

ROOT = Path(__file__).resolve().parents[1]
needs_chromium = pytest.mark.skipif(not any(Path(p).exists() for p in ("/usr/bin/chromium",))
                                    and not os.environ.get("BROWSER_PATH"),
                                    reason="Debian's chromium is not installed (`make chromium`)")


@pytest.fixture
def review_db() -> Path:
    path = review_data.build(Path(os.environ["ANOMALY_DB"]))
    yield path
    st.cache_resource.clear()
    st.cache_data.clear()


def pdf_pages(path: Path) -> int:
    """Pages in a PDF, from its page tree (the /Count of the root /Pages object)."""
    data = path.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    counts = [int(n) for n in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", data)]
    counts += [int(n) for n in re.findall(rb"/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", data)]
    return max(counts, default=0)


def week_page_tables() -> dict[str, pd.DataFrame]:
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=60)
    at.session_state[SESSION_KEY] = User("ana")
    at.run()
    at.switch_page("views/week.py")
    at.query_params["week"] = review_data.WEEK
    at.run()
    assert not at.exception
    return review_data.week_page_tables(d.value for d in at.dataframe)


@needs_chromium
def test_the_pack_is_self_contained_opens_and_lists_the_week_pages_items(review_db, tmp_path):
    out = tmp_path / "pack"
    pack = report.write_pack(review_data.WEEK, out, db=review_db, max_seller_charts=2)

    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(["weekly-review-2026-W47.html", "weekly-review-2026-W47.pdf", "agenda.csv",
                            "newly_flagged.csv", "score_rises.csv", "status_changes.csv", "cases_closed.csv",
                            "open_cases.csv", "open_cases_by_age_and_assignee.csv", "hidden_cleared_sellers.csv"])

    # HTML: plotly.js inline, nothing loaded from anywhere, the interactive charts are there.
    html = pack.html.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]*\bsrc\s*=", html, re.I)
    assert not re.search(r"<link[^>]*\bhref\s*=\s*[\"']?https?:", html, re.I)
    assert not re.search(r"@import|url\(\s*[\"']?https?:", html, re.I)
    assert "Plotly.newPlot" in html and len(html) > 3_000_000  # the library itself is embedded
    # overview, open cases, the first two items' seller charts, and each one's rank-jump finding chart (their
    # reinstatements have no account events in this market, so nothing to draw)
    assert html.count("Plotly.newPlot") == 4 + 2
    for heading in ("Item 1: Fresh Flag (S2)", "Item 5: Closed Shop (S6)", "Newly flagged sellers"):
        assert heading in html

    # PDF: a real document with pages, charts drawn as images.
    assert pdf_pages(pack.pdf) >= 5  # the overview pages, then one page per agenda item

    # Links are absolute (make run's address by default): they work from a mail or a shared drive.
    assert 'href="http://127.0.0.1:8501/seller?seller_id=S2&amp;as_of=2026-11-22"' in html
    assert ">None<" not in html and "None." not in html

    # CSVs list exactly what the week page lists.
    page = week_page_tables()
    csv = {name: pd.read_csv(path, dtype={"seller_id": str}) for name, path in pack.csvs.items()}
    assert sorted(page) == sorted(csv)
    for name in ("agenda", "newly_flagged", "score_rises", "hidden_cleared_sellers"):
        assert csv[name]["seller_id"].tolist() == review_data.seller_ids(page[name]["seller_id"]), name
    for name in ("status_changes", "cases_closed", "open_cases"):
        assert csv[name]["case_id"].tolist() == page[name]["case_id"].tolist(), name
        assert csv[name]["seller_id"].tolist() == review_data.seller_ids(page[name]["seller_id"]), name
    assert csv["open_cases_by_age_and_assignee"].fillna(0).values.tolist() == \
        page["open_cases_by_age_and_assignee"].fillna(0).values.tolist()
    assert csv["agenda"]["seller_id"].tolist() == ["S2", "S5", "S3", "S1", "S6"]


def test_the_report_command_refuses_a_malformed_week_in_one_line(tmp_path):
    done = subprocess.run([sys.executable, "-m", "analytics", "report", "--week", "2026-47", "--out", str(tmp_path)],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode != 0
    assert "not an ISO week (YYYY-Www" in done.stderr


def test_the_report_command_says_when_there_is_no_database(tmp_path):
    done = subprocess.run([sys.executable, "-m", "analytics", "report", "--week", "2026-W47", "--out",
                           str(tmp_path / "pack"), "--db", str(tmp_path / "missing.duckdb")],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 1
    assert done.stderr.startswith("error: ") and "no such database" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_without_a_browser_the_pack_says_so_and_keeps_the_html_and_csvs(review_db, tmp_path, monkeypatch):
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-such-chromium"))
    with pytest.raises(report.ReportError, match="BROWSER_PATH=.* does not exist.*HTML pack and the CSVs are written"):
        report.write_pack(review_data.WEEK, tmp_path / "pack", db=review_db, max_seller_charts=0)
    assert (tmp_path / "pack" / "weekly-review-2026-W47.html").exists()
    assert (tmp_path / "pack" / "agenda.csv").exists()


@needs_chromium
def test_each_item_keeps_heading_reasons_and_chart_on_one_pdf_page(review_db, tmp_path):
    """Every agenda item starts a page; drawing its chart adds no page (the chart fits under the heading
    and the reasons), so heading, reasons and chart are on one page."""
    without = report.write_pack(review_data.WEEK, tmp_path / "without", db=review_db, max_seller_charts=0)
    # (the findings' own charts follow on pages of their own: left out here)
    charted = report.write_pack(review_data.WEEK, tmp_path / "with", db=review_db, max_seller_charts=5,
                                finding_pages=False)
    assert pdf_pages(charted.pdf) == pdf_pages(without.pdf)
    html = charted.html.read_text(encoding="utf-8")
    assert html.count("Plotly.newPlot") == 2 + 5


def test_the_pack_links_to_a_configured_base_url_and_rounds_scores(review_db, tmp_path, monkeypatch):
    pack = report.write_pack(review_data.WEEK, tmp_path / "pack", db=review_db, pdf=False, max_seller_charts=0,
                             base_url="https://anomaly.example.org/dash/")
    html = pack.html.read_text(encoding="utf-8")
    assert 'href="https://anomaly.example.org/dash/seller?seller_id=S2&amp;as_of=2026-11-22"' in html
    monkeypatch.setenv(report.BASE_URL_ENV, "https://from-env.example.org")
    again = report.write_pack(review_data.WEEK, tmp_path / "env", db=review_db, pdf=False, max_seller_charts=0)
    assert "https://from-env.example.org/seller?seller_id=S2" in again.html.read_text(encoding="utf-8")
    with pytest.raises(report.ReportError, match="must start with http"):
        report.write_pack(review_data.WEEK, tmp_path / "bad", db=review_db, pdf=False, base_url="anomaly/dash")
    agenda = pd.read_csv(pack.csvs["agenda"], dtype=str)
    assert agenda["score"].notna().any()
    assert all(re.fullmatch(r"-?\d+(\.\d{1,2})?", v) for v in agenda["score"].dropna()), list(agenda["score"])


def test_the_report_command_takes_a_base_url(review_db, tmp_path):
    done = subprocess.run([sys.executable, "-m", "analytics", "report", "--week", "2026-W47", "--out",
                           str(tmp_path / "pack"), "--db", str(review_db), "--base-url", "https://x.example.org"],
                          capture_output=True, text=True, cwd=ROOT, env={**os.environ, "BROWSER_PATH": "/nonexistent"})
    html = (tmp_path / "pack" / "weekly-review-2026-W47.html").read_text(encoding="utf-8")
    assert "https://x.example.org/seller?seller_id=" in html, done.stderr



def test_the_pack_draws_each_agenda_sellers_significant_findings_as_the_seller_page_does(tmp_path_factory):
    """``report.finding_charts`` draws the seller page's finding charts (``analytics.finding_series``)
    for the first agenda sellers: the test market's buyer has its staff removals drawn against the
    prediction, as a finding."""
    from types import SimpleNamespace

    from analytics import store
    from tests import dashboard_market as market

    items = SimpleNamespace(run=market.LAST_DAY, agenda=pd.DataFrame({"seller_id": [market.BUYER, "S005"]}))
    with store.connect_read_only(market.shared(tmp_path_factory)) as con:
        charts = report.finding_charts(con, items, 1)
    assert set(charts) == {market.BUYER}
    titles = [c.title for c in charts[market.BUYER]]
    assert "Negative reviews removed by staff, selectively (finding, q < 1e-16)" in titles
    assert not any("not significant" in t for t in titles)  # the pack draws findings only
    assert all(c.caption and c.height == report.FINDING_CHART_HEIGHT for c in charts[market.BUYER])


def test_each_charted_item_is_followed_by_what_its_significant_findings_were_tested_on(tmp_path_factory, tmp_path):
    """In the pack itself: the test market's last week has S003 (quick reinstatements in April) on its
    agenda; its reinstatement is drawn after its item, and left out on request."""
    from tests import dashboard_market as market

    iso = market.LAST_DAY.isocalendar()
    week = f"{iso.year}-W{iso.week:02d}"
    db = market.shared(tmp_path_factory)
    html = report.write_pack(week, tmp_path / "pack", db=db, pdf=False, max_seller_charts=5).html.read_text()
    assert "what each finding was tested on" in html
    assert "Suspension lifted unusually fast for its reason (finding, q" in html
    assert "not significant" not in html
    bare = report.write_pack(week, tmp_path / "bare", db=db, pdf=False, max_seller_charts=5, finding_pages=False)
    assert "what each finding was tested on" not in bare.html.read_text()
