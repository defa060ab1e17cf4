"""The sample marketplace generator: deterministic, within the contract, its labels tell the truth, and
each named variant is as messy as it says.

Everything is checked by reading the written files with DuckDB, as any consumer of the export would,
except where only the plan can tell (which look-ups were logged, whose team an employee is in).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import duckdb
import numpy as np
import pytest

from analytics.generator import BENIGN_SCENARIOS, INSIDER_SCENARIOS, generate

SELLERS = 150
DAYS = 120
END = dt.date(2026, 11, 22)
TABLES = ("sellers", "products", "product_daily", "reviews", "account_events", "access_log")


def _reader(path: Path) -> str:
    """A DuckDB table function reading one export file, timestamps converted to UTC."""
    name = str(path)
    if name.endswith(".parquet"):
        return f"read_parquet('{name}')"
    return f"read_csv('{name}', header = true, all_varchar = true)"


def _connect(out_dir: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    export = out_dir / "export"
    for table in TABLES:
        (path,) = export.glob(f"{table}.*")
        con.execute(f"CREATE VIEW raw_{table} AS SELECT * FROM {_reader(path)}")
    con.execute("""CREATE TABLE sellers AS SELECT seller_id, seller_name, country, city,
        registered_on::DATE AS registered_on, primary_category FROM raw_sellers""")
    con.execute("""CREATE TABLE products AS SELECT product_id, seller_id, category, title,
        launched_on::DATE AS launched_on FROM raw_products""")
    con.execute("CREATE TABLE product_daily AS SELECT * FROM raw_product_daily")
    con.execute("""CREATE TABLE reviews AS SELECT review_id, product_id, reviewer_id, rating::INT AS rating,
        created_at::TIMESTAMPTZ::TIMESTAMP AS created_at, verified_purchase::BOOLEAN AS verified_purchase,
        removed_at::TIMESTAMPTZ::TIMESTAMP AS removed_at, removed_by FROM raw_reviews""")
    con.execute("""CREATE TABLE account_events AS SELECT seller_id, ts::TIMESTAMPTZ::TIMESTAMP AS ts, event, reason
        FROM raw_account_events""")
    con.execute("CREATE TABLE access_log AS SELECT * FROM raw_access_log")
    con.execute(f"CREATE TABLE labels AS SELECT * FROM read_csv('{out_dir / 'labels.csv'}', header = true)")
    return con


@pytest.fixture(scope="module")
def market(tmp_path_factory):
    # The default mix (lags, rare, crowded, slow, sessions), large enough that each insider scenario
    # has four sellers and one sales-intelligence buyer has no logged look-up.
    out = tmp_path_factory.mktemp("market")
    result = generate(out, sellers=400, days=DAYS, seed=11, end_date=END)
    con = _connect(out)
    yield result, con
    con.close()


@pytest.fixture(scope="module")
def plain_market(tmp_path_factory):
    out = tmp_path_factory.mktemp("plain")
    result = generate(out, sellers=2 * SELLERS, days=DAYS, seed=5, end_date=END, variants="plain")
    con = _connect(out)
    yield result, con
    con.close()


def _rows(con, sql: str, params=None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


def _scalar(con, sql: str, params=None):
    return con.execute(sql, params or []).fetchone()[0]


def _labelled(con, scenario: str) -> list[tuple]:
    rows = _rows(con, "SELECT seller_id, onset_date FROM labels WHERE scenario = ? ORDER BY seller_id", [scenario])
    assert rows, f"no {scenario} seller at this size"
    return rows


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# --- determinism and layout --------------------------------------------------------------------

def test_same_seed_gives_byte_identical_files_and_another_seed_does_not(tmp_path):
    generate(tmp_path / "a", sellers=SELLERS, days=DAYS, seed=3)
    generate(tmp_path / "b", sellers=SELLERS, days=DAYS, seed=3)
    generate(tmp_path / "c", sellers=SELLERS, days=DAYS, seed=4)
    a, b, c = (_digest(tmp_path / x) for x in "abc")
    assert a == b
    assert a.keys() == c.keys()
    assert all(a[name] != c[name] for name in a)


def test_export_has_one_file_per_table_and_labels_live_outside_it(market):
    result, _ = market
    export = result.export_dir
    names = sorted(p.name for p in export.iterdir())
    assert len(names) == len(TABLES)
    assert {n.split(".")[0] for n in names} == set(TABLES)
    assert any(n.endswith(".parquet") for n in names) and any(n.endswith(".csv.gz") for n in names)
    assert result.labels_path.parent == result.out_dir
    assert export not in result.labels_path.parents
    assert not list(export.rglob("labels*"))


def test_light_mode_is_parquet_for_the_big_tables_and_lists_fewer_products(tmp_path):
    light = generate(tmp_path / "light", sellers=SELLERS, days=DAYS, seed=5, light=True)
    full = generate(tmp_path / "full", sellers=SELLERS, days=DAYS, seed=5)
    assert light.files["reviews"].name == "reviews.parquet"
    assert light.files["product_daily"].name == "product_daily.parquet"
    assert light.rows["products"] < full.rows["products"]
    con = _connect(light.out_dir)
    assert _scalar(con, "SELECT count(*) FROM reviews WHERE removed_at IS NOT NULL AND removed_by IS NULL") == 0


def test_rejects_sizes_too_small_to_hold_the_scenarios(tmp_path):
    with pytest.raises(ValueError):
        generate(tmp_path, sellers=10)
    with pytest.raises(ValueError):
        generate(tmp_path, days=30)


# --- the contract (CONTRACT section 1) ---------------------------------------------------------

@pytest.mark.parametrize("table, key", [
    ("sellers", "seller_id"), ("products", "product_id"), ("product_daily", "product_id, date"),
    ("reviews", "review_id"), ("account_events", "seller_id, ts, event"),
])
def test_keys_are_unique_and_not_null(market, table, key):
    _, con = market
    total, distinct = _rows(con, f"SELECT count(*), count(DISTINCT ({key})) FROM {table}")[0]
    assert total > 0 and total == distinct


@pytest.mark.parametrize("child, column, parent, parent_column", [
    ("products", "seller_id", "sellers", "seller_id"),
    ("product_daily", "product_id", "products", "product_id"),
    ("reviews", "product_id", "products", "product_id"),
    ("account_events", "seller_id", "sellers", "seller_id"),
    ("access_log", "seller_id", "sellers", "seller_id"),
    ("access_log", "product_id", "products", "product_id"),
])
def test_foreign_keys_exist(market, child, column, parent, parent_column):
    _, con = market
    missing = _scalar(con, f"""SELECT count(*) FROM {child} c WHERE c.{column} IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.{parent_column} = c.{column})""")
    assert missing == 0


def test_removals_are_consistent_pairs_after_posting(market):
    _, con = market
    assert _scalar(con, "SELECT count(*) FROM reviews WHERE (removed_at IS NULL) <> (removed_by IS NULL)") == 0
    assert {r[0] for r in _rows(con, "SELECT DISTINCT removed_by FROM reviews WHERE removed_by IS NOT NULL")} \
        == {"customer", "automated", "staff"}
    assert _scalar(con, "SELECT count(*) FROM reviews WHERE removed_at <= created_at") == 0


def test_values_are_in_range(market):
    _, con = market
    assert _rows(con, "SELECT min(rating), max(rating) FROM reviews")[0] == (1, 5)
    low_rank, low_units, low_price, low_ads = _rows(
        con, "SELECT min(sales_rank), min(units_sold), min(price), min(ad_spend) FROM product_daily")[0]
    assert low_rank >= 1 and low_units >= 0 and low_price >= 0 and low_ads >= 0
    events = {r[0] for r in _rows(con, "SELECT DISTINCT event FROM account_events")}
    assert events <= {"suspended", "appeal_submitted", "reinstated", "closed"}
    assert _scalar(con, "SELECT count(*) FROM sellers WHERE NOT regexp_full_match(country, '[A-Z]{2}')") == 0


def test_integer_columns_hold_whole_numbers_only(market):
    _, con = market
    assert _scalar(con, "SELECT count(*) FROM raw_reviews WHERE NOT regexp_full_match(rating, '[1-5]')") == 0
    types = dict(_rows(con, "SELECT column_name, column_type FROM (DESCRIBE raw_product_daily)"))
    assert types["sales_rank"] == "INTEGER" and types["units_sold"] == "INTEGER"


def test_timestamps_are_iso_8601_some_with_offsets_and_milliseconds(market):
    _, con = market
    iso = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})?"
    for table, column in [("raw_reviews", "created_at"), ("raw_reviews", "removed_at"), ("raw_account_events", "ts")]:
        bad = _scalar(con, f"SELECT count(*) FROM {table} WHERE {column} IS NOT NULL "
                           f"AND NOT regexp_full_match({column}, ?)", [iso])
        assert bad == 0, (table, column)
    styles = _rows(con, r"""SELECT count(*) FILTER (WHERE created_at LIKE '%+08:00'),
        count(*) FILTER (WHERE regexp_matches(created_at, '\.\d{3}')), count(*) FILTER (WHERE created_at LIKE '%Z')
        FROM raw_reviews""")[0]
    assert all(n > 0 for n in styles)
    # Nothing happens after the export's last day, whatever offset it was written in.
    assert _scalar(con, "SELECT max(created_at) FROM reviews").date() <= END
    assert _scalar(con, "SELECT max(ts) FROM account_events").date() <= END
    assert _scalar(con, "SELECT max(date) FROM product_daily") == END


# --- realism -----------------------------------------------------------------------------------

def test_sales_rank_follows_recent_sales_but_only_hints_at_volume(market):
    """Like a real best-seller rank: 1..n per category and day, following the last days' sales, yet not
    the day's units in order, and two listings near the top can sell in the opposite order to their
    ranks (what internal units_sold reveals)."""
    _, con = market
    gaps, follows, day_inversions, top_inversions = _rows(con, """
        WITH daily AS (
            SELECT p.category, d.date, d.sales_rank, d.units_sold,
                   sum(d.units_sold) OVER (PARTITION BY d.product_id ORDER BY d.date
                                           ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) AS week_units,
                   sum(d.units_sold) OVER (PARTITION BY d.product_id ORDER BY d.date
                                           ROWS BETWEEN 27 PRECEDING AND CURRENT ROW) AS month_units
            FROM product_daily d JOIN products p USING (product_id)),
        ranked AS (
            SELECT *, lag(units_sold) OVER w AS better_units, lag(month_units) OVER w AS better_month,
                   count(*) OVER (PARTITION BY category, date) AS ranked_that_day,
                   max(sales_rank) OVER (PARTITION BY category, date) AS worst_rank
            FROM daily WHERE sales_rank IS NOT NULL
            WINDOW w AS (PARTITION BY category, date ORDER BY sales_rank))
        SELECT count(*) FILTER (WHERE ranked_that_day <> worst_rank),
               corr(ln(sales_rank), ln(1 + week_units)),
               avg((better_units < units_sold)::INT) FILTER (WHERE better_units IS NOT NULL),
               avg((better_month < month_units)::INT) FILTER (WHERE better_month IS NOT NULL AND sales_rank <= 10)
        FROM ranked""")[0]
    assert gaps == 0
    assert follows < -0.5  # better ranks go with more units sold over the past week
    assert day_inversions > 0.05  # but the rank is not the day's units in order
    assert top_inversions > 0.1  # and among the top ten, neighbours in rank often sell the other way round


def test_sales_are_heavy_tailed_with_gaps_null_ranks_and_launches(market):
    _, con = market
    top_share = _scalar(con, """
        WITH per_product AS (SELECT product_id, sum(units_sold) AS units FROM product_daily GROUP BY 1)
        SELECT sum(units) FILTER (WHERE rnk <= 0.1 * n) / sum(units)
        FROM (SELECT units, row_number() OVER (ORDER BY units DESC) AS rnk, count(*) OVER () AS n FROM per_product)""")
    assert top_share > 0.5  # the best tenth of listings sells most of the units
    assert _scalar(con, "SELECT count(*) FROM product_daily WHERE sales_rank IS NULL") > 0
    listings_with_gaps = _scalar(con, """
        SELECT count(*) FROM (SELECT product_id, count(*) AS listed, min(date) AS first, max(date) AS last
                              FROM product_daily GROUP BY 1)
        WHERE listed < date_diff('day', first, last) + 1""")
    assert listings_with_gaps > 0
    assert _scalar(con, "SELECT count(*) FROM products WHERE launched_on > ? - ?", [END, DAYS]) > 0
    assert _scalar(con, "SELECT max(n) FROM (SELECT count(*) AS n FROM products GROUP BY seller_id)") >= 5


def test_reviewers_write_across_categories_and_some_sellers_have_only_a_handful(market):
    _, con = market
    multi = _scalar(con, """SELECT avg((n > 1)::INT) FROM (SELECT reviewer_id, count(DISTINCT category) AS n
                            FROM reviews JOIN products USING (product_id) GROUP BY 1)""")
    assert 0.1 < multi < 0.8
    tiny = _scalar(con, """SELECT count(*) FROM (SELECT s.seller_id, count(r.review_id) AS n FROM sellers s
        JOIN products p USING (seller_id) LEFT JOIN reviews r USING (product_id) GROUP BY 1) WHERE n <= 5""")
    assert tiny > 0
    assert 0.03 < _scalar(con, "SELECT avg((NOT verified_purchase)::INT) FROM reviews") < 0.4


def test_staff_look_at_many_sellers_routinely(market):
    _, con = market
    employees, sellers_seen = _rows(con, """SELECT count(DISTINCT employee_id), count(DISTINCT seller_id)
                                            FROM access_log WHERE action = 'view_sales'""")[0]
    assert employees >= 10 and sellers_seen >= SELLERS


def test_every_scenario_is_present_and_insiders_are_a_small_share(market):
    result, con = market
    counts = dict(_rows(con, "SELECT scenario, count(*) FROM labels GROUP BY 1"))
    assert set(counts) == set(INSIDER_SCENARIOS) | set(BENIGN_SCENARIOS)
    assert counts == {k: v for k, v in result.scenarios.items() if v}
    assert sum(counts[s] for s in INSIDER_SCENARIOS) <= 0.1 * 2 * SELLERS
    assert _scalar(con, "SELECT count(*) FROM labels WHERE onset_date > ?", [END]) == 0


# --- labels match what was injected ----------------------------------------------------------------

def test_review_wipe_sellers_lose_negative_reviews_to_staff_from_the_onset(market):
    _, con = market
    for seller, onset in _labelled(con, "review_wipe"):
        negative, positive, first = _rows(con, """
            SELECT count(*) FILTER (WHERE r.rating <= 2), count(*) FILTER (WHERE r.rating >= 4), min(r.removed_at)::DATE
            FROM reviews r JOIN products p USING (product_id)
            WHERE p.seller_id = ? AND r.removed_by = 'staff' AND r.removed_at::DATE BETWEEN ? AND ? + 7""",
                                          [seller, onset, onset])[0]
        # Selective: the odd 4-5 star review staff remove in the same week for ordinary reasons at most.
        assert negative >= 2 and negative >= 2 * positive + 1 and first == onset, seller


def test_harvested_reviewers_sellers_get_five_stars_from_their_rivals_reviewers(market):
    _, con = market
    unverified = {False: [0, 0], True: [0, 0]}  # before / after the onset -> [unverified, all]
    for seller, onset in _labelled(con, "harvested_reviewers"):
        counts = {}
        for after, rival_five, n_unverified, n in _rows(con, """
            WITH mine AS (SELECT r.*, p.category, r.created_at::DATE >= ? AS after
                          FROM reviews r JOIN products p USING (product_id)
                          WHERE p.seller_id = ? AND r.created_at::DATE BETWEEN ? - 21 AND ? + 20)
            SELECT after,
                   count(*) FILTER (WHERE rating = 5 AND EXISTS (
                       SELECT 1 FROM reviews r2 JOIN products p2 USING (product_id)
                       WHERE r2.reviewer_id = mine.reviewer_id AND p2.category = mine.category
                         AND p2.seller_id <> ? AND r2.created_at < mine.created_at)),
                   count(*) FILTER (WHERE NOT verified_purchase), count(*)
            FROM mine GROUP BY 1""", [onset, seller, onset, onset, seller]):
            counts[after] = rival_five
            unverified[after][0] += n_unverified
            unverified[after][1] += n
        # Bought reviews add a few of the rivals' reviewers' 5-star reviews over what is usual.
        assert counts[True] >= counts.get(False, 0) + 2, seller
    # ... and they are often unverified (judged over the group: a small burst may happen not to be).
    usual = _scalar(con, "SELECT avg((NOT verified_purchase)::INT) FROM reviews")
    assert unverified[True][0] / unverified[True][1] > 1.4 * usual


def test_competitor_sabotage_hits_rivals_with_one_star_bursts_from_accounts_praising_the_buyer(market):
    _, con = market
    for seller, onset in _labelled(con, "competitor_sabotage"):
        attacks, praise_overlap = _rows(con, """
            WITH buyer AS (SELECT * FROM products WHERE seller_id = ?),
            attacks AS (
                SELECT r.* FROM reviews r JOIN products p USING (product_id)
                WHERE p.category IN (SELECT category FROM buyer) AND p.seller_id <> ?
                  AND r.rating = 1 AND r.created_at::DATE BETWEEN ? AND ? + 30),
            praise AS (SELECT r.reviewer_id FROM reviews r WHERE r.rating = 5
                       AND r.product_id IN (SELECT product_id FROM buyer))
            SELECT count(*), count(*) FILTER (WHERE reviewer_id IN (SELECT reviewer_id FROM praise)) FROM attacks""",
                                      [seller, seller, onset, onset])[0]
        assert attacks >= 5 and praise_overlap >= 1, seller


def test_bought_reinstatement_sellers_are_back_within_hours_with_no_real_appeal(market):
    _, con = market
    for seller, onset in _labelled(con, "bought_reinstatement"):
        episodes = _rows(con, """
            WITH s AS (SELECT ts, event, reason, lead(ts) OVER (ORDER BY ts, event DESC) AS next_ts,
                              lead(event) OVER (ORDER BY ts, event DESC) AS next_event,
                              lead(event, 2) OVER (ORDER BY ts, event DESC) AS then_event,
                              lead(ts, 2) OVER (ORDER BY ts, event DESC) AS then_ts
                       FROM account_events WHERE seller_id = ?)
            SELECT ts, reason, next_event, next_ts, then_event, then_ts FROM s WHERE event = 'suspended' ORDER BY ts""",
                         [seller])
        assert episodes and episodes[0][0].date() == onset, seller
        for ts, reason, next_event, next_ts, then_event, then_ts in episodes:
            assert reason in {"safety complaint", "IP claim", "review manipulation", "counterfeit complaint"}
            if next_event == "appeal_submitted":  # written minutes before the reinstatement
                assert then_event == "reinstated" and (then_ts - next_ts).total_seconds() <= 30 * 60
                next_ts = then_ts
            else:
                assert next_event == "reinstated"
            assert (next_ts - ts).total_seconds() <= 24 * 3600


@pytest.mark.parametrize("scenario", ["sales_intel", "sales_intel_unlogged"])
def test_sales_intel_sellers_launch_or_cut_prices_under_the_rivals_selling_most(market, scenario):
    """The onset is the (logged or unlogged) look-up; the launch or cut follows it two to eight weeks
    later in the default mix (variant slow)."""
    _, con = market
    for seller, onset in _labelled(con, scenario):
        launches = _rows(con, """
            SELECT arg_min(d.price, d.date) FROM products p JOIN product_daily d USING (product_id)
            WHERE p.seller_id = ? AND p.launched_on BETWEEN ? + 14 AND ? + 56 GROUP BY p.product_id""",
                         [seller, onset, onset])
        cuts = _rows(con, """
            SELECT d.price FROM products p JOIN product_daily d USING (product_id), range(14, 57) AS delay(k)
            WHERE p.seller_id = ? AND d.date BETWEEN ? + k::INT AND ? + k::INT + 2
              AND d.price < 0.97 * (SELECT median(d0.price) FROM product_daily d0
                                    WHERE d0.product_id = p.product_id AND d0.date BETWEEN ? + k::INT - 14 AND ? + k::INT - 1)""",
                      [seller, onset, onset, onset, onset])
        assert launches or cuts, seller
        top_rival_price = _scalar(con, """
            WITH rivals AS (
                SELECT d.product_id, sum(d.units_sold) AS units FROM product_daily d JOIN products p USING (product_id)
                WHERE p.category = (SELECT primary_category FROM sellers WHERE seller_id = ?) AND p.seller_id <> ?
                  AND d.date BETWEEN ? - 30 AND ? - 1 GROUP BY 1 ORDER BY units DESC LIMIT 3)
            SELECT max(d.price) FROM product_daily d JOIN rivals USING (product_id) WHERE d.date BETWEEN ? - 3 AND ?""",
                                  [seller, seller, onset, onset, onset, onset])
        new_price = min(p for (p,) in launches + cuts)
        assert new_price < top_rival_price, seller


# --- look-alikes really look alike -------------------------------------------------------------------

def _rank_around(con, product, onset):
    """Median sales rank of a listing in the four weeks before the onset and in the four after."""
    return _rows(con, """
        SELECT median(sales_rank) FILTER (WHERE date BETWEEN ? - 28 AND ? - 1),
               median(sales_rank) FILTER (WHERE date BETWEEN ? + 3 AND ? + 31)
        FROM product_daily WHERE product_id = ?""", [onset] * 4 + [product])[0]


def _most_changed(con, seller, onset, column, *, direction):
    """The seller's listing whose ``column`` moved most at the onset (two weeks before vs after)."""
    return _rows(con, f"""
        SELECT product_id, coalesce(avg({column}) FILTER (WHERE date BETWEEN ? - 14 AND ? - 1), 0) AS before,
               avg({column}) FILTER (WHERE date BETWEEN ? AND ? + 13) AS after
        FROM product_daily JOIN products USING (product_id) WHERE seller_id = ?
        GROUP BY 1 HAVING before > 0 OR after > 0
        ORDER BY {direction} * (after - before) / (before + 1) DESC LIMIT 1""",
                 [onset] * 4 + [seller])[0]


