"""Entry point: `streamlit run dashboard/app.py` (`make run` runs it from the project folder).

With no database configured it builds the demo marketplace first, then serves the pages.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from analytics import store
from dashboard import auth_gate, state

VIEWS = Path(__file__).resolve().parent / "views"

st.set_page_config(page_title="Insider-data anomaly dashboard", page_icon=":mag:", layout="wide")

db = state.reader()
if not db.exists and db.path == store.DEMO_DB:
    with st.status("Building the demo marketplace (first run only, about a minute)...", expanded=True) as status:
        from analytics.demo import build_demo

        build_demo(db=db.path, log=st.write)
        status.update(label="Demo marketplace ready", state="complete", expanded=False)

pages = [
    st.Page(VIEWS / "watchlist.py", title="Watchlist", icon=":material/format_list_numbered:",
            url_path="watchlist", default=True),
    st.Page(VIEWS / "seller.py", title="Seller", icon=":material/person_search:", url_path="seller"),
    st.Page(VIEWS / "competitors.py", title="Competitors", icon=":material/groups:", url_path="competitors"),
    st.Page(VIEWS / "data.py", title="Data", icon=":material/database:", url_path="data"),
    st.Page(VIEWS / "sql_explorer.py", title="SQL", icon=":material/terminal:", url_path="sql"),
    st.Page(VIEWS / "week.py", title="Week", icon=":material/date_range:", url_path="week"),
    st.Page(VIEWS / "meeting.py", title="Meeting", icon=":material/co_present:", url_path="meeting"),
    st.Page(VIEWS / "cases.py", title="Cases", icon=":material/folder_open:", url_path="cases"),
]
audit_page = st.Page(VIEWS / "audit.py", title="Audit log", icon=":material/policy:", url_path="audit")
# Signs the user in, or draws the sign-in and stops here (keeping the link's page and query for after).
user = auth_gate.gate(db.path, pages=[*pages, audit_page])
if user.is_lead:
    pages.append(audit_page)
auth_gate.sidebar(user)
st.navigation(pages).run()
