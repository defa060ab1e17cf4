-- One row per staff access-log action known by the end of $as_of and per product it concerns: who
-- (employee_id), which day (day_idx = days since $first_day; negative before the data starts), what
-- kind of action (remove, reinstate, suspend, sales = a look at sales figures, reviewers = a look at
-- or export of reviewers, export, view, other), whose data (seller_id) and which
-- product (the product named, or each product of the seller when the action names only the seller).
-- An action that names neither a seller nor a product cannot be attributed and is left out.
with actions as (
    select
        employee_id,
        ts,
        lower(action) as action,
        seller_id,
        product_id
    from access_log
    where ts < $as_of::date + interval 1 day
      and (seller_id is not null or product_id is not null)
),

attributed as (
    select
        a.employee_id,
        a.ts,
        a.action,
        coalesce(a.seller_id, named.seller_id) as seller_id,
        a.product_id
    from actions as a
    left join products as named on named.product_id = a.product_id
),

classified as (
    select
        employee_id,
        date_diff('day', $first_day::date, ts::date) as day_idx,
        case
            when action like '%remove%' or action like '%delete%' then 'remove'
            when action like '%reinstat%' then 'reinstate'
            when action like '%suspend%' then 'suspend'
            when action like '%sales%' or action like '%unit%' or action like '%volume%'
                 or action like '%revenue%' or action like '%figure%' then 'sales'
            when action like '%review%' or action like '%customer%' or action like '%email%' then 'reviewers'
            when action like '%export%' then 'export'
            when action like '%view%' or action like '%look%' or action like '%read%' then 'view'
            else 'other'
        end as kind,
        seller_id,
        product_id
    from attributed
),

expanded as (
    -- an action on a seller as a whole concerns every product it lists
    select c.employee_id, c.day_idx, c.kind, c.seller_id, coalesce(c.product_id, p.product_id) as product_id
    from classified as c
    left join products as p on c.product_id is null and p.seller_id = c.seller_id
),

final as (
    select e.employee_id, e.day_idx, e.kind, e.seller_id, e.product_id, p.category
    from expanded as e
    left join products as p on p.product_id = e.product_id
)

select * from final
order by employee_id, day_idx
