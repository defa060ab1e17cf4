"""The SQL explorer's engine: what it refuses, what it runs, its limits, and the pieces around it."""

from __future__ import annotations

import io
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from analytics import schema, store
from analytics.sql import (
    QueryRejected, downloads, errors, examples, execute, run_query, saved_queries, schema_browser,
    settings, statement_check,
)
from analytics.sql.connection import read_only

# Runs for minutes: 9e10 pairs hashed.
MINUTE_LONG = "select sum(hash(a.range * b.range)) from range(300000) as a, range(300000) as b"
CHANGE = date(2024, 3, 1)
TABLES = len(schema.INPUT_TABLES) + len(schema.OUTPUT_DDL)  # every table of the marketplace database


def build_marketplace(path: Path) -> Path:
    """A tiny marketplace in Toys where S1 buys services and S2, S3 are its rivals; S4 sells kitchenware.

    S1: three 1-star reviews removed by staff (employee E1), six new 5-star unverified reviewers who had
    all reviewed S2 in January, and a rank that jumps on 2024-03-01 (the scoring run's evidence says so).
    S3: suspended for a safety complaint and reinstated four hours later by E2, an appeal ten minutes
    before. S4: a slow, ordinary suspension.
    """
    sellers = pd.DataFrame({
        "seller_id": ["S1", "S2", "S3", "S4"],
        "seller_name": ["Bright Toys", "Toy Barn", "Kidz", "Pan Co"],
        "country": ["CN", "US", "CN", "DE"],
        "registered_on": [date(2023, 1, 1)] * 4,
        "primary_category": ["toys", "toys", "toys", "kitchen"],
    })
    products = pd.DataFrame({
        "product_id": ["P1", "P2", "P3", "P4"],
        "seller_id": ["S1", "S2", "S3", "S4"],
        "category": ["toys", "toys", "toys", "kitchen"],
        "launched_on": [date(2023, 2, 1)] * 4,
    })
    days = [CHANGE + timedelta(days=d) for d in range(-30, 31)]
    daily = pd.DataFrame([
        {"product_id": pid, "date": day, "sales_rank": rank(day), "price": 10.0, "units_sold": 5}
        for pid, rank in [
            ("P1", lambda d: 50 if d < CHANGE else 5),
            ("P2", lambda d: 10),
            ("P3", lambda d: 20),
            ("P4", lambda d: 3),
        ]
        for day in days
    ])
    reviews = []

    def review(rid, pid, who, rating, at, verified=True, removed_at=None, removed_by=None):
        reviews.append({"review_id": rid, "product_id": pid, "reviewer_id": who, "rating": rating,
                        "created_at": at, "verified_purchase": verified, "removed_at": removed_at,
                        "removed_by": removed_by})

    for i in range(3):
        posted = datetime(2024, 2, 10 + i, 9)
        review(f"bad{i}", "P1", f"C{i}", 1, posted, removed_at=posted + timedelta(days=5), removed_by="staff")
    review("bad3", "P1", "C3", 1, datetime(2024, 2, 14), removed_at=datetime(2024, 2, 15), removed_by="customer")
    review("bad4", "P1", "C4", 1, datetime(2024, 2, 15))
    review("ok0", "P1", "C5", 4, datetime(2024, 1, 20))
    for i in range(6):
        review(f"rival{i}", "P2", f"R{i}", 4, datetime(2024, 1, 5 + i))
        review(f"new{i}", "P1", f"R{i}", 5, datetime(2024, 3, 2 + i), verified=False)
    review("p2bad", "P2", "C9", 1, datetime(2024, 2, 1), removed_at=datetime(2024, 2, 2), removed_by="automated")
    for i in range(5):
        review(f"own{i}", "P2", f"O{i}", 5, datetime(2024, 3, 10 + i))
    events = pd.DataFrame({
        "seller_id": ["S3", "S3", "S3", "S4", "S4", "S4"],
        "ts": [datetime(2024, 3, 2, 10), datetime(2024, 3, 2, 13, 50), datetime(2024, 3, 2, 14),
               datetime(2024, 2, 1), datetime(2024, 2, 5), datetime(2024, 2, 10)],
        "event": ["suspended", "appeal_submitted", "reinstated", "suspended", "appeal_submitted", "reinstated"],
        "reason": ["safety complaint", None, None, "verification", None, None],
    })
    access = pd.DataFrame({
        "employee_id": ["E1", "E1", "E1", "E2", "E3"],
        "ts": [datetime(2024, 2, 15, 9), datetime(2024, 2, 16, 9), datetime(2024, 2, 17, 9),
               datetime(2024, 3, 2, 13, 59), datetime(2024, 2, 10, 12)],
        "action": ["remove_review", "remove_review", "remove_review", "reinstate_account", "remove_review"],
        "seller_id": ["S1", "S1", "S1", "S3", "S2"],
        "product_id": ["P1", "P1", "P1", None, "P2"],
    })
    with store.rebuild(path) as con:
        frames = {"sellers": sellers, "products": products, "product_daily": daily,
                  "reviews": pd.DataFrame(reviews), "account_events": events, "access_log": access}
        for name, frame in frames.items():
            con.register("incoming", frame)
            con.execute(f"insert into {name} by name select * from incoming")
            con.unregister("incoming")
        con.execute("""
            insert into evidence (as_of, seller_id, signal, changepoint_date, "before", "after", p_value,
                                  q_value, significant)
            values ('2024-03-31', 'S1', 'rank_jump', '2024-03-01', 50, 5, 0.0001, 0.001, true)
        """)
        con.execute("""
            insert into seller_scores (as_of, seller_id, score, flagged, reasons, score_rank)
            values ('2024-03-31', 'S1', 0.97, true, 'rank jumped after staff removed 1-star reviews', 1),
                   ('2024-03-31', 'S2', 0.10, false, '', 2)
        """)
        con.execute("create view toys_sellers as select * from sellers where primary_category = 'toys'")
    return path


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    return build_marketplace(tmp_path_factory.mktemp("sql") / "marketplace.duckdb")


