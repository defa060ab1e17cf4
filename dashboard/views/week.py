"""Week: the weekly review for any ISO week (``/week?week=2026-W47``), and the meeting pack downloads."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
import streamlit as st

from analytics import audit, feedback, report, weekly
from dashboard import auth_gate, state, widgets

VIEWS = Path(__file__).resolve().parent

user = auth_gate.require_user()
db = state.require_database()


def _run_weeks() -> list[str]:
    with db.cursor() as con:
        runs = [r[0] for r in con.execute("select as_of from score_runs order by as_of desc").fetchall()]
    return list(dict.fromkeys(weekly.week_of(day) for day in runs))


def _chosen_week(weeks: list[str]) -> str:
    asked = st.query_params.get("week")
    if asked:
        try:
            weekly.parse_week(asked)
            return asked
        except ValueError as exc:
            st.warning(f"{exc}; showing the latest week instead.")
    return weeks[0] if weeks else weekly.week_of(dt.date.today())


def seller_links(frame: pd.DataFrame, as_of: dt.date | None) -> pd.DataFrame:
    """The frame with its seller_id turned into a link to the seller page (CONTRACT section 2)."""
    if frame.empty or "seller_id" not in frame:
        return frame
    return frame.assign(seller_id=[widgets.seller_url(s, as_of) for s in frame["seller_id"]])


SELLER_LINK = st.column_config.LinkColumn("Seller", display_text=r"seller_id=([^&]*)")
COLUMN_CONFIG = {
    "seller_id": SELLER_LINK,
    "seller_name": "Name",
    "score": st.column_config.NumberColumn("Score", format="%.1f", help=widgets.SCORE_SENTENCE),
    "previous_score": st.column_config.NumberColumn("Previous score", format="%.1f"),
    "score_change": st.column_config.NumberColumn("Change", format="%+.1f"),
    "case_id": st.column_config.NumberColumn("Case", format="#%d"),
    "signals": widgets.signals_column("Signals"),
    "changed_at": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm"),
    "opened_at": st.column_config.DatetimeColumn("Opened (UTC)", format="YYYY-MM-DD"),
    "item": "Item",
    "why": st.column_config.TextColumn("Why it is on the agenda", width="medium"),
    "cleared_note": st.column_config.TextColumn("Note", width="large"),
    "flagged": "Flagged now",
    "changed_by": "By",
    "from_status": "From",
    "to_status": "To",
    "reason": "Reason",
    "status": "Status",
    "assignee": "Assigned to",
    "age_days": st.column_config.NumberColumn("Age (days)"),
}


def show(frame: pd.DataFrame, columns: list[str], *, key: str, empty: str, as_of) -> None:
    if frame.empty:
        st.caption(empty)
        return
    shown = seller_links(frame[[c for c in columns if c in frame.columns]], as_of)
    st.dataframe(shown, hide_index=True, width="stretch", column_config=COLUMN_CONFIG, key=key, placeholder="")


weeks = _run_weeks()
week = _chosen_week(weeks)
top = st.columns([3, 1, 1, 2])
with top[0]:
    options = list(dict.fromkeys([week, *weeks]))
    picked = st.selectbox("ISO week", options, index=options.index(week), key=f"week_pick_{week}",
                          help="Weeks with a scoring run are listed; any week can be opened with ?week=YYYY-Www.")
if top[1].button("Previous week", width="stretch"):
    picked = weekly.shift_week(week, -1)
if top[2].button("Next week", width="stretch"):
    picked = weekly.shift_week(week, +1)
if picked != week:
    st.query_params["week"] = picked
    st.rerun()
st.query_params["week"] = week
with top[3]:
    st.page_link(VIEWS / "meeting.py", label="Start the meeting", icon=":material/co_present:",
                 query_params={"week": week, "item": "1"})

with db.cursor() as con:
    items = weekly.week_items(week, con, db=db.path)

st.title(f"Week {items.week}")
if items.run is None:
    st.info(f"No scoring run is dated {items.start} to {items.end}: the lists of flagged sellers are empty; "
            "the cases below are still this week's. Score the marketplace with `python -m analytics score "
            f"--as-of {items.end}` to review its sellers.")
elif items.previous_run is None:
    st.caption(f"{items.start:%d %b} to {items.end:%d %b %Y}. Scoring run of {items.run}; there is no earlier run, "
               "so every flagged seller counts as newly flagged.")
else:
    st.caption(f"{items.start:%d %b} to {items.end:%d %b %Y}. Scoring run of {items.run}, compared with the run "
               f"of {items.previous_run}. Open cases as at {items.open_at:%Y-%m-%d %H:%M} UTC.")

METRIC_LABELS = {"hidden (cleared, same evidence)": ("Hidden", "Flagged again, but cleared before on the same "
                                                               "evidence: " + feedback.REFLAG_RULE)}
metrics = st.columns(len(items.summary()))
for column, (label, value) in zip(metrics, items.summary().items()):
    shown, about = METRIC_LABELS.get(label, (label.capitalize(), None))
    column.metric(shown, value, help=about)

st.subheader("Agenda")
show(items.agenda, ["item", "seller_id", "seller_name", "why", "score", "case_id"], key="week_agenda",
     empty="Nothing to discuss this week.", as_of=items.run)

# One list under the other: side by side, their columns were cut off at 1400 px.
st.subheader("Newly flagged")
show(items.newly_flagged, ["seller_id", "seller_name", "score", "signals", "case_id", "cleared_note"],
     key="week_newly_flagged", empty="No seller newly flagged.", as_of=items.run)
st.subheader(f"Score rose sharply (by {weekly.SHARP_RISE:g} or more)")
show(items.risers, ["seller_id", "seller_name", "previous_score", "score", "score_change", "flagged", "case_id"],
     key="week_risers", empty="No sharp rise.", as_of=items.run)

left, right = st.columns(2)
with left:
    st.subheader("Cases that changed status")
    show(items.status_changes, ["case_id", "seller_id", "changed_at", "changed_by", "from_status", "to_status"],
         key="week_status_changes", empty="No case changed status.", as_of=items.run)
with right:
    st.subheader("Cases closed")
    show(items.closed, ["case_id", "seller_id", "changed_at", "changed_by", "to_status", "reason"],
         key="week_closed", empty="No case closed.", as_of=items.run)

st.subheader("Open cases by age and assignee")
if items.open_cases.empty:
    st.caption("No open case.")
else:
    left, right = st.columns([2, 3])
    left.dataframe(items.open_by_age_assignee, hide_index=True, width="stretch", key="week_open_by_age",
                   placeholder="", column_config={"assignee": "Assigned to", "total": "Total"})
    chart = report.open_cases_chart(items)
    if chart is not None:
        right.plotly_chart(chart.figure, width="stretch", key="week_open_chart")
    show(items.open_cases, ["case_id", "seller_id", "seller_name", "status", "assignee", "opened_at", "age_days"],
         key="week_open_cases", empty="", as_of=items.run)

if not items.hidden.empty:
    with st.expander(f"{len(items.hidden)} seller(s) hidden: flagged again, but cleared before on the same evidence"):
        st.caption(feedback.REFLAG_RULE)
        show(items.hidden, ["seller_id", "seller_name", "score", "why"], key="week_hidden", empty="", as_of=items.run)

# --- downloads: the same files as `python -m analytics report` ---------------------------------------
st.subheader("Downloads")
st.caption("The same pack as `python -m analytics report --week "
           f"{items.week} --out DIR`: one CSV per list, and the HTML and PDF pack.")


def _dashboard_address() -> str | None:
    """The address this dashboard is served at, as the analyst's browser sees it (the pack's links point
    back here); None (the pack's default) when Streamlit cannot tell, as under AppTest."""
    try:
        url = st.context.url
    except Exception:  # noqa: BLE001 - no browser context
        return None
    if not url or not url.startswith(("http://", "https://")):
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path.rsplit('/', 1)[0]}"


