"""The SQL page, driven through Streamlit's AppTest: run, refuse, truncate, save, reopen by link."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from analytics.sql import saved_queries, settings
from test_sql_engine import build_marketplace

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "dashboard" / "views" / "sql_explorer.py")


@pytest.fixture
def marketplace() -> Path:
    path = build_marketplace(Path(os.environ["ANOMALY_DB"]))
    yield path
    st.cache_resource.clear()  # closes nothing by itself, but drops the Reader so the next test opens its own
    st.cache_data.clear()


def page(**query_params: str) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30)
    for name, value in query_params.items():
        at.query_params[name] = value
    return at.run()


def run_sql(at: AppTest, sql: str) -> AppTest:
    at.text_area(key="sql_editor").input(sql)
    next(b for b in at.button if b.label == "Run").click()
    return at.run()


def _sign_in(at: AppTest) -> None:
    """The app asks who you are before any page, once the sign-in gate is part of it."""
    try:
        from analytics.auth import User
        from dashboard.auth_gate import SESSION_KEY
    except ImportError:  # no sign-in gate in this tree
        return
    at.session_state[SESSION_KEY] = User("ana", "analyst")


def captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption]


def test_runs_a_query_and_shows_rows_count_and_time(marketplace):
    at = run_sql(page(), "select seller_id, seller_name from sellers order by seller_id")

    assert not at.exception and not at.error
    result = at.dataframe[0].value
    assert result["seller_id"].tolist() == ["S1", "S2", "S3", "S4"]
    assert any(c.startswith("4 rows · ") and c.endswith(" s") for c in captions(at))
    assert {b.label for b in at.get("download_button")} >= {"CSV", "Parquet"}
    assert at.query_params["sql"] == "select seller_id, seller_name from sellers order by seller_id"


def test_a_refused_statement_is_explained_not_a_traceback(marketplace):
    at = run_sql(page(), "drop table sellers")

    assert not at.exception
    assert at.error and at.error[0].value.startswith("Refused: DROP")
    at = run_sql(at, "select count(*) as n from sellers")
    assert at.dataframe[0].value["n"][0] == 4


def test_a_failing_query_shows_duckdbs_pointer(marketplace):
    at = run_sql(page(), "select nope from sellers")

    assert not at.exception
    assert "could not find" in at.error[0].value
    assert any("nope" in c.value for c in at.code)


def test_a_long_result_says_where_it_was_truncated(marketplace):
    at = run_sql(page(), "select range as n from range(20000)")

    assert len(at.dataframe[0].value) == settings.MAX_RETURNED_ROWS.default
    assert any("Truncated at 10,000 rows" in w.value for w in at.warning)


def test_a_query_past_the_time_limit_is_stopped_with_a_reason(marketplace, monkeypatch):
    monkeypatch.setattr(settings, "SQL_TIME_LIMIT_S", settings.Setting("sql_time_limit_s", 1, "test"))
    at = run_sql(page(), "select sum(hash(a.range * b.range)) from range(300000) as a, range(300000) as b")

    assert not at.exception
    assert any(w.value.startswith("Stopped: the query ran longer than the 1-second limit") for w in at.warning)


def test_save_a_query_then_reopen_it_by_link(marketplace):
    sql = "select seller_id from sellers where primary_category = 'toys' order by seller_id"
    at = run_sql(page(), sql)
    at.text_input(key="sql_author").input("ana")
    next(t for t in at.text_input if t.label == "Name").input("Toys sellers")
    next(b for b in at.button if b.label == "Save").click()
    at.run()

    assert not at.exception
    [saved] = saved_queries.list_saved()
    assert (saved.name, saved.sql, saved.author) == ("Toys sellers", sql, "ana")
    assert any(f"/sql?q={saved.query_id}" in s.value for s in at.success)
    assert at.query_params["q"] == saved.query_id

    reopened = page(q=saved.query_id)  # a new session, as from a link pasted into case notes
    assert not reopened.exception
    assert reopened.text_area(key="sql_editor").value == sql
    assert reopened.dataframe[0].value["seller_id"].tolist() == ["S1", "S2", "S3"]
    assert any("Toys sellers" in c and "ana" in c for c in captions(reopened))


def test_a_link_with_sql_runs_it(marketplace):
    at = page(sql="select count(*) as n from reviews where rating = 1")
    assert at.text_area(key="sql_editor").value.startswith("select count(*)")
    assert at.dataframe[0].value["n"][0] == 6


def test_a_link_to_a_deleted_query_is_explained(marketplace):
    at = page(q="deadbeef")
    assert not at.exception
    assert any("No saved query with id `deadbeef`" in w.value for w in at.warning)


def test_an_example_runs_from_the_gallery(marketplace):
    at = page()
    at.button(key="example_03_reinstatements_within_24_hours").click()
    at.run()

    assert not at.exception
    assert at.text_area(key="sql_editor").value.startswith("-- Which suspensions were lifted")
    assert at.dataframe[0].value["seller_id"].tolist() == ["S3"]


def test_history_chart_and_schema(marketplace):
    at = run_sql(page(), "select seller_id, count(*) as reviews from reviews join products using (product_id) "
                         "group by seller_id order by seller_id")
    at = run_sql(at, "drop table sellers")

    history = next(d.value for d in at.dataframe if "status" in d.value.columns)
    assert history["status"].tolist() == ["refused", "ok"]
    assert history["rows"].tolist()[1] == 2
    at = run_sql(at, "select seller_id, count(*) as reviews from reviews join products using (product_id) "
                     "group by seller_id")
    assert at.get("plotly_chart")
    assert any("sellers" in e.label and "4 rows" in e.label for e in at.expander)


def test_the_page_opens_through_the_app_navigation(marketplace):
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=30)
    _sign_in(at)
    at.run()
    at.switch_page("views/sql_explorer.py").run()

    assert not at.exception
    assert at.title[0].value == "SQL"
    at = run_sql(at, "select count(*) as n from sellers")
    assert at.dataframe[0].value["n"][0] == 4


def test_without_a_database_the_page_says_how_to_make_one():
    at = page()
    assert not at.exception
    assert "python -m analytics demo" in at.warning[0].value


def test_every_query_run_is_in_the_audit_log(marketplace):
    from analytics import audit

    at = run_sql(page(), "select count(*) as sellers from sellers")
    assert not at.exception
    logged = audit.events(action=audit.RUN_QUERY)
    assert logged["detail"].tolist() == ["select count(*) as sellers from sellers"]
    assert logged["target"].tolist() == ["1 rows"]