def _response(con, scenario, column, *, direction):
    """Per seller of a look-alike scenario: the listing that changed most at the onset, how its units
    moved (three weeks after / four before) and how its median rank moved (four weeks each)."""
    out = []
    for seller, onset in _labelled(con, scenario):
        product, before, after = _most_changed(con, seller, onset, column, direction=direction)
        units_before, units_after = _rows(con, """
            SELECT avg(units_sold) FILTER (WHERE date BETWEEN ? - 28 AND ? - 1),
                   avg(units_sold) FILTER (WHERE date BETWEEN ? AND ? + 20)
            FROM product_daily WHERE product_id = ?""", [onset] * 4 + [product])[0]
        rank_before, rank_after = _rank_around(con, product, onset)
        out.append((seller, before, after, units_after / max(units_before, 0.5), rank_after / rank_before))
    return out


def _rank_jumps(responses):
    """The group's ranks improve by 15 % or more on (geometric) average, and hardly any get worse.

    Daily ranks in a small test market are coarse and noisy, so this is judged on the group."""
    ratios = np.array([r[-1] for r in responses])
    assert np.exp(np.log(ratios).mean()) < 0.85, responses
    assert (ratios > 1.05).sum() <= len(ratios) // 3, responses


def test_price_cut_sellers_cut_the_price_and_the_rank_jumps(market):
    _, con = market
    responses = _response(con, "benign_price_cut", "price", direction=-1)
    for seller, before, after, units, _ in responses:
        assert after <= 0.88 * before and units > 1.2, seller
    _rank_jumps(responses)


