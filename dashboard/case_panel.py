"""The case box: open, show and edit a seller's case, wherever a seller is shown.

``case_panel(seller_id)`` is all a page needs to call (the seller page, the watchlist, meeting mode,
the cases page). It shows the seller's open case (or offers to open one), its history, and a form to
move it, assign it, add a note, or clear it with a reason. A lead can also close it as actioned.

Concurrency: the form remembers the case version it was shown with. When someone else saved the case
in between, the save is refused (``StaleCase``): the box says who changed what, shows the newer
version, and keeps the note and reason typed so they can be saved again on top of it.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from analytics import audit, cases, feedback
from analytics.auth import User
from dashboard import auth_gate, state

UNASSIGNED = "(unassigned)"


def _keys(case_id: int) -> dict[str, str]:
    return {name: f"case{case_id}_{name}" for name in ("base", "status", "assignee", "note", "reason", "saved")}


def _record_view(user: User, seller_id: str) -> None:
    """One audit event per seller per session: the box is drawn on every rerun."""
    seen = st.session_state.setdefault("_audited_seller_views", set())
    if seller_id not in seen:
        audit.viewed_seller(user.username, seller_id)
        seen.add(seller_id)


def _history_table(case: cases.Case) -> pd.DataFrame:
    rows = cases.history(case.case_id)
    return pd.DataFrame({
        "when (UTC)": rows["changed_at"],
        "who": rows["changed_by"],
        "what": [cases.describe_change(r) for r in rows.itertuples()],
        "version": rows["version"],
    })


def _snapshot(seller_id: str, as_of: dt.date | None) -> pd.DataFrame | None:
    db = state.reader()
    if not db.exists:
        return None
    with db.cursor() as con:
        return feedback.evidence_snapshot(con, seller_id, as_of)


def case_panel(seller_id: str, *, as_of: dt.date | None = None, key: str = "") -> cases.Case | None:
    """Draw the case box for ``seller_id``; returns the case shown (None when it has none)."""
    user = auth_gate.require_user()
    _record_view(user, seller_id)
    case = cases.case_for_seller(seller_id)
    with st.container(border=True):
        if case is None or not case.is_open:
            _no_open_case(seller_id, case, user, as_of, key)
            return case
        _open_case(case, user, as_of, key)
    return case


def _no_open_case(seller_id: str, last: cases.Case | None, user: User, as_of, key: str) -> None:
    st.markdown("#### Case")
    if last is not None:
        closed = f"{last.closed_at:%Y-%m-%d}" if last.closed_at else "?"
        said = f": {last.clear_reason}" if last.clear_reason else ""
        st.caption(f"Last case #{last.case_id} was {cases.STATUS_WORDS[last.status]} by {last.closed_by} "
                   f"on {closed}{said}.")
        with st.expander(f"History of case #{last.case_id}"):
            st.dataframe(_history_table(last), hide_index=True, width="stretch", placeholder="")
    else:
        st.caption("No case on this seller yet.")
    people = [UNASSIGNED, *auth_gate.known_usernames(user)]
    with st.form(f"open-case-{seller_id}-{key}"):
        assignee = st.selectbox("Assign to", people, index=people.index(user.username),
                                key=f"open_{seller_id}_{key}_assignee")
        note = st.text_area("First note (optional)", key=f"open_{seller_id}_{key}_note")
        if st.form_submit_button("Open a case", type="primary"):
            opened = cases.open_case(seller_id, user, assignee=None if assignee == UNASSIGNED else assignee,
                                     as_of=as_of, note=note)
            if opened.opened_by != user.username or opened.version > 1:
                st.session_state["_case_notice"] = (f"{opened.label} was already open on this seller "
                                                    f"(opened by {opened.opened_by}); here it is.")
            st.rerun()


def _open_case(case: cases.Case, user: User, as_of, key: str) -> None:
    k = _keys(case.case_id)
    if st.session_state.pop(k["saved"], False):  # a successful save: start the next edit from blank
        for name in ("note", "reason"):
            st.session_state.pop(k[name], None)
    notice = st.session_state.pop("_case_notice", None)
    if notice:
        st.info(notice)

    st.markdown(f"#### Case #{case.case_id}: {cases.STATUS_WORDS[case.status]}")
    st.caption(f"Opened by {case.opened_by} on {case.opened_at:%Y-%m-%d %H:%M} UTC · assigned to "
               f"{case.assignee or 'nobody'} · last change by {case.updated_by} on "
               f"{case.updated_at:%Y-%m-%d %H:%M} UTC · version {case.version}")
    with st.expander("History and notes"):
        st.dataframe(_history_table(case), hide_index=True, width="stretch", placeholder="")

    # The version this session last showed; a submit is judged against it, not against what is
    # stored now (which may be someone else's newer save).
    based_on = st.session_state.get(k["base"], case.version)
    moves = [m for m in cases.TRANSITIONS[case.status] if m != cases.ACTIONED or user.is_lead]
    keep = f"keep: {case.status}"
    people = [UNASSIGNED, *auth_gate.known_usernames(user)]
    if case.assignee and case.assignee not in people:
        people.append(case.assignee)
    with st.form(f"case-form-{case.case_id}-{key}"):
        left, right = st.columns(2)
        # Status and assignee start from the stored values of this version: a widget remembering an
        # older version's value would quietly undo someone else's change on the next save.
        status = left.selectbox("Status", [keep, *moves], key=f"{k['status']}_v{case.version}_{key}",
                                format_func=lambda s: s if s == keep else f"move to {cases.STATUS_WORDS[s]}")
        assignee = right.selectbox("Assigned to", people, index=people.index(case.assignee or UNASSIGNED),
                                   key=f"{k['assignee']}_v{case.version}_{key}")
        note = st.text_area("Add a note", key=k["note"])
        reason = st.text_input("Reason (required to clear: why this is a false alarm)", key=k["reason"])
        if not user.is_lead and case.status == cases.ESCALATED:
            st.caption("Only a lead can close a case as actioned.")
        submitted = st.form_submit_button("Save", type="primary")

    if not submitted:
        st.session_state[k["base"]] = case.version
        return
    new_status = None if status == keep else status
    try:
        saved = cases.update_case(
            case.case_id, based_on=based_on, user=user, status=new_status,
            assignee=None if assignee == UNASSIGNED else assignee, note=note, reason=reason,
            evidence=_snapshot(case.seller_id, as_of) if new_status in cases.CLOSED_STATUSES else None)
    except cases.StaleCase as stale:
        st.session_state[k["base"]] = stale.current.version
        st.error(str(stale))
        st.caption("Their changes are shown above; press Save again to apply yours on top of them.")
        return
    except cases.CaseError as refused:
        st.error(str(refused))
        return
    st.session_state[k["base"]] = saved.version
    st.session_state[k["saved"]] = True
    st.rerun()
