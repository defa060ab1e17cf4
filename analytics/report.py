"""``python -m analytics report --week YYYY-Www --out DIR``: the weekly review pack.

The pack is what the meeting covered, for someone who was not there or is offline:

* ``weekly-review-<week>.html``: one self-contained file; plotly.js is embedded inline, so the charts
  stay interactive with no network at all;
* ``weekly-review-<week>.pdf``: the same document with static charts (rendered by kaleido in a local
  Chromium, then printed to PDF by the same browser);
* one CSV per list of the week's items (``weekly.WeekItems.tables``).

Everything comes from ``weekly.week_items``, as on the week page and in meeting mode, so the three
list the same items. Charts: an overview of the agenda sellers' scores, open cases by age and
assignee, and each agenda seller's chart as the seller page draws it (``analytics.figures``, the
builder the seller page uses, rather than a second version of the same chart).

Links to the dashboard are absolute, so they work from a mail or a shared drive: ``--base-url URL``
(``write_pack(base_url=...)``), else ``$ANOMALY_BASE_URL``, else ``DEFAULT_BASE_URL`` (``make run``'s
address). The week page's download passes the address the analyst is using.

In the PDF each agenda item starts a page and keeps its heading, reasons and chart on it (the chart is
scaled to fit what is left of the page).

Chromium: ``$BROWSER_PATH`` when set, else ``chromium`` (Debian's) on the PATH. Nothing is fetched
from the network: MathJax is off and plotly.js comes from the installed plotly package.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from analytics import feedback, figures, finding_series, seller_view, signals, store, weekly

SCORE_SENTENCE = ("Score: flagged sellers first, ranked by the sum of their significant signals' -log10 q "
                  "(plus a bonus when signals coincide); the unflagged below them, by their strongest evidence.")
MAX_SELLER_CHARTS = 30  # agenda sellers charted in the pack; the rest are in its tables
PDF_TIMEOUT_S = 180
CHART_WIDTH = 1000  # static charts, px (the PDF is A4 portrait)
RENDER_TABS = max(1, min(2, os.cpu_count() or 1))  # kaleido tabs rendering static charts at once
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
DEFAULT_BASE_URL = "http://127.0.0.1:8501"  # `make run`'s dashboard
BASE_URL_ENV = "ANOMALY_BASE_URL"


def resolve_base_url(explicit: str | None = None) -> str:
    """The dashboard's address the pack links to: ``explicit``, else ``$ANOMALY_BASE_URL``, else
    ``DEFAULT_BASE_URL``; without a trailing slash."""
    url = (explicit or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL).strip()
    if not re.match(r"^https?://[^/\s]+", url):
        raise ReportError(f"the base URL must start with http:// or https:// and a host, not {url!r}")
    return url.rstrip("/")


def seller_link(base: str, seller_id: str, as_of: dt.date | None) -> str:
    """The absolute link to a seller's page as the run of ``as_of`` saw it."""
    query = {"seller_id": seller_id, **({"as_of": as_of.isoformat()} if as_of else {})}
    return f"{base}/seller?{urlencode(query)}"


class ReportError(RuntimeError):
    """The pack could not be written (no browser for the PDF, the browser failed)."""


@dataclass
class Chart:
    key: str
    title: str
    figure: go.Figure
    height: int
    caption: str = ""


@dataclass
class Pack:
    week: str
    html: Path
    pdf: Path | None
    csvs: dict[str, Path] = field(default_factory=dict)

    @property
    def files(self) -> list[Path]:
        return [self.html, *([self.pdf] if self.pdf else []), *self.csvs.values()]


# --- the browser ------------------------------------------------------------------------------------

def browser_path() -> str:
    """The Chromium that renders static charts and prints the PDF."""
    explicit = os.environ.get("BROWSER_PATH")
    if explicit:
        if not Path(explicit).exists():
            raise ReportError(f"BROWSER_PATH={explicit!r} does not exist")
        return explicit
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise ReportError("no Chromium for the PDF: install Debian's chromium (`make chromium`) or set BROWSER_PATH")


