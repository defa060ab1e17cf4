"""The weekly review in the dashboard, through Streamlit's AppTest: sign-in, the week page, meeting
mode, the case box (including two editors at once), the cases page and the leads-only audit log."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from analytics import audit, auth, cases, store
from analytics.auth import User
from dashboard.auth_gate import SESSION_KEY
from tests import review_data

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "dashboard" / "app.py")
VIEWS = ROOT / "dashboard" / "views"
TIMEOUT = 60
SECRETS = {"local_users": {name: {"role": role, "password_hash": auth.hash_password(password, rounds=4)}
                           for name, role, password in auth.DEMO_USERS}}


@pytest.fixture
def review_db() -> Path:
    path = review_data.build(Path(os.environ["ANOMALY_DB"]))
    yield path
    st.cache_resource.clear()
    st.cache_data.clear()


def app(user: User | None = None, secrets: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.secrets.update(SECRETS if secrets is None else secrets)
    if user is not None:
        at.session_state[SESSION_KEY] = user
    return at


def page(name: str, user: User, **query_params: str) -> AppTest:
    """A page opened through the app's navigation, signed in as ``user``."""
    at = app(user).run()
    at.switch_page(f"views/{name}.py")
    for key, value in query_params.items():
        at.query_params[key] = value
    return at.run()


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def selectbox(at: AppTest, label: str):
    return next(s for s in at.selectbox if s.label == label)


def seller_ids(frame) -> list[str]:
    return review_data.seller_ids(frame["seller_id"])


# --- sign-in ----------------------------------------------------------------------------------------

def test_nothing_shows_until_the_user_signs_in_with_the_right_password(review_db):
    at = app().run()
    assert [t.value for t in at.title] == ["Sign in"]
    assert not at.dataframe and not at.exception

    at.text_input(key="sign_in_username").input("ana")
    at.text_input(key="sign_in_password").input("lea-demo")
    button(at, "Sign in").click().run()
    assert "wrong password" in at.error[0].value
    assert [t.value for t in at.title] == ["Sign in"]

    at.text_input(key="sign_in_password").input("ana-demo")
    button(at, "Sign in").click().run()
    assert not at.exception
    assert at.title[0].value != "Sign in"
    assert at.session_state[SESSION_KEY] == User("ana", "analyst")
    assert any("Signed in as **ana** (analyst)" in c.value for c in at.sidebar.caption)
    assert audit.events(action="sign_in")["actor"].tolist() == ["ana"]


def test_without_any_sign_in_configured_the_page_says_how_to_set_it_up(review_db):
    at = app(secrets={"unrelated": "value"}).run()
    assert "secrets.example.toml" in at.error[0].value
    assert not at.dataframe


def test_an_oidc_provider_signs_in_through_st_login_and_names_the_leads(review_db, monkeypatch):
    secrets = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x",
                        "client_id": "c", "client_secret": "s",
                        "server_metadata_url": "https://id.example.com/.well-known/openid-configuration"},
               "roles": {"leads": ["lea@example.com"]}}
    at = app(secrets=secrets)
    at.user = {"is_logged_in": False}
    at.run()
    assert not at.text_input  # no password form: the provider signs people in
    assert [b.label for b in at.button] == ["Sign in"]  # st.login's button (Authlib is in requirements.txt)

    # An install without Authlib says what to install instead of failing inside st.login.
    # (A context, not monkeypatch.undo(): undo() would also undo every other patch of this test.)
    real_find_spec = importlib.util.find_spec
    with monkeypatch.context() as patch:
        patch.setattr(importlib.util, "find_spec",
                      lambda name, *a: None if name == "authlib" else real_find_spec(name, *a))
        at = app(secrets=secrets)
        at.user = {"is_logged_in": False}
        at.run()
        assert "needs the Authlib package" in at.error[0].value and not at.button

    at = app(secrets=secrets)
    at.user = {"is_logged_in": True, "email": "lea@example.com"}
    at.run()
    assert at.session_state[SESSION_KEY] == User("lea@example.com", "lead")
    # The sign-in is audited in this test's own analysts' store, never in a real one.
    assert store.analyst_db_path() == Path(os.environ["ANOMALY_ANALYST_DB"])
    assert store.analyst_db_path().parent == review_db.parent  # this test's tmp_path
    assert audit.events(action="sign_in")[["actor", "detail"]].values.tolist() == [["lea@example.com", "oidc"]]


def test_the_audit_log_is_for_leads_only(review_db):
    audit.viewed_seller("ana", "S1")
    at = AppTest.from_file(str(VIEWS / "audit.py"), default_timeout=TIMEOUT)
    at.session_state[SESSION_KEY] = User("ana", "analyst")
    at.run()
    assert "for leads" in at.error[0].value and not at.dataframe

    at = page("audit", User("lea", "lead"))
    assert not at.exception
    events = at.dataframe[0].value
    assert ["ana", "view_seller", "S1"] in events[["actor", "action", "target"]].values.tolist()


