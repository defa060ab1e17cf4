"""Cases: every case with its state, one case's box, and how precise past flags were by signal."""

from __future__ import annotations

import streamlit as st

from analytics import cases, feedback
from dashboard import auth_gate, widgets
from dashboard.case_panel import case_panel

user = auth_gate.require_user()

st.title("Cases")

SHOWN = {
    "open": cases.OPEN_STATUSES,
    "closed": cases.CLOSED_STATUSES,
    "all": cases.STATUSES,
}
left, middle, right = st.columns([2, 2, 3])
# Both bound to the URL (?show=closed&mine=true), so a link reopens the same list.
which = left.segmented_control("Cases", list(SHOWN), default="open", key="show", bind="query-params") or "open"
mine = middle.toggle("Assigned to me only", key="mine", bind="query-params")

table = cases.list_cases(statuses=SHOWN[which], assignee=user.username if mine else None)
if table.empty:
    st.info("No case matches. Open one from a seller's page, the watchlist or the week's meeting.")
else:
    shown = table.assign(seller=[widgets.seller_url(s) for s in table["seller_id"]])
    event = st.dataframe(
        shown[["case_id", "seller", "status", "assignee", "opened_by", "opened_at", "updated_by", "updated_at",
               "age_days", "notes", "clear_reason"]],
        hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row", key="cases_table",
        placeholder="",
        column_config={
            "case_id": st.column_config.NumberColumn("Case", format="#%d"),
            "seller": st.column_config.LinkColumn("Seller", display_text=r"seller_id=([^&]*)"),
            "opened_at": st.column_config.DatetimeColumn("Opened (UTC)", format="YYYY-MM-DD"),
            "updated_at": st.column_config.DatetimeColumn("Last change (UTC)", format="YYYY-MM-DD HH:mm"),
            "age_days": st.column_config.NumberColumn("Age (days)"),
            "status": "Status", "assignee": "Assigned to", "opened_by": "Opened by", "updated_by": "Changed by",
            "notes": st.column_config.TextColumn("Notes", width="medium"),
            "clear_reason": "Reason cleared",
        },
    )
    selected = event.selection.rows if event is not None else []
    asked = st.query_params.get("case")
    if selected:
        chosen = table.iloc[selected[0]]
        st.query_params["case"] = str(int(chosen["case_id"]))
    elif asked and asked.isdigit() and int(asked) in set(table["case_id"]):
        chosen = table[table["case_id"] == int(asked)].iloc[0]
    else:
        chosen = None
    if chosen is None:
        st.caption("Select a case to see its box.")
    else:
        case_panel(chosen["seller_id"], key="cases_page")

st.subheader("How precise past flags were, by signal")
st.caption("From the team's decisions: actioned = confirmed insider-data buyer, cleared = false alarm. "
           "Each closed case counts for every signal that had fired on the seller when it closed.")
precision = feedback.precision_by_signal()
if precision["closed_cases"].iloc[-1] == 0:
    st.caption("No case has been closed yet.")
else:
    st.dataframe(
        precision.drop(columns=["color", "signal"]), hide_index=True, width="stretch", key="cases_precision",
        placeholder="",
        column_config={
            "title": "Signal",
            "closed_cases": "Closed cases",
            "actioned": "Actioned",
            "cleared": "Cleared",
            "precision": st.column_config.ProgressColumn("Precision", min_value=0.0, max_value=1.0, format="percent"),
        },
    )