# --- refused -------------------------------------------------------------------------------------------

HOSTILE = {
    "read_csv": "select * from read_csv('/etc/passwd')",
    "read_csv_auto": "select * from read_csv_auto('/etc/passwd')",
    "read_text": "select * from read_text('/etc/passwd')",
    "read_blob": "select content from read_blob('/etc/passwd')",
    "read_json": "select * from read_json('/etc/passwd')",
    "read_parquet": "select * from read_parquet('/tmp/anything.parquet')",
    "sniff_csv": "select * from sniff_csv('/etc/passwd')",
    "glob": "select * from glob('/etc/*')",
    "file as table": "select * from '/etc/passwd'",
    "describe a file": "describe '/etc/passwd'",
    "show a file": "show '/etc/passwd'",
    "summarize a file": "summarize select * from read_csv('/etc/passwd')",
    "dynamic pivot over a file": "pivot (from read_text('/etc/passwd')) on filename using count(*)",
    "sql in a string": "select * from query('select 1')",
    "checkpoint function": "select * from checkpoint()",
    "enable_logging function": "select * from enable_logging()",
    "write_log": "select write_log('hello')",
    "copy to": "copy sellers to '{out}'",
    "copy query to": "copy (select * from reviews) to '{out}' (format csv)",
    "copy in a with clause": "with t as (copy sellers to '{out}') select * from t",
    "delete in a with clause": "with t as (delete from sellers returning *) select count(*) from t",
    "insert in a with clause": "with t as (insert into sellers (seller_id) values ('X') returning *) from t",
    "export database": "export database '{out_dir}'",
    "import database": "import database '{out_dir}'",
    "attach": "attach '{out_dir}/other.duckdb' as other",
    "detach": "detach marketplace",
    "install": "install httpfs",
    "force install": "force install httpfs",
    "load": "load httpfs",
    "set external access": "set enable_external_access = true",
    "set threads": "set threads = 64",
    "reset": "reset memory_limit",
    "use": "use memory",
    "pragma": "pragma database_list",
    "call": "call pragma_version()",
    "checkpoint": "checkpoint",
    "create table": "create table t (a integer)",
    "create temp table": "create temp table t as select 1 as a",
    "create view": "create view v as select 1 as a",
    "create macro": "create macro m() as 1",
    "create secret": "create secret (type s3, key_id 'k', secret 's')",
    "insert": "insert into sellers (seller_id) values ('X')",
    "update": "update sellers set seller_name = 'x'",
    "delete": "delete from sellers",
    "drop": "drop table sellers",
    "alter": "alter table sellers add column x integer",
    "truncate": "truncate sellers",
    "merge": "merge into sellers using (select 'S1' as seller_id) as s using (seller_id) when matched then delete",
    "transaction": "begin transaction",
    "vacuum": "vacuum",
    "prepare": "prepare p as select 1",
    "explain analyze of a write": "explain analyze delete from sellers",
    "explain of a create": "explain create table t as select 1",
    "two statements": "select 1; select 2",
    "second statement after a block comment": "select 1 /* harmless */; drop table sellers",
    "second statement after a line comment": "select 1 -- harmless\n; delete from sellers",
    "second statement after a string": "select 'a;b' as s; drop table sellers",
    "unknown statement type": "update extensions",
}