def test_ad_campaign_sellers_spend_more_and_the_rank_jumps(market):
    _, con = market
    responses = _response(con, "benign_ad_campaign", "coalesce(ad_spend, 0)", direction=1)
    for seller, before, after, units, _ in responses:
        assert after > 2 * before + 1 and units > 1.2, seller
    _rank_jumps(responses)


def test_viral_sellers_take_off_with_ordinary_verified_reviews(market):
    _, con = market
    responses = _response(con, "benign_viral", "units_sold", direction=1)
    for seller, _, _, units, _ in responses:
        assert units > 1.5, seller
    _rank_jumps(responses)
    for seller, onset in _labelled(con, "benign_viral"):
        product = _most_changed(con, seller, onset, "units_sold", direction=1)[0]
        groups = {after: rest for after, *rest in _rows(con, """
            SELECT created_at::DATE >= ?, count(*), avg((rating = 5)::INT), avg(verified_purchase::INT)
            FROM reviews WHERE product_id = ? AND created_at::DATE BETWEEN ? - 60 AND ? + 30 GROUP BY 1""",
                                                        [onset, product, onset, onset])}
        before_n, before_five, _ = groups.get(False, (0, None, None))
        after_n, after_five, after_verified = groups.get(True, (0, None, None))
        if after_n >= 10:
            assert after_verified > 0.5, seller
        if after_n >= 40 and before_n >= 40:  # the rating mix stays the product's own
            assert abs(after_five - before_five) < 0.25, seller