def _exported(what: str) -> None:
    audit.exported(user.username, what, f"week {items.week}")


csv_buttons = st.container(horizontal=True)  # buttons as wide as their file names, wrapping: none cut off
for name, frame in items.tables().items():
    csv_buttons.download_button(
        f"{name}.csv", frame.to_csv(index=False).encode(), file_name=f"{items.week}-{name}.csv",
        mime="text/csv", key=f"csv_{name}", on_click=_exported, args=(f"{items.week}-{name}.csv",))

pack_key = f"pack_{items.week}"
if st.button("Prepare the HTML and PDF pack", key="prepare_pack"):
    with st.spinner("Drawing the charts and printing the PDF (a few seconds per seller chart)..."):
        with tempfile.TemporaryDirectory(prefix="weekly-pack-") as tmp:
            try:
                pack = report.write_pack(items.week, tmp, db=db.path, base_url=_dashboard_address())
            except report.ReportError as exc:
                st.error(f"The pack could not be written: {exc}")
            else:
                st.session_state[pack_key] = {path.name: path.read_bytes() for path in (pack.html, pack.pdf) if path}
prepared = st.session_state.get(pack_key)
if prepared:
    columns = st.columns(len(prepared))
    for column, (name, data) in zip(columns, prepared.items()):
        column.download_button(name, data, file_name=name, key=f"pack_file_{name}",
                               mime="application/pdf" if name.endswith(".pdf") else "text/html",
                               on_click=_exported, args=(name,))