@pytest.mark.parametrize("sql", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_statements_are_refused_and_leave_no_trace(db, tmp_path, sql):
    out, out_dir = tmp_path / "out.csv", tmp_path / "dump"
    sql = sql.format(out=out, out_dir=out_dir)

    with pytest.raises(QueryRejected) as caught:
        run_query(sql, db=db)

    assert caught.value.kind == errors.REFUSED, str(caught.value)
    assert str(caught.value).startswith("Refused")
    assert not out.exists() and not out_dir.exists()
    assert run_query("select count(*) as n from sellers", db=db)["n"][0] == 4


@pytest.mark.parametrize("sql", HOSTILE.values(), ids=HOSTILE.keys())
def test_the_statement_check_alone_refuses_them_before_any_database(sql):
    with pytest.raises(QueryRejected):
        statement_check.check(sql.format(out="/tmp/x.csv", out_dir="/tmp/x"))


@pytest.mark.parametrize("sql", [
    "select * from read_csv('/etc/passwd')",
    "select * from '/etc/passwd'",
    "copy (select 1) to '{out}'",
    "with t as (copy (select 1) to '{out}') select * from t",
    "attach '{out}' as other",
    "set enable_external_access = true",
    "set threads = 1",
    "install httpfs",
    "create table t (a integer)",
])
def test_the_connection_alone_refuses_what_the_check_would_catch(db, tmp_path, sql):
    # The layer underneath: even a statement that slipped past the check cannot reach out or write.
    out = tmp_path / "out.csv"
    with read_only(db) as con, pytest.raises(duckdb.Error):
        con.execute(sql.format(out=out)).fetchall()
    assert not out.exists()


def test_python_objects_in_scope_are_not_reachable(db):
    secret_frame = pd.DataFrame({"password": ["hunter2"]})  # noqa: F841 - DuckDB could scan it by name
    with pytest.raises(QueryRejected) as caught:
        run_query("select * from secret_frame", db=db)
    assert "hunter2" not in str(caught.value)


def test_a_minute_long_query_stops_at_a_two_second_limit_and_the_connection_stays_usable(db):
    with duckdb.connect(str(db), read_only=True, config=dict(store.READER_CONFIG)) as con:
        started = time.monotonic()
        with pytest.raises(QueryRejected) as caught:
            execute(MINUTE_LONG, con, timeout_s=2)
        stopped_after = time.monotonic() - started

        assert caught.value.kind == errors.TIMED_OUT
        assert "2-second limit" in str(caught.value)
        assert stopped_after < 5, f"took {stopped_after:.1f} s to stop"
        assert execute("select count(*) as n from sellers", con).frame["n"][0] == 4


def test_run_query_stops_at_its_time_limit_too(db):
    started = time.monotonic()
    with pytest.raises(QueryRejected, match="limit"):
        run_query(MINUTE_LONG, db=db, timeout_s=2)
    assert time.monotonic() - started < 5


# --- runs ----------------------------------------------------------------------------------------------

BENIGN = {
    "select": ("select 1 as one", 1),
    "literal with ; and DROP": ("select ';' as semi, 'DROP TABLE sellers; --' as words", 1),
    "identifiers named like functions": ('select 1 as "read_csv", 2 as "delete"', 1),
    "trailing semicolon": ("select * from sellers;", 4),
    "trailing semicolon and comment": ("select * from sellers;  -- all of them\n", 4),
    "comment first": ("-- every seller\n/* all of them */ select * from sellers", 4),
    "with": ("with toys as (select * from products where category = 'toys') select * from toys", 3),
    "recursive with": ("with recursive r(n) as (select 1 union all select n + 1 from r where n < 10) "
                       "select sum(n) as s from r", 1),
    "from first": ("from sellers select seller_id where country = 'CN'", 2),
    "from only": ("from sellers", 4),
    "table": ("table sellers", 4),
    "values": ("values (1, 'a'), (2, 'b')", 2),
    "union in parentheses": ("(select 1) union all (select 2)", 2),
    "describe table": ("describe reviews", 8),
    "describe query": ("describe select seller_id, country from sellers", 2),
    "show tables": ("show tables", TABLES + 1),  # and the view toys_sellers
    "show all tables": ("show all tables", TABLES + 1),
    "summarize": ("summarize sellers", 6),
    "pivot (dynamic)": ("pivot (select seller_id, country from sellers) on country using count(*)", 4),
    "pivot with in list": ("pivot sellers on country in ('CN', 'US') using count(*) group by primary_category", 2),
    "unpivot": ("unpivot (select 1 as a, 2 as b) on a, b into name k value v", 2),
    "explain": ("explain select * from sellers", 1),
    "explain analyze": ("explain analyze select count(*) from reviews", 1),
    "duckdb_tables()": ("select table_name from duckdb_tables()", TABLES),
    "duckdb_columns()": ("from duckdb_columns() where table_name = 'reviews'", 8),
    "range": ("select * from range(5)", 5),
    "generate_series": ("select * from generate_series(1, 3)", 3),
    "unnest": ("select unnest([1, 2, 3]) as x", 3),
    "current_setting": ("select current_setting('threads') as t", 1),
    "a view": ("select * from toys_sellers", 3),
    "asof join": ("select count(*) from account_events as e asof join account_events as f "
                  "on e.seller_id = f.seller_id and f.ts <= e.ts", 1),
}


@pytest.mark.parametrize(("sql", "rows"), BENIGN.values(), ids=BENIGN.keys())
def test_read_only_statements_run(db, sql, rows):
    frame = run_query(sql, db=db)
    assert isinstance(frame, pd.DataFrame)
    assert len(frame) == rows
    assert frame.attrs["truncated"] is False


# --- DuckDB's own table functions: the catalogue by name, nothing else by prefix ----------------------

CATALOGUE_CALLS = {
    **{name: f"select * from {name}()" for name in sorted(statement_check.CATALOGUE_FUNCTIONS)
       if name.startswith("duckdb_") or name == "pragma_collations"},
    "pragma_table_info": "select * from pragma_table_info('sellers')",
    "pragma_show": "from pragma_show('reviews')",
    **{f"view {name}": f"select * from {name}" for name in sorted(statement_check.CATALOGUE_VIEWS)},
    "catalogue in a join": "select t.table_name, count(*) as n from duckdb_tables() as t "
                           "join duckdb_columns() as c using (table_name) group by all",
}


@pytest.mark.parametrize("sql", CATALOGUE_CALLS.values(), ids=CATALOGUE_CALLS.keys())
def test_the_catalogue_functions_run(db, sql):
    assert isinstance(run_query(sql, db=db), pd.DataFrame)


def test_every_catalogue_function_is_one_duckdb_has():
    # Names only pass when DuckDB knows them as table functions (a typo would allow nothing, silently).
    assert statement_check.CATALOGUE_FUNCTIONS <= statement_check._known_table_functions()


NOT_CATALOGUE = {
    "duckdb_secrets": "select * from duckdb_secrets()",
    "duckdb_secrets qualified": "select * from system.main.duckdb_secrets()",
    "duckdb_secrets quoted upper case": 'select * from "DUCKDB_SECRETS"()',
    "duckdb_secrets in a subquery": "select (select count(*) from duckdb_secrets()) as n",
    "duckdb_secrets in a with clause": "with s as (from duckdb_secrets()) from s",
    "duckdb_secrets explained": "explain select * from duckdb_secrets()",
    "duckdb_secrets described": "describe select * from duckdb_secrets()",
    "duckdb_secrets pivoted": "pivot (from duckdb_secrets()) on name using count(*)",
    "duckdb_secret_types": "from duckdb_secret_types()",
    "duckdb_settings": "select * from duckdb_settings()",
    "duckdb_logs": "select * from duckdb_logs()",
    "duckdb_logs view": "select * from duckdb_logs",
    "duckdb_logs view qualified": "select * from main.duckdb_logs",
    "duckdb_logs view in a dynamic pivot": "pivot duckdb_logs on message using count(*)",
    "duckdb_extensions": "from duckdb_extensions()",
    "duckdb_memory": "from duckdb_memory()",
    "duckdb_temporary_files": "from duckdb_temporary_files()",
    "duckdb_variables": "from duckdb_variables()",
    "pragma_storage_info": "from pragma_storage_info('sellers')",
    "pragma_version": "from pragma_version()",
    "pragma_database_size": "from pragma_database_size()",
}


@pytest.mark.parametrize("sql", NOT_CATALOGUE.values(), ids=NOT_CATALOGUE.keys())
def test_duckdb_functions_outside_the_catalogue_are_refused_with_the_reason(db, sql):
    with pytest.raises(QueryRejected) as caught:
        run_query(sql, db=db)
    assert caught.value.kind == errors.REFUSED, str(caught.value)
    assert "not a catalogue function" in str(caught.value) or "not part of the database's catalogue" in str(caught.value)
    assert "duckdb_tables()" in str(caught.value)  # and it says what is allowed instead


def test_no_other_duckdb_or_pragma_table_function_passes():
    # Whatever DuckDB adds in a later version is refused until named here on purpose.
    system = {name for name in statement_check._known_table_functions() if name.startswith(("duckdb_", "pragma_"))}
    for name in sorted(system - statement_check.CATALOGUE_FUNCTIONS):
        with pytest.raises(QueryRejected, match="not a catalogue function"):
            statement_check.check(f"select * from {name}()")


def test_literals_that_look_like_sql_come_back_as_data(db):
    frame = run_query("select ';' as semi, 'DROP TABLE sellers; --' as words;", db=db)
    assert frame.iloc[0].to_dict() == {"semi": ";", "words": "DROP TABLE sellers; --"}
    assert run_query("select count(*) as n from sellers", db=db)["n"][0] == 4


@pytest.mark.parametrize("sql", ["", "   \n", "-- only a comment", "/* nothing */ ;"])
def test_nothing_to_run_is_explained(db, sql):
    with pytest.raises(QueryRejected, match="(?i)no (SQL|statement)"):
        run_query(sql, db=db)


@pytest.mark.parametrize(("sql", "words"), [
    ("selec * from sellers", "parse"),
    ("select * from no_such_table", "SHOW TABLES"),
    ("select no_such_column from sellers", "could not"),
    ("select 1 / 'a'", "could not"),
])
def test_bad_sql_fails_with_duckdbs_own_pointer(db, sql, words):
    with pytest.raises(QueryRejected) as caught:
        run_query(sql, db=db)
    assert caught.value.kind == errors.FAILED
    assert words in caught.value.reason
    assert caught.value.detail  # DuckDB's message, pointing at the spot


# --- limits --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("rows", "max_rows", "truncated"), [(25, 10, True), (25, 24, True), (25, 25, False),
                                                            (5000, 4096, True), (0, 10, False)])