def render_static(images: list[tuple[go.Figure, int, int]], *, fmt: str = "svg") -> list[bytes]:
    """Static images of ``(figure, width, height)`` with kaleido, in one local browser session."""
    import kaleido

    async def render() -> list[bytes]:
        # mathjax=False: kaleido would fetch MathJax from a CDN otherwise; plotly.js is the local copy.
        # Two tabs render side by side (the figures are independent); gather keeps their order.
        async with kaleido.Kaleido(path=browser_path(), mathjax=False, n=RENDER_TABS) as k:
            return await asyncio.gather(*(k.calc_fig(fig, opts={"format": fmt, "width": width, "height": height})
                                          for fig, width, height in images))

    return asyncio.run(render())


def print_pdf(html_path: Path, pdf_path: Path) -> None:
    """Print a local HTML file to PDF with headless Chromium (no network, a throw-away profile)."""
    with tempfile.TemporaryDirectory(prefix="pack-browser-") as profile:
        command = [browser_path(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                   "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
                   "--no-pdf-header-footer", f"--print-to-pdf={pdf_path}", html_path.resolve().as_uri()]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=PDF_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise ReportError(f"Chromium did not print the PDF within {PDF_TIMEOUT_S} s") from None
    if done.returncode != 0 or not pdf_path.exists() or pdf_path.stat().st_size == 0:
        tail = " ".join(done.stderr.strip().splitlines()[-2:])
        raise ReportError(f"Chromium failed to print the PDF (exit {done.returncode}): {tail}")


# --- charts -----------------------------------------------------------------------------------------

def overview_chart(items: weekly.WeekItems) -> Chart | None:
    """The agenda sellers' scores in the week's run (coloured by their strongest signal, so the legend
    reads as the signals' key), beside the previous run's where there is one."""
    rows = pd.concat([items.newly_flagged.assign(kind="newly flagged"), items.risers.assign(kind="score rose")],
                     ignore_index=True)
    if rows.empty:
        return None
    rows = rows.sort_values("score")
    rows["label"] = [f"{r.seller_name or r.seller_id} ({r.seller_id})" for r in rows.itertuples()]
    modules = signals.by_name()
    rows["strongest"] = [s[0] if len(s) else "" for s in rows["signals"]]
    fig = go.Figure()
    if items.previous_run is not None:
        fig.add_trace(go.Bar(y=rows["label"], x=rows["previous_score"].fillna(0), orientation="h",
                             name=f"score in the run of {items.previous_run}", marker_color="#bdbdbd"))
    for strongest, group in rows.groupby("strongest", sort=False):
        module = modules.get(strongest)
        fig.add_trace(go.Bar(
            y=group["label"], x=group["score"], orientation="h", customdata=group["kind"],
            name=module.TITLE if module else (strongest or "no signal"),
            marker_color=module.COLOR if module else "#7f7f7f",
            hovertemplate="%{y}: score %{x:.1f} (%{customdata})<extra></extra>"))
    height = max(360, 30 * len(rows) + 220)
    fig.update_layout(barmode="group" if items.previous_run is not None else "relative", height=height,
                      font={"size": 14}, margin={"l": 260, "r": 30, "t": 30 + 22 * (len(fig.data) // 2 + 1), "b": 50},
                      xaxis_title="score (flagged: sum of -log10 q of significant signals)",
                      yaxis={"categoryorder": "array", "categoryarray": list(rows["label"])},
                      legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0})
    return Chart("overview", f"Scores in the run of {items.run}, coloured by each seller's strongest signal",
                 fig, height)


def open_cases_chart(items: weekly.WeekItems) -> Chart | None:
    table = items.open_by_age_assignee
    if table.empty:
        return None
    fig = go.Figure()
    palette = ("#c6dbef", "#6baed6", "#2171b5", "#08306b")
    for (_, band), colour in zip(weekly.AGE_BANDS, palette):
        fig.add_trace(go.Bar(x=table["assignee"], y=table[band], name=band, marker_color=colour))
    most = int(table["total"].max())
    fig.update_layout(barmode="stack", height=380, font={"size": 14}, yaxis_title="open cases",
                      yaxis={"dtick": 1 if most <= 10 else None, "rangemode": "tozero"},
                      legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0},
                      margin={"l": 60, "r": 30, "t": 50, "b": 40})
    return Chart("open_cases", "Open cases by assignee, stacked by age", fig, 380)


def seller_chart(con, seller_id: str, as_of: dt.date, *, projector: bool = False,
                 found: pd.DataFrame | None = None) -> go.Figure | None:
    """The seller page's figure for ``seller_id`` as the run of ``as_of`` saw it (None: nothing to draw);
    ``projector``: meeting mode's large type; ``found``: its ``seller_view.evidence`` if already read."""
    if found is None:
        found = seller_view.evidence(con, seller_id, as_of)
    products = seller_view.products(con, seller_id, as_of)
    product_id = products["product_id"].iloc[0] if not products.empty else None
    data = seller_view.chart(con, seller_id, as_of, product_id, found)
    if data.daily.empty:
        return None
    label = None
    if product_id is not None:
        title = products["title"].iloc[0]
        label = f"{title} ({product_id})" if isinstance(title, str) and title else product_id
    return figures.seller_figure(data.daily, data.changepoints, data.segments, data.evidence_marks,
                                product_label=label, projector=projector)


def _agenda_evidence(con, items: weekly.WeekItems, limit: int) -> dict[str, pd.DataFrame]:
    """The run's evidence of each of the first ``limit`` agenda sellers, read once for every chart."""
    if items.run is None:
        return {}
    return {seller_id: seller_view.evidence(con, seller_id, items.run)
            for seller_id in items.agenda["seller_id"].head(limit)}


def _charts(con, items: weekly.WeekItems, evidence: dict[str, pd.DataFrame]
            ) -> tuple[list[Chart], dict[str, Chart]]:
    overview = [c for c in (overview_chart(items), open_cases_chart(items)) if c is not None]
    per_seller: dict[str, Chart] = {}
    if items.run is not None:
        for seller_id, found in evidence.items():
            # Projector type: scaled to an A4 page's width, the screen's type would be too small to read.
            fig = seller_chart(con, seller_id, items.run, projector=True, found=found)
            if fig is not None:
                per_seller[seller_id] = Chart(f"seller-{seller_id}", f"Seller {seller_id}", fig,
                                              int(fig.layout.height or 900))
    return overview, per_seller


FINDING_CHART_HEIGHT = 420


def finding_charts(con, items: weekly.WeekItems, limit: int,
                   evidence: dict[str, pd.DataFrame] | None = None) -> dict[str, list[Chart]]:
    """Per agenda seller (the first ``limit``): a chart of what each of its significant findings was tested
    on, as the seller page draws it (``analytics.finding_series``, ``figures.finding_figure``).
    ``evidence``: ``_agenda_evidence``'s, if already read."""
    found: dict[str, list[Chart]] = {}
    if items.run is None:
        return found
    for seller_id, seller_evidence in (evidence or _agenda_evidence(con, items, limit)).items():
        series = finding_series.all_finding_series(con, seller_id, items.run, seller_evidence,
                                                   significant_only=True)
        found[seller_id] = [Chart(f"finding-{seller_id}-{s.signal}", figures.finding_title(s),
                                  figures.finding_figure(s, height=FINDING_CHART_HEIGHT, projector=True),
                                  FINDING_CHART_HEIGHT, s.caption) for s in series]
    return found


# --- the document -----------------------------------------------------------------------------------

STYLE = """
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 15px; margin: 24px; color: #222; }
h1 { font-size: 26px; margin-bottom: 4px; } h2 { font-size: 21px; margin-top: 28px; }
h3 { font-size: 18px; margin-bottom: 4px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
.meta { color: #555; } .why { font-weight: bold; } .rule { color: #555; font-style: italic; }
.item { border-top: 3px solid #444; margin-top: 28px; padding-top: 8px; }
img.chart { width: 100%; max-width: 1000px; height: auto; }
@page { size: A4 portrait; margin: 12mm; }
/* An item starts a page and stays on it: the chart shrinks (keeping its shape) to what the heading and
   reasons leave of the A4 page (273 mm high inside the margins). */
@media print { body { margin: 0; font-size: 12px; } table { font-size: 10px; }
               .item { break-before: page; break-inside: avoid; border-top: none; margin-top: 0; }
               .item img.chart { width: auto; max-width: 100%; max-height: 200mm; display: block;
                                 margin: 0 auto; break-before: avoid; }
               .item p { margin: 4px 0; }
               .findings { break-before: page; } .findings img.chart { max-height: 80mm; width: auto;
                                                                      max-width: 100%; display: block; }
               h2 { break-after: avoid; } tr { break-inside: avoid; } }
"""

TABLE_COLUMNS = {
    "agenda": ["item", "seller_id", "seller_name", "why", "score", "case_id"],
    "newly_flagged": ["seller_id", "seller_name", "country", "category", "score", "previous_score", "signals",
                      "case_id", "case_status", "cleared_note"],
    "score_rises": ["seller_id", "seller_name", "country", "category", "previous_score", "score", "score_change",
                    "flagged", "signals", "case_id", "case_status"],
    "status_changes": ["case_id", "seller_id", "seller_name", "changed_at", "changed_by", "from_status", "to_status",
                       "reason"],
    "cases_closed": ["case_id", "seller_id", "seller_name", "changed_at", "changed_by", "to_status", "reason"],
    "open_cases": ["case_id", "seller_id", "seller_name", "status", "assignee", "opened_at", "age_days", "age_band"],
    "open_cases_by_age_and_assignee": None,
    "hidden_cleared_sellers": ["seller_id", "seller_name", "score", "why"],
}
SECTION_TITLES = {
    "agenda": "Agenda: the sellers to discuss, in order",
    "newly_flagged": "Newly flagged sellers",
    "score_rises": f"Sellers whose score rose sharply (by {weekly.SHARP_RISE:g} or more)",
    "status_changes": "Cases that changed status",
    "cases_closed": "Cases closed",
    "open_cases": "Open cases",
    "open_cases_by_age_and_assignee": "Open cases by age and assignee",
    "hidden_cleared_sellers": "Hidden: flagged again, but cleared before on the same evidence",
}


HEADERS = {"item": "Item", "seller_id": "Seller", "seller_name": "Name", "why": "Why on the agenda", "score": "Score",
           "case_id": "Case", "country": "Country", "category": "Category", "previous_score": "Previous score",
           "signals": "Signals", "case_status": "Case status", "cleared_note": "Cleared before",
           "score_change": "Change", "flagged": "Flagged now", "changed_at": "When (UTC)", "changed_by": "By",
           "from_status": "From", "to_status": "To", "reason": "Reason", "status": "Status",
           "assignee": "Assigned to", "opened_at": "Opened (UTC)", "age_days": "Age (days)", "age_band": "Age",
           "total": "Total", "title": "Signal", "closed_cases": "Closed cases", "actioned": "Actioned",
           "cleared": "Cleared", "precision": "Precision"}


def _cell(value) -> str:
    if value is None or (not isinstance(value, (list, tuple)) and pd.isna(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (float, np.floating)):
        return f"{float(value) + 0.0:,.2f}".rstrip("0").rstrip(".")  # + 0.0: never "-0"
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m-%d %H:%M}" if (value.hour, value.minute) != (0, 0) else f"{value:%Y-%m-%d}"
    return str(value)


def _table(frame: pd.DataFrame, columns: list[str] | None) -> str:
    """A table for people: plain headers, rounded numbers, yes/no, empty cells empty."""
    if frame.empty:
        return '<p class="meta">Nothing this week.</p>'
    shown = frame[[c for c in columns if c in frame.columns]] if columns else frame
    shown = shown.copy()
    for column in shown.columns:
        shown[column] = [_cell(v) for v in shown[column]]
    shown.columns = [HEADERS.get(c, c.replace("_", " ")) for c in shown.columns]
    return shown.to_html(index=False, escape=True, na_rep="", border=0)


def _esc(value) -> str:
    return html.escape("" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value))