def test_seasonal_sellers_onset_is_a_category_wide_surge(market):
    _, con = market
    for seller, onset in _labelled(con, "benign_seasonal"):
        before, during = _rows(con, """
            SELECT sum(units_sold) FILTER (WHERE date BETWEEN ? - 14 AND ? - 1) / 14,
                   sum(units_sold) FILTER (WHERE date BETWEEN ? + 2 AND ? + 5) / 4
            FROM product_daily d JOIN products p USING (product_id)
            WHERE p.category = (SELECT primary_category FROM sellers WHERE seller_id = ?)""",
                               [onset] * 4 + [seller])[0]
        assert during > 1.3 * before, seller


def test_spam_cleanup_removes_reviews_of_all_ratings_at_once(market):
    _, con = market
    for seller, onset in _labelled(con, "benign_spam_cleanup"):
        removed_high, removed_low, shown_high, shown_low = _rows(con, """
            SELECT count(*) FILTER (WHERE removed_at::DATE = ? AND removed_by <> 'customer' AND rating >= 4),
                   count(*) FILTER (WHERE removed_at::DATE = ? AND removed_by <> 'customer' AND rating <= 3),
                   count(*) FILTER (WHERE rating >= 4), count(*) FILTER (WHERE rating <= 3)
            FROM reviews JOIN products USING (product_id)
            WHERE seller_id = ? AND created_at::DATE < ? AND (removed_at IS NULL OR removed_at::DATE >= ?)""",
                                                                  [onset, onset, seller, onset, onset])[0]
        assert removed_high + removed_low >= 5, seller
        # Not selective: every kind of rating the listing showed loses some reviews.
        assert (removed_high >= 1 or shown_high == 0) and (removed_low >= 1 or shown_low == 0), seller