def test_the_row_cap_fetches_one_more_to_know_it_truncated(db, rows, max_rows, truncated):
    frame = run_query(f"select range as n from range({rows})", db=db, max_rows=max_rows)
    assert len(frame) == min(rows, max_rows)
    assert frame.attrs["truncated"] is truncated
    assert frame.attrs["max_rows"] == max_rows
    assert frame.attrs["elapsed_s"] >= 0
    assert list(frame.columns) == ["n"]


def test_a_huge_result_is_streamed_not_materialised(db):
    # A billion rows would not fit in the time limit if they were all fetched.
    frame = run_query("select range as n from range(1000000000)", db=db, max_rows=5, timeout_s=20)
    assert frame["n"].tolist() == [0, 1, 2, 3, 4]
    assert frame.attrs["truncated"] is True


def test_the_explorer_shares_the_dashboards_reader_in_one_process(db):
    reader = store.Reader(db)
    try:
        with reader.cursor() as cur:
            assert cur.execute("select count(*) from sellers").fetchone()[0] == 4
        # run_query opens its own connection to the file the Reader holds open: same config, so allowed.
        assert run_query("select count(*) as n from sellers", db=db)["n"][0] == 4
        result = execute("select * from sellers", reader, max_rows=2)
        assert result.truncated and len(result.frame) == 2
        with reader.cursor() as cur:
            assert cur.execute("select count(*) from reviews").fetchone()[0] > 0
            # The configuration is locked for every connection: nothing can re-open files or the network.
            with pytest.raises(duckdb.Error, match="locked"):
                cur.execute("set threads = 1")
    finally:
        reader.close()