def document(items: weekly.WeekItems, precision: pd.DataFrame, overview: list[Chart],
             per_seller: dict[str, Chart], chart_html, *, head: str = "", generated_at: dt.datetime,
             base: str = DEFAULT_BASE_URL, findings: dict[str, list[Chart]] | None = None) -> str:
    """The pack as one HTML string (``findings``: each agenda seller's finding charts); ``chart_html(chart)``
    embeds a chart (interactive or static);
    ``base``: the dashboard's address its links start with."""
    tables = items.tables()
    run_words = (f"Scoring run of {items.run}, compared with the run of {items.previous_run}."
                 if items.run and items.previous_run else
                 f"Scoring run of {items.run}; no earlier run to compare with, so every flagged seller counts as new."
                 if items.run else "No scoring run is dated in this week: only the cases are reviewed.")
    parts = [
        "<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Weekly review {items.week}</title>", f"<style>{STYLE}</style>", head, "</head><body>",
        f"<h1>Weekly review {items.week}</h1>",
        f'<p class="meta">{items.start:%A %d %B %Y} to {items.end:%A %d %B %Y} (UTC). {_esc(run_words)} '
        f"Open cases as at {items.open_at:%Y-%m-%d %H:%M} UTC. Written {generated_at:%Y-%m-%d %H:%M} UTC. "
        f'Links open the dashboard at <a href="{_esc(base)}">{_esc(base)}</a>.</p>',
        f'<p class="rule">{_esc(SCORE_SENTENCE)}</p>',
        "<table><tr>" + "".join(f"<th>{_esc(k)}</th>" for k in items.summary()) + "</tr><tr>"
        + "".join(f"<td>{v}</td>" for v in items.summary().values()) + "</tr></table>",
    ]
    for chart in overview:
        if chart.key == "overview":
            parts += [f"<h3>{_esc(chart.title)}</h3>", chart_html(chart)]
    for name in ("agenda", "newly_flagged", "score_rises", "status_changes", "cases_closed"):
        parts += [f"<h2>{_esc(SECTION_TITLES[name])}</h2>", _table(tables[name], TABLE_COLUMNS[name])]
    parts += [f"<h2>{_esc(SECTION_TITLES['open_cases_by_age_and_assignee'])}</h2>",
              _table(tables["open_cases_by_age_and_assignee"], None)]
    for chart in overview:
        if chart.key == "open_cases":
            parts += [f"<h3>{_esc(chart.title)}</h3>", chart_html(chart)]
    parts += [f"<h2>{_esc(SECTION_TITLES['open_cases'])}</h2>", _table(tables["open_cases"], TABLE_COLUMNS["open_cases"]),
              f"<h2>{_esc(SECTION_TITLES['hidden_cleared_sellers'])}</h2>",
              f'<p class="rule">{_esc(feedback.REFLAG_RULE)}</p>',
              _table(tables["hidden_cleared_sellers"], TABLE_COLUMNS["hidden_cleared_sellers"]),
              "<h2>How precise past flags were, by signal</h2>",
              '<p class="rule">From the team\'s own decisions: actioned = confirmed insider-data buyer, '
              "cleared = false alarm. Precision = actioned / closed cases the signal fired on.</p>",
              (_table(precision.drop(columns=["color"]), None) if precision["closed_cases"].iloc[-1] > 0
               else '<p class="meta">No case has been closed yet.</p>')]

    for item in items.agenda.itertuples():
        parts += [
            '<div class="item">',
            f"<h2>Item {item.item}: {_esc(item.seller_name or item.seller_id)} ({_esc(item.seller_id)})</h2>",
            f'<p class="why">{_esc(item.why)}</p>',
            f"<p>Score {_esc(round(item.score, 2) if pd.notna(item.score) else 'not scored')}."
            f" {_esc(item.reasons)}</p>",
            f'<p class="meta">Case: {_esc(f"#{item.case_id}" if pd.notna(item.case_id) else "none")}. '
            f'Seller page: <a href="{_esc(seller_link(base, item.seller_id, items.run))}">'
            f"{_esc(seller_link(base, item.seller_id, items.run))}</a></p>",
        ]
        chart = per_seller.get(item.seller_id)
        if chart is not None:
            parts.append(chart_html(chart))
        elif item.item > MAX_SELLER_CHARTS:
            parts.append(f'<p class="meta">Chart left out of the pack (only the first {MAX_SELLER_CHARTS} '
                         "items are charted); open the seller page.</p>")
        parts.append("</div>")
        own = (findings or {}).get(item.seller_id) or []
        if own:
            # On pages of their own after the item's page, so the item keeps heading, reasons and chart together.
            parts.append('<div class="findings">')
            parts.append(f"<h3>Item {item.item}: what each finding was tested on</h3>")
            for chart in own:
                parts += [chart_html(chart), f'<p class="meta">{_esc(chart.caption)}</p>']
            parts.append("</div>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _interactive(chart: Chart) -> str:
    return pio.to_html(chart.figure, full_html=False, include_plotlyjs=False, default_width="100%",
                       config={"displaylogo": False, "responsive": True})


# --- the pack ---------------------------------------------------------------------------------------

def write_pack(week: str, out_dir: Path | str, *, db: Path | str | None = None, pdf: bool = True,
               now: dt.datetime | None = None, max_seller_charts: int = MAX_SELLER_CHARTS, log=None,
               base_url: str | None = None, finding_pages: bool = True) -> Pack:
    """Write the week's pack into ``out_dir`` (created if needed) and return its files; its links start
    with ``base_url`` (see ``resolve_base_url``). ``finding_pages``: after each charted item, a chart of
    what each of its significant findings was tested on (on pages of their own)."""
    weekly.parse_week(week)
    base = resolve_base_url(base_url)
    started = time.perf_counter()
    say = log or (lambda _msg: None)
    db_path = store.resolve(db)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    generated_at = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with store.connect_read_only(db_path) as con:
        items = weekly.week_items(week, con, db=db_path, now=now)
        evidence = _agenda_evidence(con, items, max_seller_charts)
        overview, per_seller = _charts(con, items, evidence)
        findings = finding_charts(con, items, max_seller_charts, evidence) if finding_pages else {}
    precision = feedback.precision_by_signal(db=db_path)
    if not items.run:
        say(f"{items.week}: no scoring run is dated in this week (runs are weekly `score --as-of` days); "
            f"the pack reviews the cases only")
    say(f"{items.week}: {len(items.agenda)} agenda items, {len(per_seller)} seller charts drawn "
        f"({time.perf_counter() - started:.1f} s)")

    csvs = {}
    for name, frame in items.tables().items():
        path = out / f"{name}.csv"
        frame.to_csv(path, index=False)
        csvs[name] = path

    stem = f"weekly-review-{items.week}"
    html_path = out / f"{stem}.html"
    head = f'<script type="text/javascript">{get_plotlyjs()}</script>'
    html_path.write_text(document(items, precision, overview, per_seller, _interactive, head=head,
                                  generated_at=generated_at, base=base, findings=findings), encoding="utf-8")

    pdf_path = None
    if pdf:
        pdf_path = out / f"{stem}.pdf"
        charts = [*overview, *per_seller.values(), *(c for own in findings.values() for c in own)]
        step = time.perf_counter()
        try:
            images = render_static([(c.figure, CHART_WIDTH, c.height) for c in charts])
        except ReportError as exc:
            raise ReportError(f"{exc} (the HTML pack and the CSVs are written in {out})") from None
        say(f"{len(images)} static charts rendered by kaleido ({time.perf_counter() - step:.1f} s)")
        embedded = {c.key: base64.b64encode(img).decode() for c, img in zip(charts, images)}

        def static(chart: Chart) -> str:
            return (f'<img class="chart" alt="{_esc(chart.title)}" '
                    f'src="data:image/svg+xml;base64,{embedded[chart.key]}">')

        with tempfile.TemporaryDirectory(prefix="pack-") as tmp:
            printable = Path(tmp) / f"{stem}.html"
            printable.write_text(document(items, precision, overview, per_seller, static,
                                          generated_at=generated_at, base=base, findings=findings), encoding="utf-8")
            step = time.perf_counter()
            try:
                print_pdf(printable, pdf_path)
            except ReportError as exc:
                raise ReportError(f"{exc} (the HTML pack and the CSVs are written in {out})") from None
            say(f"PDF printed by Chromium ({time.perf_counter() - step:.1f} s)")
    say(f"pack written in {time.perf_counter() - started:.1f} s")
    return Pack(items.week, html_path, pdf_path, csvs)


def report_command(*, db=None, week: str, out, base_url: str | None = None) -> None:
    log = lambda msg: print(msg, file=sys.stderr)  # noqa: E731
    try:
        pack = write_pack(week, out, db=db, log=log, base_url=base_url)
    except ReportError as exc:
        raise ValueError(str(exc)) from None
    for path in pack.files:
        log(f"wrote {path}")

