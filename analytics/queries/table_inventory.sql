-- One row per marketplace input table: its row count and the span of dates it covers.
-- Tables that are absent (the optional access_log before any load) have no row.
with counts as (
    select 'sellers' as table_name, count(*) as row_count,
           min(registered_on) as first_day, max(registered_on) as last_day
    from sellers
    union all
    select 'products', count(*), min(launched_on), max(launched_on) from products
    union all
    select 'product_daily', count(*), min("date"), max("date") from product_daily
    union all
    select 'reviews', count(*), min(created_at)::date, max(created_at)::date from reviews
    union all
    select 'account_events', count(*), min(ts)::date, max(ts)::date from account_events
    union all
    select 'access_log', count(*), min(ts)::date, max(ts)::date from access_log
),

final as (
    select table_name, row_count, first_day, last_day from counts
)

select * from final