def test_a_missing_database_is_explained(tmp_path):
    with pytest.raises(QueryRejected) as caught:
        run_query("select 1", db=tmp_path / "nowhere.duckdb")
    assert caught.value.kind == errors.NO_DATABASE
    assert "python -m analytics demo" in str(caught.value)


def test_a_database_that_vanished_under_the_dashboards_reader_is_explained(tmp_path):
    reader = store.Reader(tmp_path / "gone.duckdb")
    with pytest.raises(QueryRejected) as caught:
        execute("select 1", reader)
    assert caught.value.kind == errors.NO_DATABASE


def test_every_setting_has_a_default_and_one_line_of_help():
    names = [s.name for s in settings.SETTINGS]
    assert len(names) == len(set(names))
    for setting in settings.SETTINGS:
        assert setting.default not in (None, "")
        assert setting.help.strip() and "\n" not in setting.help, setting.name
    assert settings.MAX_RETURNED_ROWS.default == 10_000 and settings.SQL_TIME_LIMIT_S.default == 30


# --- examples ------------------------------------------------------------------------------------------

def _example(slug_part: str) -> examples.Example:
    return next(e for e in examples.gallery() if slug_part in e.slug)


def test_every_example_has_a_question_and_runs(db):
    assert len(examples.gallery()) >= 4
    for example in examples.gallery():
        assert example.title.endswith("?") and example.description
        run_query(example.sql, db=db)


