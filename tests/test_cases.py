"""Cases, feedback, the week's items, sign-in and the audit log, without Streamlit."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest

from analytics import audit, auth, cases, feedback, store, weekly
from analytics.auth import User
from tests import review_data
from tests.review_data import ANA, BEN, LEA, NOW, WEEK


@pytest.fixture
def review_db() -> Path:
    return review_data.build(Path(os.environ["ANOMALY_DB"]))


@pytest.fixture
def week(review_db) -> weekly.WeekItems:
    return weekly.week_items_for_db(WEEK, db=review_db, now=NOW)


# --- the case life cycle ----------------------------------------------------------------------------

def test_a_case_moves_from_new_to_actioned_and_keeps_every_change():
    case = cases.open_case("S9", ANA, assignee="ana", note="two suspensions lifted in an hour")
    assert (case.status, case.version, case.assignee) == ("new", 1, "ana")
    case = cases.update_case(case.case_id, based_on=1, user=ANA, status="investigating")
    case = cases.update_case(case.case_id, based_on=2, user=ANA, status="escalated", assignee="lea",
                             note="same employee both times")
    case = cases.update_case(case.case_id, based_on=3, user=LEA, status="actioned")

    assert (case.status, case.version, case.closed_by) == ("actioned", 4, "lea")
    told = [cases.describe_change(r) for r in cases.history(case.case_id).itertuples()]
    assert told == ["opened (seller S9)", "assignee: none -> ana", "note: two suspensions lifted in an hour",
                    "status: new -> investigating", "status: investigating -> escalated", "assignee: ana -> lea",
                    "note: same employee both times", "status: escalated -> actioned"]
    people = cases.history(case.case_id)["changed_by"].tolist()
    assert people == ["ana"] * 7 + ["lea"]


def test_only_a_lead_closes_a_case_as_actioned():
    case = cases.open_case("S9", ANA)
    case = cases.update_case(case.case_id, based_on=1, user=ANA, status="investigating")
    case = cases.update_case(case.case_id, based_on=2, user=ANA, status="escalated")
    with pytest.raises(cases.NotAllowed, match="only a lead"):
        cases.update_case(case.case_id, based_on=3, user=BEN, status="actioned")
    assert cases.get_case(case.case_id).status == "escalated"


def test_clearing_needs_a_reason_and_skipping_a_step_is_refused():
    case = cases.open_case("S9", ANA)
    with pytest.raises(cases.CaseError, match="needs a reason"):
        cases.update_case(case.case_id, based_on=1, user=ANA, status="cleared", reason="  ")
    with pytest.raises(cases.CaseError, match="can move to investigating, cleared, not actioned"):
        cases.update_case(case.case_id, based_on=1, user=LEA, status="actioned")
    cleared = cases.update_case(case.case_id, based_on=1, user=ANA, status="cleared",
                                reason="price cut and ad campaign explain it")
    assert (cleared.status, cleared.clear_reason) == ("cleared", "price cut and ad campaign explain it")


def test_a_seller_has_one_open_case_and_only_a_lead_reopens_a_closed_one():
    first = cases.open_case("S9", ANA)
    assert cases.open_case("S9", BEN).case_id == first.case_id  # the open one, not a second
    cases.update_case(first.case_id, based_on=1, user=ANA, status="cleared", reason="seasonal")
    second = cases.open_case("S9", BEN)
    assert second.case_id != first.case_id
    with pytest.raises(cases.CaseError, match="already has an open case"):
        cases.update_case(first.case_id, based_on=2, user=LEA, status="investigating")
    cases.update_case(second.case_id, based_on=1, user=BEN, status="cleared", reason="seasonal")
    with pytest.raises(cases.NotAllowed, match="only a lead can reopen"):
        cases.update_case(first.case_id, based_on=2, user=ANA, status="investigating")
    assert cases.update_case(first.case_id, based_on=2, user=LEA, status="investigating").status == "investigating"


def test_a_stale_edit_is_refused_with_the_newer_version_and_nothing_is_overwritten():
    case = cases.open_case("S9", ANA, assignee="ana")
    # Both editors loaded version 1. Ben saves first.
    cases.update_case(case.case_id, based_on=1, user=BEN, status="investigating", note="Ben's finding")
    with pytest.raises(cases.StaleCase) as refused:
        cases.update_case(case.case_id, based_on=1, user=ANA, assignee="ana", status="cleared", reason="benign")
    stale = refused.value
    assert stale.newer_version == 2 and stale.current.status == "investigating"
    assert "changed by ben" in str(stale) and "status: new -> investigating" in str(stale)
    assert "note: Ben's finding" in str(stale) and "not saved" in str(stale)
    assert cases.get_case(case.case_id).status == "investigating"  # Ana's edit left no trace
    # Ana applies hers again on top of the newer version.
    assert cases.update_case(case.case_id, based_on=2, user=ANA, note="Ana's note").version == 3


def test_two_editors_at_the_same_moment_one_wins_and_the_other_is_told():
    case = cases.open_case("S9", ANA)
    barrier = threading.Barrier(2)
    outcome: dict[str, object] = {}

    def edit(user: User, note: str) -> None:
        barrier.wait()
        try:
            outcome[user.username] = cases.update_case(case.case_id, based_on=1, user=user, note=note)
        except cases.StaleCase as exc:
            outcome[user.username] = exc

    threads = [threading.Thread(target=edit, args=(u, f"{u.username} was here")) for u in (ANA, BEN)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    kinds = sorted(type(v).__name__ for v in outcome.values())
    assert kinds == ["Case", "StaleCase"]
    notes = cases.history(case.case_id).query("field == 'note'")["new_value"].tolist()
    assert len(notes) == 1  # exactly the winner's; the loser was told, not merged blindly


def test_an_edit_waits_for_another_process_holding_the_store():
    """The `report` command or a second dashboard may hold the analysts' store for a moment; DuckDB
    would refuse a second process at once, so the edit waits for it instead of failing."""
    path = store.analyst_db_path()
    holder = subprocess.Popen([sys.executable, "-c", (
        "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('held', flush=True); "
        "sys.stdin.readline(); con.close()"), str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    released = threading.Event()

    def release() -> None:
        released.set()
        holder.stdin.write("go\n")
        holder.stdin.flush()

    threading.Timer(0.5, release).start()
    case = cases.open_case("S9", ANA)  # blocked on the file until the other process lets go
    assert released.is_set()
    assert cases.get_case(case.case_id).seller_id == "S9"
    holder.wait(timeout=10)


def test_cases_live_in_the_analysts_store_not_the_marketplace_database(review_db):
    with store.connect_read_only(review_db) as con:
        tables = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
    assert "cases" not in tables and "case_history" not in tables
    with store.analyst_store(review_db) as con:
        assert con.execute("select count(*) from cases").fetchone()[0] == 5


# --- feedback --------------------------------------------------------------------------------------

def test_precision_by_signal_comes_from_dispositions(review_db):
    table = feedback.precision_by_signal(db=review_db).set_index("signal")
    # Case #4 actioned, cases #2 and #3 cleared, all three closed on the reinstatement finding.
    assert table.loc["reinstatement", ["closed_cases", "actioned", "cleared"]].tolist() == [3, 1, 2]
    assert table.loc["reinstatement", "precision"] == pytest.approx(1 / 3)
    assert table.loc["all closed cases", "closed_cases"] == 3


def test_a_cleared_seller_stays_hidden_until_its_evidence_grows(review_db):
    with store.connect_read_only(review_db) as con:
        review = feedback.cleared_review(con, review_data.WEEK_RUN, db=review_db).set_index("seller_id")
    assert bool(review.loc["S4", "hidden"]) is True  # same signal, same change point, same effect
    assert "has not grown" in review.loc["S4", "why"]
    assert bool(review.loc["S5", "hidden"]) is False
    assert "new signal since clearing: rank_jump" in review.loc["S5", "why"]


@pytest.mark.parametrize(("change", "hidden"), [
    ({}, True),
    ({"changepoint_date": dt.date(2026, 10, 30)}, True),  # 10 days off: the same episode
    ({"changepoint_date": dt.date(2026, 11, 20)}, False),  # a month later: a new episode
    ({"effect": 2.4}, True),  # 20% larger: within the margin
    ({"effect": 3.0}, False),  # 50% larger: the evidence grew
])
def test_what_counts_as_the_same_evidence(change, hidden):
    then = pd.DataFrame([review_data.CLEARED_REINSTATEMENT])
    now = pd.DataFrame([{**review_data.CLEARED_REINSTATEMENT, **change}])
    assert (not feedback._growth(then, now)) is hidden


def test_the_watchlist_can_mark_and_hide_cleared_sellers(review_db):
    rows = pd.DataFrame({"seller_id": ["S1", "S4", "S5"], "score": [8.5, 6.0, 7.0]})
    with store.connect_read_only(review_db) as con:
        marked = feedback.mark_cleared(rows, con, review_data.WEEK_RUN, db=review_db).set_index("seller_id")
    assert marked["cleared_hidden"].tolist() == [False, True, False]
    assert pd.isna(marked.loc["S1", "cleared_note"])
    # The same words whether the row is hidden or shown on request: why the seller stays cleared.
    assert marked.loc["S4", "cleared_note"].startswith("cleared in case #2")
    assert marked.loc["S5", "cleared_note"].startswith("re-flagged after clearing")


# --- the week --------------------------------------------------------------------------------------

def test_the_weeks_items(week):
    assert (week.run, week.previous_run) == (review_data.WEEK_RUN, review_data.PREVIOUS_RUN)
    assert week.newly_flagged["seller_id"].tolist() == ["S2", "S5"]  # S4 hidden: cleared, same evidence
    assert week.hidden["seller_id"].tolist() == ["S4"]
    assert week.risers["seller_id"].tolist() == ["S3"]
    moves = week.status_changes[["case_id", "from_status", "to_status"]].fillna("none")
    assert moves.values.tolist() == [[1, "investigating", "escalated"], [4, "escalated", "actioned"],
                                     [5, "none", "new"]]
    assert week.closed["seller_id"].tolist() == ["S6"]
    assert week.open_cases[["case_id", "status", "age_band"]].values.tolist() == [
        [1, "escalated", "2-4 weeks"], [5, "new", "under 1 week"]]
    assert week.agenda["seller_id"].tolist() == ["S2", "S5", "S3", "S1", "S6"]
    assert week.agenda["why"].iloc[0] == "newly flagged; case #5 opened by ana"


def test_a_past_week_reads_as_it_stood_then(review_db):
    w46 = weekly.week_items_for_db("2026-W46", db=review_db, now=NOW)
    assert w46.run == review_data.PREVIOUS_RUN and w46.previous_run is None
    assert w46.newly_flagged["seller_id"].tolist() == ["S1"]  # the first run: every flag is new
    # At the end of week 46 case #1 was investigating and case #4 escalated; #5 did not exist yet.
    assert w46.open_cases[["case_id", "status"]].values.tolist() == [[4, "escalated"], [1, "investigating"]]
    assert set(w46.closed["case_id"]) == set()


def test_a_week_without_a_run_still_lists_its_cases(review_db):
    w49 = weekly.week_items_for_db("2026-W49", db=review_db, now=NOW)
    assert w49.run is None and w49.newly_flagged.empty and w49.risers.empty
    assert w49.open_cases["case_id"].tolist() == [1, 5]


@pytest.mark.parametrize("text", ["2026-47", "2026-W54", "W47", "2026-w47x"])
def test_a_malformed_week_is_refused_with_the_format(text):
    with pytest.raises(ValueError, match="YYYY-Www"):
        weekly.parse_week(text)


# --- sign-in and audit ------------------------------------------------------------------------------

def _secrets() -> dict:
    return {"local_users": {name: {"role": role, "password_hash": auth.hash_password(pw, rounds=4)}
                            for name, role, pw in auth.DEMO_USERS}}


def test_local_users_sign_in_with_their_password_only():
    secrets = _secrets()
    assert auth.authenticate(secrets, "lea", "lea-demo") == User("lea", "lead")
    assert auth.authenticate(secrets, "ana", "ana-demo").is_lead is False
    assert auth.authenticate(secrets, "ana", "lea-demo") is None
    assert auth.authenticate(secrets, "nobody", "ana-demo") is None


def test_the_shipped_example_secrets_sign_in_the_documented_demo_users():
    import tomllib
    example = tomllib.loads((Path(__file__).resolve().parents[1] / ".streamlit" / "secrets.example.toml").read_text())
    for name, role, password in auth.DEMO_USERS:
        assert auth.authenticate(example, name, password) == User(name, role)
    assert "auth" not in example  # OIDC is only sketched, commented out


def test_oidc_roles_come_from_the_leads_list():
    secrets = {"auth": {}, "roles": {"leads": ["Lead@Example.com"]}}
    assert auth.oidc_user({"email": "lead@example.com"}, secrets).is_lead
    assert not auth.oidc_user({"email": "x@example.com"}, secrets).is_lead


def test_the_demo_secrets_file_is_written_once_with_hashed_passwords(tmp_path):
    path = tmp_path / ".streamlit" / "secrets.toml"
    assert auth.ensure_demo_secrets(path) is True
    assert auth.ensure_demo_secrets(path) is False
    text = path.read_text()
    assert "ana-demo" not in text.split("\n", 2)[2]  # only the comment names the public demo passwords
    import tomllib
    assert auth.authenticate(tomllib.loads(text), "lea", "lea-demo") == User("lea", "lead")


def test_the_audit_log_records_who_did_what():
    audit.viewed_seller("ana", "S1")
    audit.ran_query("ben", "select 1", rows=1)
    audit.exported("lea", "weekly-review-2026-W47.pdf", "week 2026-W47")
    events = audit.events()
    assert events[["actor", "action", "target"]].values.tolist() == [
        ["lea", "export", "weekly-review-2026-W47.pdf"], ["ben", "run_query", "1 rows"], ["ana", "view_seller", "S1"]]
    assert audit.events(actor="ana")["target"].tolist() == ["S1"]
    with pytest.raises(ValueError, match="unknown audit action"):
        audit.record("ana", "delete_everything")
