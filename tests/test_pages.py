"""Every dashboard page through Streamlit's AppTest: it renders, filters in the URL and in the widgets
change the rows, a deep link opens a seller (and an earlier run), and bad states are explained in words,
never a traceback."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analytics import cases, store
from analytics.auth import User
from dashboard.auth_gate import SESSION_KEY
from tests import dashboard_market as market
from tests.builders import build_db

APP = "../dashboard/app.py"
TIMEOUT = 60


@pytest.fixture
def market_db(tmp_path_factory, monkeypatch):
    path = market.shared(tmp_path_factory)
    monkeypatch.setenv("ANOMALY_DB", str(path))
    return path


def open_page(page: str | None = None, **params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state[SESSION_KEY] = User("ana", "analyst")  # past the sign-in gate
    if page:
        at.switch_page(f"views/{page}.py")
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def table(at: AppTest, index: int = 0) -> pd.DataFrame:
    return at.dataframe[index].value


def test_watchlist_is_home_ranked_by_score_with_headline_numbers(market_db):
    at = open_page()
    assert at.title[0].value == "Watchlist"
    assert metrics(at) == {"Sellers scored": "30", "Flagged": "2", "Newly flagged": "1", "Open cases": "0",
                           "Matching the filters": "30"}
    rows = table(at)
    assert list(rows["seller_id"][:2]) == [market.BUYER, market.LATE]
    assert rows["link"].iloc[0] == f"seller?seller_id={market.BUYER}"
    assert len(rows["rank_trend"].iloc[0]) > 10


def test_open_cases_are_counted_from_the_analysts_store(market_db):
    cases.open_case(market.BUYER, User("ana", "analyst"))
    assert metrics(open_page())["Open cases"] == "1"


def test_filters_in_the_link_narrow_the_rows(market_db):
    at = open_page(category="garden", flagged="true")
    rows = table(at)
    assert list(rows["seller_id"]) == [market.LATE]
    assert metrics(at)["Matching the filters"] == "1"
    at = open_page(signal="rank_jump")
    assert list(table(at)["seller_id"]) == [market.BUYER]


def test_changing_a_filter_widget_changes_the_rows(market_db):
    at = open_page()
    at.selectbox(key="country").set_value("DE").run()
    rows = table(at)
    assert set(rows["country"]) == {"DE"} and len(rows) == 10
    at.toggle(key="flagged").set_value(True).run()
    assert not at.dataframe
    assert "No seller in this run matches these filters" in at.info[0].value
    at.button(key="clear_empty").click().run()
    assert len(table(at)) == 30


def test_an_earlier_run_is_a_link_too(market_db):
    at = open_page(as_of=market.EARLY_RUN.isoformat())
    assert metrics(at)["Sellers scored"] == "29"
    assert metrics(at)["Flagged"] == "1"


def test_deep_link_opens_the_seller_with_chart_and_evidence(market_db):
    at = open_page("seller", seller_id=market.BUYER)
    assert at.title[0].value == "Seller 0"
    assert metrics(at)["Flagged"] == "yes"
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert len(charts) >= 2  # the seller chart, then one per finding the page can draw
    assert "What each finding was tested on" in [s.value for s in at.subheader]
    titles = [c["layout"]["title"]["text"] for c in charts[1:]]
    assert any(t.startswith("Negative reviews removed by staff, selectively (finding, q") for t in titles), titles
    assert any(t.startswith("Suspension lifted unusually fast for its reason (finding, q") for t in titles), titles
    assert any(t.startswith("New reviewers who had reviewed rivals first (finding, q") for t in titles), titles
    assert any(t.startswith("Sales-rank jump not explained by price, ads or season (finding, q") for t in titles), titles
    tables = [t.value for t in at.dataframe]
    evidence = next(t for t in tables if "q" in t and "signal" in t)
    assert {"rank_jump", "reinstatement"} <= set(evidence["signal"])
    # p and q as a person reads them: floored at 1e-16, never "2e-300", never "None"
    for shown in (*evidence["p"], *evidence["q"]):
        assert isinstance(shown, str) and "None" not in shown
        assert shown.startswith("< ") or shown == "" or float(shown) >= 1e-16, shown
    rivals = next(t for t in tables if "rank_factor" in t)
    assert rivals["link"].iloc[0].startswith(f"seller?seller_id={market.VICTIM}")
    subheaders = [s.value for s in at.subheader]
    assert {"Evidence", "Rivals affected", "Reviewers shared with rivals", "Staff access"} <= set(subheaders)


def test_a_finding_that_is_not_significant_is_drawn_only_as_such(market_db):
    at = open_page("seller", seller_id="S010")  # an ordinary reinstatement, q = 0.83
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    titles = [c["layout"]["title"]["text"] for c in charts[1:]]
    assert titles and all("(not significant, q" in t for t in titles), titles
    assert any(e.label.startswith("Not significant (") for e in at.expander)


def test_deep_link_with_as_of_shows_what_that_run_said(market_db):
    at = open_page("seller", seller_id=market.LATE, as_of=market.EARLY_RUN.isoformat())
    assert metrics(at)["Flagged"] == "no"
    at = open_page("seller", seller_id=market.LATE)
    assert metrics(at)["Flagged"] == "yes"
    at = open_page("seller", seller_id="S029", as_of=market.EARLY_RUN.isoformat())
    assert "did not score this seller" in at.warning[0].value


def test_a_bad_seller_id_is_explained(market_db):
    at = open_page("seller", seller_id="NOT-A-SELLER")
    assert "no seller with id `NOT-A-SELLER`" in at.error[0].value
    at = open_page("seller")
    assert "Type a seller id" in at.info[0].value


def test_competitors_page_shows_rank_moves_around_change_points(market_db):
    at = open_page("competitors", focus="kitchen")
    assert at.title[0].value == "Competitors"
    assert len(at.get("plotly_chart")) >= 2
    shifts = next(t.value for t in at.dataframe if "rank_factor" in t.value)
    assert (shifts["link"].str.contains(market.VICTIM) & (shifts["direction"] == "lost")).any()
    assert "seller_id" not in shifts and "event_seller_id" not in shifts  # names a person reads
    assert all(t.proto.placeholder == "" for t in at.dataframe)  # no "None" in empty cells
    assert any(s.value == "Rank over time" for s in at.subheader)


def test_competitors_without_a_flagged_seller_says_so_and_still_draws_the_graph_section(market_db):
    at = open_page("competitors", focus="garden", as_of=market.EARLY_RUN.isoformat())
    assert "flags no seller with a dated finding in garden" in at.info[0].value
    assert "Targeting graph" in [s.value for s in at.subheader]


def test_competitors_draws_the_targeting_graph_from_findings_that_name_a_rival(market_db, tmp_path, monkeypatch):
    copy = tmp_path / "targeting.duckdb"
    shutil.copyfile(market_db, copy)
    with store.rebuild(copy) as con:  # a finding of a targeting signal: the buyer attacked the victim
        con.execute("""insert into evidence (as_of, seller_id, signal, changepoint_date, p_value, q_value,
                                             significant, related_seller_id, detail)
                       values ($as_of, $buyer, 'sabotage', $day, 1e-6, 1e-4, true, $victim, 'a 1-star burst')""",
                    {"as_of": market.LAST_DAY, "buyer": market.BUYER, "victim": market.VICTIM,
                     "day": market.RISE_DATE})
    monkeypatch.setenv("ANOMALY_DB", str(copy))
    at = open_page("competitors", focus="kitchen")
    edges = next(t.value for t in at.dataframe if "rival_name" in t.value)
    inserted = edges[edges["seller"].str.contains(market.BUYER) & edges["rival"].str.contains(market.VICTIM)
                     & edges["signal_badge"].map(lambda s: list(s) == ["sabotage"])]
    assert len(inserted) == 1 and inserted["significant"].all()
    assert len(at.get("plotly_chart")) == 3
    seller = open_page("seller", seller_id=market.VICTIM)
    links = next(t.value for t in seller.dataframe if "direction" in t.value)
    assert ((links["direction"] == "targeted by") & links["link"].str.contains(market.BUYER)).any()


def test_data_page_lists_tables_and_runs(market_db):
    at = open_page("data")
    tables = table(at)
    assert set(tables["table"]) >= {"Sellers", "Reviews", "Staff access log"}  # plain names, not table names
    assert pd.api.types.is_integer_dtype(tables["rows"])  # shown with thousands separators ("localized")
    assert all(isinstance(d, dt.date) and not isinstance(d, dt.datetime) for d in tables["first_day"].dropna())
    runs = table(at, len(at.dataframe) - 1)
    assert len(runs) == 2
    assert all(isinstance(d, dt.date) and not isinstance(d, dt.datetime) for d in runs["as_of"])  # no 00:00:00
    for frame in (t.value for t in at.dataframe):  # nowhere a literal "None"
        assert not frame.astype(str).isin(["None", "nan", "NaT"]).any().any()


@pytest.mark.parametrize("page, params", [
    (None, {}), ("seller", {"seller_id": "S000"}), ("competitors", {}), ("data", {})])
def test_no_database_is_explained_on_every_page(tmp_path, monkeypatch, page, params):
    monkeypatch.setenv("ANOMALY_DB", str(tmp_path / "nothing-here.duckdb"))
    at = open_page(page, **params)
    assert "No marketplace database" in at.warning[0].value


def test_no_scoring_run_yet_is_explained(tmp_path, monkeypatch):
    db = build_db(tmp_path / "unscored.duckdb", sellers=pd.DataFrame({
        "seller_id": ["A"], "seller_name": ["Alpha"], "country": ["US"], "registered_on": [dt.date(2025, 1, 1)],
        "primary_category": ["toys"]}))
    monkeypatch.setenv("ANOMALY_DB", str(db))
    for page, params in ((None, {}), ("competitors", {}), ("seller", {"seller_id": "A"})):
        at = open_page(page, **params)
        assert "No scoring run" in at.info[0].value
    assert open_page("seller", seller_id="A").title[0].value == "Alpha"


def test_the_watchlist_reasons_and_badges_fit_without_scrolling_sideways(market_db):
    """At 1400 px the main area holds about 900 px of columns: name, score, every badge and the reasons
    come first and fit in it, and the rows are tall enough for Streamlit to wrap the reasons (> 4rem)."""
    import json

    from dashboard import widgets

    at = open_page()
    proto = at.dataframe[0].proto
    columns = json.loads(proto.columns)
    order = list(proto.column_order)
    assert order.index("reasons") <= 4 and order.index("signals") < order.index("reasons")
    first = order[: order.index("reasons") + 1]
    assert sum(columns[c]["width"] for c in first) <= 900
    assert proto.row_height > 64  # Streamlit wraps a cell's text only in rows taller than 4rem
    rows = table(at)
    assert columns["signals"]["width"] >= widgets.badges_width(rows["signals"])
    assert widgets.SCORE_SENTENCE in columns["score"]["help"]
    assert proto.placeholder == ""  # an empty city is empty, not "None"
