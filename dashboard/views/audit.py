"""Audit log (leads only): who viewed which seller, who ran which query, who exported what."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from analytics import audit
from dashboard import auth_gate

user = auth_gate.require_user()
if not user.is_lead:
    st.error("The audit log is for leads.")
    st.stop()

st.title("Audit log")
st.caption("Every sign-in, seller view, query and export, newest first. Case changes are in each case's history.")

left, middle, right, last = st.columns(4)
actor = left.selectbox("Who", ["anyone", *audit.actors()], key="audit_actor")
action = middle.selectbox("Did", ["anything", *audit.ACTIONS], key="audit_action")
target = right.text_input("On (seller id, file...)", key="audit_target").strip()
days = last.number_input("In the last N days", min_value=1, max_value=3650, value=30, key="audit_days")

since = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=int(days))
events = audit.events(actor=None if actor == "anyone" else actor, action=None if action == "anything" else action,
                      target=target or None, since=since)
if events.empty:
    st.info("No event matches.")
else:
    st.dataframe(events, hide_index=True, width="stretch", key="audit_events", placeholder="",
                 column_config={"at": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm:ss"),
                                "actor": "Who", "action": "Did",
                                "target": st.column_config.TextColumn("On", width="medium"),
                                "detail": st.column_config.TextColumn("Detail", width="large")})