# --- the week page ----------------------------------------------------------------------------------

def test_the_week_page_lists_the_weeks_items(review_db):
    at = page("week", User("ana"), week="2026-W47")
    assert not at.exception
    assert at.title[0].value == "Week 2026-W47"
    tables = review_data.week_page_tables(d.value for d in at.dataframe)
    assert seller_ids(tables["agenda"]) == ["S2", "S5", "S3", "S1", "S6"]
    assert seller_ids(tables["newly_flagged"]) == ["S2", "S5"]
    assert seller_ids(tables["score_rises"]) == ["S3"]
    assert tables["status_changes"]["case_id"].tolist() == [1, 4, 5]
    assert tables["cases_closed"]["case_id"].tolist() == [4]
    assert tables["open_cases"]["case_id"].tolist() == [1, 5]
    assert seller_ids(tables["hidden_cleared_sellers"]) == ["S4"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Newly flagged"] == "2" and metrics["Cases closed"] == "1" and metrics["Open cases"] == "2"


def test_the_week_is_in_the_url_and_can_step_back(review_db):
    at = page("week", User("ana"), week="2026-W47")
    button(at, "Previous week").click().run()
    assert at.query_params["week"] == "2026-W46"
    assert at.title[0].value == "Week 2026-W46"
    assert "no earlier run" in at.caption[0].value


# --- meeting mode and the case box ------------------------------------------------------------------

def test_meeting_mode_steps_through_the_items_with_chart_and_case_box(review_db):
    at = page("meeting", User("ana"), week="2026-W47", item="1")
    assert not at.exception
    assert at.title[0].value == "Fresh Flag"
    assert at.get("plotly_chart")
    assert any(m.value.startswith("#### Case #5") for m in at.markdown)
    # For a projector: the chart in large type and within a 1080-line screen,
    # its date axis starting where the seller's data does.
    import json

    chart = at.get("plotly_chart")[0]
    layout = json.loads(chart.proto.spec)["layout"]
    assert layout["font"]["size"] >= 20 and layout["height"] <= 1080
    assert "range" in layout["xaxis"]

    button(at, "Next ▶").click().run()
    assert at.title[0].value == "Cleared Grew"
    assert at.query_params["item"] == "2"

    at.query_params["item"] = "6"
    at.run()
    assert at.title[0].value == "Week 2026-W47: summary"


def test_the_case_box_moves_a_case_and_clearing_needs_a_reason(review_db):
    at = page("meeting", User("ana"), week="2026-W47", item="1")  # S2, case #5, new
    selectbox(at, "Status").select("investigating")
    at.text_area(key="case5_note").input("reviewer overlap with S1")
    button(at, "Save").click().run()
    assert not at.error
    assert cases.get_case(5).status == "investigating"
    assert any(m.value.startswith("#### Case #5: investigating") for m in at.markdown)
    assert at.text_area(key="case5_note").value == ""  # cleared for the next note

    selectbox(at, "Status").select("cleared")
    button(at, "Save").click().run()
    assert "needs a reason" in at.error[0].value
    at.text_input(key="case5_reason").input("a price cut explains the rank")
    button(at, "Save").click().run()
    case = cases.get_case(5)
    assert (case.status, case.clear_reason, case.closed_by) == ("cleared", "a price cut explains the rank", "ana")


def test_only_a_lead_is_offered_actioned(review_db):
    analyst = page("meeting", User("ana"), week="2026-W47", item="4")  # S1, case #1, escalated
    assert not any("actioned" in option for option in selectbox(analyst, "Status").options)
    lead = page("meeting", User("lea", "lead"), week="2026-W47", item="4")
    assert "move to actioned (confirmed insider-data buyer)" in selectbox(lead, "Status").options
    selectbox(lead, "Status").select("actioned")
    button(lead, "Save").click().run()
    assert cases.get_case(1).status == "actioned"


def test_two_editors_never_lose_each_others_work(review_db):
    ana = page("meeting", User("ana"), week="2026-W47", item="1")
    ben = page("meeting", User("ben"), week="2026-W47", item="1")

    ben.text_area(key="case5_note").input("Ben: staff removals match")
    button(ben, "Save").click().run()
    assert not ben.error

    ana.text_area(key="case5_note").input("Ana: same reviewers as S1")
    button(ana, "Save").click().run()
    message = ana.error[0].value
    assert "changed by ben" in message and "Ben: staff removals match" in message and "not saved" in message
    assert ana.text_area(key="case5_note").value == "Ana: same reviewers as S1"  # kept for another try

    button(ana, "Save").click().run()
    assert not ana.error
    notes = cases.history(5).query("field == 'note'")["new_value"].tolist()
    assert notes == ["Ben: staff removals match", "Ana: same reviewers as S1"]


def test_a_case_can_be_opened_from_the_box_and_the_view_is_audited(review_db):
    at = page("meeting", User("ben"), week="2026-W47", item="3")  # S3: no case yet
    assert any("No case on this seller yet" in c.value for c in at.caption)
    button(at, "Open a case").click().run()
    case = cases.case_for_seller("S3")
    assert (case.status, case.opened_by, case.assignee) == ("new", "ben", "ben")
    assert "S3" in audit.events(actor="ben", action="view_seller")["target"].tolist()


def test_the_cases_page_lists_open_cases_and_precision_by_signal(review_db):
    at = page("cases", User("ana"))
    assert not at.exception
    listed = at.dataframe[0].value
    assert sorted(listed["case_id"]) == [1, 5]
    precision = next(d.value for d in at.dataframe if "precision" in d.value.columns)
    assert precision["closed_cases"].tolist() == [3, 3]

    closed = page("cases", User("ana"), show="closed")  # a pasted link reopens the same list
    assert sorted(closed.dataframe[0].value["case_id"]) == [2, 3, 4]


# --- the watchlist: cleared sellers and the case box -------------------------------------------------

def watchlist(user: User = User("ana"), **query_params: str) -> AppTest:
    at = page("watchlist", user, **query_params)
    assert not at.exception, [e.message for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_a_cleared_seller_leaves_the_watchlist_with_a_notice_until_its_evidence_grows(review_db):
    at = watchlist()
    rows = at.dataframe[0].value.set_index("seller_id")
    assert "S4" not in rows.index  # cleared in case #2 on the reinstatement finding it still has
    assert any(i.value.startswith("1 cleared seller hidden: its evidence has not grown") for i in at.info)
    # The numbers agree with the rows: S1, S2 and S5 flagged (S2 and S5 newly), six scored, five listed.
    assert metrics(at) == {"Sellers scored": "6", "Flagged": "3", "Newly flagged": "2", "Open cases": "2",
                           "Matching the filters": "5"}
    assert int(rows["flagged"].sum()) == 3
    assert rows.loc["S5", "cleared_note"].startswith("re-flagged after clearing: new signal since clearing")

    # The same finding a month later is new evidence: S4 is back, flagged, and says why.
    with store.rebuild(review_db) as con:
        con.execute("""insert into evidence (as_of, seller_id, signal, changepoint_date, "before", "after", effect,
                                             p_value, q_value, significant, detail)
                       values ($as_of, 'S4', 'rank_jump', date '2026-11-18', 0.0, 1.0, 2.0, 0.001, 0.01, true,
                               'rank_jump finding for S4')""", {"as_of": review_data.WEEK_RUN})
    at = watchlist()
    rows = at.dataframe[0].value.set_index("seller_id")
    assert bool(rows.loc["S4", "flagged"])
    assert rows.loc["S4", "cleared_note"] == "re-flagged after clearing: new signal since clearing: rank_jump"
    assert not any("hidden" in i.value for i in at.info)
    assert metrics(at)["Flagged"] == "4" and metrics(at)["Matching the filters"] == "6"


def test_hidden_cleared_sellers_can_be_shown_marked_as_cleared(review_db):
    at = watchlist()
    at.toggle(key="show_cleared").set_value(True).run()
    rows = at.dataframe[0].value.set_index("seller_id")
    assert rows.loc["S4", "cleared_note"].startswith("cleared in case #2 on 2026-11-05 (honest verification hold)")
    assert any(i.value.startswith("1 cleared seller shown") for i in at.info)
    assert metrics(at)["Flagged"] == "4" and metrics(at)["Matching the filters"] == "6"
    pasted = app(User("ana"))  # a new session from a pasted link shows them too
    pasted.query_params["show_cleared"] = "true"
    assert "S4" in pasted.run().dataframe[0].value["seller_id"].tolist()


def test_the_watchlist_case_box_opens_a_case_that_the_cases_page_lists(review_db):
    at = watchlist(User("ben"), selected="S3")  # a selected row puts its seller in the URL
    assert "Quiet Riser (S3)" in [s.value for s in at.subheader]
    assert any("No case on this seller yet" in c.value for c in at.caption)
    button(at, "Open a case").click().run()
    case = cases.case_for_seller("S3")
    assert (case.status, case.opened_by, case.assignee) == ("new", "ben", "ben")
    assert metrics(at)["Open cases"] == "3"  # counted at once, not after a cache expires
    assert any(m.value.startswith(f"#### Case #{case.case_id}: new") for m in at.markdown)

    listed = page("cases", User("ben")).dataframe[0].value
    assert case.case_id in listed["case_id"].tolist()
    assert "S3" in seller_ids(listed.rename(columns={"seller": "seller_id"}))