def test_slow_reinstatements_take_days_and_follow_an_appeal(market):
    _, con = market
    for seller, onset in _labelled(con, "benign_slow_reinstatement"):
        events = _rows(con, "SELECT event, ts FROM account_events WHERE seller_id = ? ORDER BY ts", [seller])
        kinds = [e for e, _ in events]
        assert kinds[0] == "suspended" and events[0][1].date() == onset and "appeal_submitted" in kinds, seller
        if "reinstated" in kinds:  # may fall after the export's last day
            waited = events[kinds.index("reinstated")][1] - events[0][1]
            assert waited >= dt.timedelta(days=2), seller


def test_fast_verification_holds_are_lifted_within_two_days(market):
    _, con = market
    for seller, onset in _labelled(con, "benign_fast_verification"):
        events = _rows(con, "SELECT event, ts, reason FROM account_events WHERE seller_id = ? ORDER BY ts", [seller])
        assert events[0][0] == "suspended" and events[0][2] == "identity verification", seller
        assert events[0][1].date() == onset
        reinstated = [ts for e, ts, _ in events if e == "reinstated"]
        assert reinstated and reinstated[0] - events[0][1] <= dt.timedelta(hours=48), seller


def test_ordinary_launches_are_priced_just_under_the_visible_category_leader(market):
    """The leader a seller can see is the best-ranked listing of the week before (one of the best two: the
    published rank jitters); the launch is priced under it."""
    _, con = market
    for seller, onset in _labelled(con, "benign_launch"):
        under_leader = _rows(con, """
            WITH launch AS (SELECT product_id, category FROM products WHERE seller_id = ? AND launched_on = ?),
            standing AS (SELECT p.category, d.product_id,
                                row_number() OVER (PARTITION BY p.category ORDER BY d.rank) AS place
                         FROM (SELECT product_id, avg(sales_rank) AS rank FROM product_daily
                               WHERE date BETWEEN ? - 7 AND ? - 1 AND sales_rank IS NOT NULL GROUP BY 1) d
                         JOIN products p USING (product_id) WHERE p.seller_id <> ?),
            leaders AS (SELECT category, product_id FROM standing WHERE place <= 2)
            SELECT launch.product_id,
                   (SELECT arg_min(price, date) FROM product_daily d WHERE d.product_id = launch.product_id)
                   < (SELECT max(price) FROM product_daily d WHERE d.product_id = leaders.product_id
                      AND d.date BETWEEN ? - 7 AND ? - 1)
            FROM launch JOIN leaders USING (category)""", [seller, onset, onset, onset, seller, onset, onset])
        assert any(ok for _, ok in under_leader), seller


