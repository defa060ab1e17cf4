"""Meeting mode: the week's items one per screen, large enough for a projector.

``/meeting?week=2026-W47&item=3`` opens item 3 of that week's agenda (the same agenda as the week page
and the pack). Each screen shows why the seller is on the agenda, its score and reasons, the seller
page's chart, and the case box to record the decision there and then. After the last item, a summary
screen shows the open cases by age and assignee.
"""

from __future__ import annotations

import datetime as dt
import html

import streamlit as st

from analytics import report, weekly
from dashboard import auth_gate, state, widgets
from dashboard.case_panel import case_panel

user = auth_gate.require_user()
db = state.require_database()

# Projector sizing: larger body text and headings than the rest of the dashboard.
st.html("""<style>
[data-testid="stMainBlockContainer"] p, [data-testid="stMainBlockContainer"] li { font-size: 1.35rem; }
[data-testid="stMainBlockContainer"] h1 { font-size: 3rem; }
.meeting-why { font-size: 1.8rem; font-weight: 600; margin: 0.2rem 0 0.6rem; }
/* The chart takes the screen's width: the main column is not capped for the projector. */
[data-testid="stMainBlockContainer"] { max-width: 100%; padding-left: 3rem; padding-right: 3rem; }
</style>""")


@st.cache_data(show_spinner=False, max_entries=64)
def _seller_chart(seller_id: str, as_of: dt.date, version: str):
    with db.cursor() as con:
        return report.seller_chart(con, seller_id, as_of, projector=True)


def _default_week() -> str:
    with db.cursor() as con:
        latest = con.execute("select max(as_of) from score_runs").fetchone()[0]
    return weekly.week_of(latest or dt.date.today())


week = st.query_params.get("week") or _default_week()
try:
    weekly.parse_week(week)
except ValueError as exc:
    st.warning(f"{exc}; showing the latest week instead.")
    week = _default_week()

with db.cursor() as con:
    items = weekly.week_items(week, con, db=db.path)
total = len(items.agenda)
try:
    position = int(st.query_params.get("item", "1"))
except ValueError:
    position = 1
position = min(max(position, 1), total + 1)  # total + 1 is the closing summary


def _go(to: int) -> None:
    st.query_params["week"] = items.week
    st.query_params["item"] = str(to)


st.query_params["week"] = items.week
st.query_params["item"] = str(position)
nav = st.columns([1, 4, 1])
nav[0].button("◀ Previous", key="meeting_prev", disabled=position <= 1, on_click=_go, args=(position - 1,),
              width="stretch")
nav[1].markdown(f"**Weekly review {items.week}** · item {min(position, total)} of {total}"
                if position <= total else f"**Weekly review {items.week}** · summary")
nav[2].button("Next ▶", key="meeting_next", disabled=position > total, on_click=_go, args=(position + 1,),
              width="stretch")

if position <= total:
    item = items.agenda.iloc[position - 1]
    st.title(f"{item.seller_name or item.seller_id}")
    st.html(f'<div class="meeting-why">{html.escape(item.why)}</div>')
    score = f"score {item.score:.1f}" if item.score == item.score else "not scored in the week's run"
    st.markdown(f"Seller `{item.seller_id}` · {score} · "
                f"[open the seller page]({widgets.seller_url(item.seller_id, items.run)})",
                help=widgets.SCORE_SENTENCE)
    st.markdown(f"**Reasons:** {item.reasons}")
    # The chart across the whole screen (a projector's room reads it from the back), the case box under it.
    if items.run is not None:
        figure = _seller_chart(item.seller_id, items.run, state.db_version())
        if figure is not None:
            st.plotly_chart(figure, width="stretch", key="meeting_chart", config={"displaylogo": False})
        else:
            st.caption("No daily data to draw for this seller.")
    left, _ = st.columns([1, 1])
    with left:
        case_panel(item.seller_id, as_of=items.run, key="meeting")
else:
    st.title(f"Week {items.week}: summary")
    for label, value in items.summary().items():
        st.markdown(f"- **{label.capitalize()}:** {value}")
    st.subheader("Open cases by age and assignee")
    if items.open_by_age_assignee.empty:
        st.caption("No open case.")
    else:
        st.dataframe(items.open_by_age_assignee, hide_index=True, width="stretch", placeholder="",
                     column_config={"assignee": "Assigned to", "total": "Total"})
        chart = report.open_cases_chart(items)
        if chart is not None:
            st.plotly_chart(chart.figure, width="stretch", key="meeting_open_chart")