def test_example_who_removes_one_star_reviews(db):
    top = run_query(_example("one_star").sql, db=db).iloc[0]
    assert top["seller_id"] == "S1"
    assert top["one_star_removed_by_staff"] == 3 and top["one_star_removed_by_customer"] == 1
    assert top["top_removing_employee"] == "E1" and top["staff_removals_low_share"] == 1.0


def test_example_new_reviewers_from_rivals(db):
    rows = run_query(_example("rivals").sql, db=db).set_index("seller_id")
    assert rows.loc["S1", "from_rivals"] == 6 and rows.loc["S1", "main_rival"] == "S2"
    assert rows.loc["S1", "their_verified_share"] == 0
    assert rows.loc["S2", "from_rivals"] == 0
    assert rows.index[0] == "S1"


def test_example_reinstatements_within_24_hours(db):
    rows = run_query(_example("reinstatements").sql, db=db)
    assert rows["seller_id"].tolist() == ["S3"]  # S4's nine days are not fast
    row = rows.iloc[0]
    assert row["hours_suspended"] == 4.0 and row["appealed"] and row["appeal_minutes_before"] == 10
    assert row["reinstated_by"] == "E2" and row["suspension_reason"] == "safety complaint"


def test_example_rank_around_the_change_point(db):
    rows = run_query(_example("changepoint").sql, db=db)
    assert set(rows["seller_id"]) == {"S1"} and len(rows) == 61
    before = rows[rows["days_from_change"] < 0]
    after = rows[rows["days_from_change"] >= 0]
    assert set(before["position_among_sellers"]) == {3} and set(after["position_among_sellers"]) == {1}
    assert set(rows["rivals_median_best_rank"]) == {15}