# --- the named variants (issue 11) ---------------------------------------------------------------------

from analytics.generator import generator_version, plan_market  # noqa: E402
from analytics.generator.access import ACTIONS  # noqa: E402
from analytics.generator.accounts import MINOR_REASONS, SERIOUS_REASONS, VERIFICATION_REASON  # noqa: E402
from analytics.generator.sales import simulate_sales  # noqa: E402
from analytics.generator.scenarios import insider_counts  # noqa: E402
from analytics.generator.staff import ACCOUNT_HEALTH, CATEGORY_MANAGER, MODERATOR  # noqa: E402
from analytics.generator.variants import DEFAULT, VARIANTS, Mess, parse, spell  # noqa: E402

HOUR_S = 3600


def _normal(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def test_variant_names_combine_and_the_default_is_the_demo_mix():
    assert parse("default") == Mess(lags=True, rare=True, crowded=True, slow=True, sessions=True)
    assert parse(None) == parse("default") and parse("default").label == "default"
    assert parse("plain") == Mess() and Mess().label == "plain"
    assert parse("lags, SLOW") == Mess(lags=True, slow=True) and parse("lags,slow").label == "lags,slow"
    assert parse("default,spellings").names == DEFAULT + ("spellings",)
    assert set(VARIANTS) >= {"lags", "rare", "crowded", "slow", "sessions", "spellings", "nolog"}
    with pytest.raises(ValueError, match="unknown generator variant 'laggy'"):
        parse("lags,laggy")


def test_lags_put_staff_log_lines_seconds_to_six_hours_before_or_after_their_events(market, plain_market):
    """reinstate_account against the seller's reinstated event, remove_review against the nearest staff
    removal of that listing: with lags, both directions and from seconds to hours; plainly, seconds."""
    def lags(con) -> np.ndarray:
        rows = _rows(con, """
            WITH lines AS (SELECT employee_id, seller_id, product_id, ts::TIMESTAMP AS ts,
                                  lower(regexp_replace(action, '[^A-Za-z]', '', 'g')) AS action FROM access_log),
            reinstate AS (
                SELECT (SELECT arg_min(epoch(l.ts) - epoch(e.ts), abs(epoch(l.ts) - epoch(e.ts)))
                        FROM account_events e WHERE e.seller_id = l.seller_id AND e.event = 'reinstated') AS lag
                FROM lines l WHERE action = 'reinstateaccount'),
            removal AS (
                SELECT (SELECT arg_min(epoch(l.ts) - epoch(r.removed_at), abs(epoch(l.ts) - epoch(r.removed_at)))
                        FROM reviews r WHERE r.product_id = l.product_id AND r.removed_by = 'staff') AS lag
                FROM lines l WHERE action = 'removereview')
            SELECT lag FROM reinstate UNION ALL SELECT lag FROM removal""")
        return np.array([r[0] for r in rows if r[0] is not None])

    messy, plain = lags(market[1]), lags(plain_market[1])
    assert messy.size >= 40 and plain.size >= 40
    assert (np.abs(plain) <= 45).all()  # a few seconds, always before (the click precedes the event)
    assert (np.abs(messy) <= 6 * HOUR_S + 1).all()
    # (A removal's line is matched to the listing's nearest removal, which in a sweep may be another
    # one: lags measured that way are, if anything, too small.)
    assert (np.abs(messy) <= 60).mean() > 0.05 and (np.abs(messy) >= HOUR_S).mean() > 0.02
    assert (np.abs(messy) >= 2 * HOUR_S).any()
    assert 0.2 < (messy > 0).mean() < 0.8


@pytest.fixture(scope="module")
def spellings_market(tmp_path_factory):
    out = tmp_path_factory.mktemp("spellings")
    result = generate(out, sellers=2 * SELLERS, days=DAYS, seed=5, end_date=END, variants="spellings")
    con = _connect(out)
    yield result, con
    con.close()


def test_spell_writes_one_text_in_several_styles_that_agree_once_normalised():
    forms = {spell("reinstate_account", k) for k in range(8)}
    assert {"reinstate_account", "Reinstate Account", "REINSTATE-ACCOUNT", "reinstateAccount"} <= forms
    assert {_normal(f) for f in forms} == {"reinstateaccount"}
    assert {spell("IP claim", k) for k in range(8)} >= {"IP claim", "IP Claim", "IP-CLAIM", "ipClaim"}


def test_spellings_vary_actions_and_reasons_but_not_events(spellings_market, plain_market):
    _, con = spellings_market
    by_action: dict[str, set] = {}
    lines: dict[str, int] = {}
    for action, n in _rows(con, "SELECT action, count(*) FROM access_log GROUP BY 1"):
        by_action.setdefault(_normal(action), set()).add(action)
        lines[_normal(action)] = lines.get(_normal(action), 0) + n
    assert set(by_action) == {_normal(a) for a in ACTIONS}  # every action, in one style or more
    assert all(len(forms) >= 4 for a, forms in by_action.items() if lines[a] >= 30), by_action
    assert all(len(forms) >= 2 for a, forms in by_action.items() if lines[a] >= 5), by_action
    assert "reinstate_account" in by_action["reinstateaccount"]  # the canonical form stays common
    reasons = [r[0] for r in _rows(con, "SELECT DISTINCT reason FROM account_events WHERE reason IS NOT NULL")]
    canonical = SERIOUS_REASONS + MINOR_REASONS + (VERIFICATION_REASON, "closed by seller",
                                                  "not reinstated after suspension")
    assert {_normal(r) for r in reasons} <= {_normal(r) for r in canonical}
    assert len(reasons) >= 2 * len({_normal(r) for r in reasons})
    assert {r[0] for r in _rows(con, "SELECT DISTINCT event FROM account_events")} <= \
        {"suspended", "appeal_submitted", "reinstated", "closed"}
    # Plainly, one spelling each.
    plain = [r[0] for r in _rows(plain_market[1], "SELECT DISTINCT action FROM access_log")]
    assert set(plain) <= set(ACTIONS)


def test_nolog_writes_no_access_log_and_changes_nothing_else(tmp_path, plain_market):
    result = generate(tmp_path / "nolog", sellers=2 * SELLERS, days=DAYS, seed=5, end_date=END, variants="nolog")
    assert "access_log" not in result.files
    assert not list(result.export_dir.glob("access_log*"))
    assert sorted(p.name.split(".")[0] for p in result.export_dir.iterdir()) == sorted(set(TABLES) - {"access_log"})
    assert not list(result.export_dir.rglob("labels*")) and result.labels_path.exists()
    plain = _digest(plain_market[0].export_dir)
    mine = _digest(result.export_dir)
    assert mine == {k: v for k, v in plain.items() if not k.startswith("access_log")}
    assert result.labels_path.read_bytes() == plain_market[0].labels_path.read_bytes()


def _lookups(planned):
    """The insider look-ups simulate_sales logs, per targeted act: {(seller, lookup day): lines}."""
    sales = simulate_sales(planned.rng_for, planned.tl, planned.cats, planned.sellers, planned.products,
                           planned.plan, planned.staff, {}, sessions=planned.mess.sessions)
    lines = {}
    for employee, ms, action, seller, product in sales.traces:
        day = (ms - planned.tl.start_ms) // 86_400_000
        lines.setdefault((employee, int(day)), []).append((seller, product))
    return lines


@pytest.mark.parametrize("variants", ["default", "plain"])
def test_sales_intel_look_ups_are_logged_except_for_the_unlogged_few(variants):
    planned = plan_market(sellers=600, days=DAYS, seed=3, end_date=END, variants=variants)
    labels, targeted = planned.plan.labels, planned.plan.targeted
    logged = {s for s, (scenario, _) in labels.items() if scenario == "sales_intel"}
    unlogged = {s for s, (scenario, _) in labels.items() if scenario == "sales_intel_unlogged"}
    assert len(logged) == 6 and 1 <= len(unlogged) <= (len(logged) + len(unlogged)) / 5
    lines = _lookups(planned)
    intel = [t for t in targeted if t.kind != "benign_launch"]
    for t in intel:
        assert t.lookup_day >= 0 and labels[t.seller][1] <= t.lookup_day < t.act_day
        mine = lines.get((t.employee, t.lookup_day), [])
        if t.seller in unlogged:
            # Nothing in the log at all (the same insider may look something up for a logged buyer that day).
            assert not t.logged, t
            assert not mine or any(o.logged and (o.employee, o.lookup_day) == (t.employee, t.lookup_day)
                                   for o in intel), t
        elif t.logged:
            assert mine, t
    # The first look-up of every logged buyer is logged, and it is the onset.
    for s in logged:
        first = min((t for t in intel if t.seller == s), key=lambda t: t.lookup_day)
        assert first.logged and first.lookup_day == labels[s][1]
    # Slow: two to eight weeks from look-up to action; plainly one to ten days.
    delays = np.array([t.act_day - t.lookup_day for t in intel])
    if variants == "default":
        assert delays.min() >= 14 and delays.max() <= 56 and delays.max() - delays.min() >= 14
        # Sessions: an insider's look-up often sits among other listings of the category.
        assert max(len(v) for k, v in lines.items()) > 3
    else:
        assert delays.min() >= 1 and delays.max() <= 10
        assert max(len(v) for v in lines.values()) <= 3


def test_rare_makes_buyers_half_a_percent_without_dropping_below_fifteen_a_scenario():
    rare, plain = parse("rare"), Mess()
    assert insider_counts(1500, plain) == (15, 3) and insider_counts(1500, rare) == (15, 3)
    assert insider_counts(300, rare) == insider_counts(300, plain) == (3, 0)  # never more than usual
    for sellers in (15_000, 100_000):
        per, unlogged = insider_counts(sellers, rare)
        assert per >= 15 and 0.0045 <= (5 * per + unlogged) / sellers <= 0.0055
    planned = plan_market(sellers=15_000, days=90, seed=2, end_date=END, variants="rare")
    insiders = [s for s, (scenario, _) in planned.plan.labels.items() if not scenario.startswith("benign_")]
    assert 0.004 <= len(insiders) / 15_000 <= 0.0055


def test_crowded_puts_a_tenth_of_one_category_and_of_one_teams_reinstatements_in_buyers_hands():
    from analytics.generator.accounts import ordinary_episodes

    for seed in (1, 2):
        planned = plan_market(sellers=1500, days=365, seed=seed, end_date=END, variants="crowded")
        staff, sellers, plan = planned.staff, planned.sellers, planned.plan
        insider = np.zeros(sellers.n, dtype=bool)
        insider[[s for s, (scenario, _) in plan.labels.items() if not scenario.startswith("benign_")]] = True
        bad = sellers.primary_category == staff.crowded_category
        assert 0.08 <= insider[bad].mean() <= 0.12, insider[bad].mean()
        assert insider[~bad].mean() < 0.06
        # The bad team: about a tenth of its reinstatements were bought, by its own corrupt members.
        team = planned.seller_team
        honest = ordinary_episodes(np.random.default_rng(seed), planned.tl, staff, sellers.registered_day, team,
                                   np.flatnonzero(plan.unused))
        done = [(ep.seller, ep.reinstated_by) for ep in honest + plan.episodes
                if ep.reinstated_ms is not None and ep.reinstated_ms <= planned.tl.end_ms
                and ep.reinstated_by >= 0 and staff.team[ep.reinstated_by] == staff.crowded_team]
        bought = [(s, e) for s, e in done if plan.labels.get(s, [""])[0] == "bought_reinstatement"]
        assert 0.05 <= len(bought) / len(done) <= 0.2, (len(bought), len(done))
        assert all(e in staff.corrupt and team[s] == staff.crowded_team for s, e in bought)
    plain = plan_market(sellers=1500, days=365, seed=1, end_date=END, variants="plain")
    assert plain.staff.crowded_category == -1 and plain.staff.crowded_team == -1


def test_insiders_often_act_outside_their_own_work_and_serve_several_buyers():
    planned = plan_market(sellers=1500, days=365, seed=4, end_date=END, variants="plain")
    staff, sellers, plan = planned.staff, planned.sellers, planned.plan
    team = planned.seller_team
    outside = []
    for wipe in plan.wipes:
        c = sellers.primary_category[wipe.seller]
        outside += [not (staff.role[e] == MODERATOR and e in staff.queue[c]) for e in wipe.employees]
    for ep in plan.episodes:
        if plan.labels.get(ep.seller, [""])[0] == "bought_reinstatement":
            e = ep.reinstated_by
            outside.append(not (staff.role[e] == ACCOUNT_HEALTH and staff.team[e] == team[ep.seller]))
    for t in plan.targeted:
        if t.employee >= 0:
            outside.append(not (staff.role[t.employee] == CATEGORY_MANAGER and t.employee in staff.managed[t.category]))
    assert 0.5 < np.mean(outside) < 0.97  # often outside, not always
    # Brokers resell access: insiders serve several buyers, and some buyers come back for more.
    served: dict[int, set] = {}
    for wipe in plan.wipes:
        for e in wipe.employees:
            served.setdefault(int(e), set()).add(wipe.seller)
    for ep in plan.episodes:
        if plan.labels.get(ep.seller, [""])[0] == "bought_reinstatement":
            served.setdefault(ep.reinstated_by, set()).add(ep.seller)
    assert max(len(v) for v in served.values()) >= 4
    second = [w for w in plan.wipes if plan.labels[w.seller][0] != "review_wipe"]
    assert second and all(w.count <= 4 for w in second)
    # Honest moderators work their own queues, with the odd exception.
    rng = np.random.default_rng(0)
    picked = staff.moderators_for(rng, np.zeros(2000, dtype=np.int64))
    in_queue = np.isin(picked, staff.queue[0]).mean()
    assert 0.9 < in_queue < 1.0


def _session_sizes(con) -> np.ndarray:
    """view_sales lines by one employee no more than five minutes apart form a session."""
    rows = _rows(con, """
        WITH v AS (SELECT employee_id, ts::TIMESTAMP AS ts FROM access_log
                   WHERE lower(regexp_replace(action, '[^A-Za-z]', '', 'g')) = 'viewsales'),
        g AS (SELECT *, CASE WHEN ts - lag(ts) OVER (PARTITION BY employee_id ORDER BY ts) <= INTERVAL 5 MINUTE
                             THEN 0 ELSE 1 END AS new FROM v),
        s AS (SELECT *, sum(new) OVER (PARTITION BY employee_id ORDER BY ts) AS session FROM g)
        SELECT count(*) FROM s GROUP BY employee_id, session""")
    return np.array([r[0] for r in rows])


def test_sessions_run_from_single_look_ups_to_forty_sellers(market, plain_market):
    sizes = _session_sizes(market[1])
    assert (sizes == 1).mean() > 0.5  # single look-ups most often
    for lo, hi in [(2, 5), (6, 15), (16, 29), (30, 45)]:
        assert ((sizes >= lo) & (sizes <= hi)).sum() >= 3, (lo, hi)
    plain = _session_sizes(plain_market[1])
    assert ((plain >= 2) & (plain <= 5)).sum() < ((sizes >= 2) & (sizes <= 5)).sum()


def test_generator_version_is_a_hash_of_its_source():
    import analytics.generator as generator

    digest = hashlib.sha256()
    for path in sorted(Path(generator.__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    assert generator_version() == digest.hexdigest()[:12]


def test_the_benchmark_cache_is_keyed_by_the_generator_version():
    from analytics.bench.score import cache_name

    assert cache_name(100_000, 365, 11) == f"market_100000_365_11_{generator_version()}"
