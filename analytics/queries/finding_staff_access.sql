-- One row per week (starting Monday) from the log's first day to $as_of: staff sessions on seller
-- $seller_id's side (one per employee, day and kind: removals of its reviews or deletions, and
-- reinstatements of it; the kinds staff_access tests, classified by action name as
-- targeting_staff_touches.sql does), named on the seller or on one of its products.
with kinds as (
    select action,
           case when a like '%remove%' or a like '%delete%' then 'removal'
                when a like '%reinstat%' then 'reinstatement' end as kind
    from (select distinct action, lower(action) as a from access_log)
),

sessions as (
    select distinct l.employee_id, l.ts::date as "day", k.kind
    from access_log as l
    join kinds as k using (action)
    left join products as p on p.product_id = l.product_id
    where k.kind is not null
      and coalesce(l.seller_id, p.seller_id) = $seller_id
      and l.ts < $as_of::date + interval 1 day
),

weeks as (
    select unnest(generate_series(
        date_trunc('week', (select min(ts) from access_log))::date,
        date_trunc('week', $as_of::date)::date,
        interval 7 day
    ))::date as week
)

select w.week, count(s."day") as sessions
from weeks as w
left join sessions as s on s."day" >= w.week and s."day" < w.week + interval 7 day
group by w.week
order by w.week