def test_example_rank_around_the_change_point_is_empty_without_evidence(tmp_path):
    empty = tmp_path / "empty.duckdb"
    with store.rebuild(empty):
        pass
    assert run_query(_example("changepoint").sql, db=empty).empty


def test_example_latest_flagged(db):
    rows = run_query(_example("flagged").sql, db=db)
    assert rows["seller_id"].tolist() == ["S1"] and rows["significant_findings"][0] == 1


# --- saved queries -------------------------------------------------------------------------------------

def test_saved_queries_live_in_the_analysts_store_not_the_marketplace(db, tmp_path):
    saved = saved_queries.save("Toys sellers", "select * from sellers where primary_category = 'toys'", "ana")

    again = saved_queries.get(saved.query_id)
    assert again == saved and again.author == "ana" and again.created_at <= datetime.utcnow()
    assert [s.query_id for s in saved_queries.list_saved()] == [saved.query_id]
    assert store.analyst_db_path().exists()
    with read_only(db) as con:
        assert not con.execute("select * from duckdb_tables() where table_name = 'saved_queries'").fetchall()

    assert saved_queries.delete(saved.query_id) is True
    assert saved_queries.get(saved.query_id) is None and saved_queries.delete(saved.query_id) is False


def test_saved_queries_are_listed_newest_first():
    first = saved_queries.save("one", "select 1", "ana")
    second = saved_queries.save("two", "select 2", "bo")
    assert [s.name for s in saved_queries.list_saved()] == ["two", "one"]
    assert first.query_id != second.query_id


@pytest.mark.parametrize(("name", "sql", "author", "words"), [
    ("", "select 1", "ana", "name"),
    ("x", "select 1", " ", "author"),
    ("x", "drop table sellers", "ana", "Refused"),
    ("x" * 500, "select 1", "ana", "name"),
])
def test_only_runnable_named_queries_with_an_author_are_saved(name, sql, author, words):
    with pytest.raises(ValueError, match=words):
        saved_queries.save(name, sql, author)
    assert saved_queries.list_saved() == []


# --- schema browser and downloads ----------------------------------------------------------------------

def test_the_schema_browser_describes_every_table_in_words(db):
    with read_only(db) as con:
        relations = {r.name: r for r in schema_browser.browse(con)}

    for name in ("sellers", "products", "product_daily", "reviews", "account_events", "access_log"):
        relation = relations[name]
        assert relation.kind == "table" and "key" in relation.description.lower()
        assert relation.columns["description"].str.len().gt(0).all(), name
    assert relations["sellers"].rows == 4 and relations["product_daily"].rows == 4 * 61
    assert "refers to sellers.seller_id" in relations["products"].description
    assert "suspicious" in relations["seller_scores"].description
    evidence = relations["evidence"].columns.set_index("column")
    assert "Benjamini-Hochberg" in evidence.loc["q_value", "description"]
    assert evidence.loc["changepoint_date", "type"] == "DATE"
    assert relations["toys_sellers"].kind == "view" and relations["toys_sellers"].rows is None
    assert list(relations)[:6] == ["sellers", "products", "product_daily", "reviews", "account_events",
                                   "access_log"]


def test_downloads_round_trip(db):
    frame = run_query("select seller_id, registered_on, 1.5 as x from sellers order by seller_id", db=db)
    assert pd.read_csv(io.BytesIO(downloads.to_csv(frame)))["seller_id"].tolist() == ["S1", "S2", "S3", "S4"]
    table = pq.read_table(io.BytesIO(downloads.to_parquet(frame)))
    assert table.column_names == ["seller_id", "registered_on", "x"] and table.num_rows == 4
    assert str(table.schema.field("registered_on").type).startswith(("date", "timestamp"))


def test_parquet_download_copes_with_untyped_values():
    frame = pd.DataFrame({"mixed": [1, "a", None]}, dtype=object)
    assert pq.read_table(io.BytesIO(downloads.to_parquet(frame))).num_rows == 3
