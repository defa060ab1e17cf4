-- One row per staff access to seller $seller_id's data (the account or one of its products) up to the
-- end of $as_of, newest first, with how many other sellers the same employee touched in all by then.
with own_products as (
    select product_id from products where seller_id = $seller_id
),

log as (
    select employee_id, ts, action, seller_id, product_id
    from access_log
    where ts < $as_of::date + interval 1 day
),

touching as materialized (
    select *
    from log
    where seller_id = $seller_id
       or product_id in (select product_id from own_products)
),

their_log as (
    select employee_id, seller_id, product_id
    from log
    where employee_id in (select distinct employee_id from touching)
),

employee_reach as (
    select l.employee_id, count(distinct coalesce(l.seller_id, p.seller_id)) - 1 as other_sellers_touched
    from their_log as l
    left join products as p using (product_id)
    group by l.employee_id
),

final as (
    select t.ts, t.employee_id, t.action, t.product_id, e.other_sellers_touched
    from touching as t
    join employee_reach as e using (employee_id)
)

select * from final
order by ts desc
