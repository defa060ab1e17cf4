-- One row per distinct staff action known by the end of $as_of, per category it concerns, as integer
-- codes (tens of millions of log rows must reach numpy cheaply): employee_idx (position in
-- targeting_employees.sql), day_idx (days since $first_day; negative before the data starts), kind_code
-- (0 remove, 1 reinstate, 2 suspend, 3 sales = a look at sales figures, 4 reviewers = an export of
-- reviewers' or customers' data, 5 export, 6 view), seller_idx (position of the seller among the
-- sellers of the scored products, in seller_id order), product_idx (the named product's row in the
-- scoring matrices, -1 when only the seller is named) and category_idx (position among the scored
-- products' categories, in order): the named product's category, or each category the seller lists in.
-- Ordinary views (of accounts, listings, reviews) are kept only when the log never says which views
-- were of sales figures; other actions, and actions naming no scored seller or product, are left out.
with products_in_scope as (
    select
        p.product_id,
        p.seller_id,
        p.category,
        (row_number() over (order by p.product_id) - 1)::integer as product_idx,
        (dense_rank() over (order by p.seller_id) - 1)::integer as seller_idx,
        (dense_rank() over (order by p.category) - 1)::integer as category_idx
    from products as p
    join sellers as s using (seller_id)
    where s.registered_on <= $as_of
),

seller_index as (
    select distinct seller_id, seller_idx from products_in_scope
),

seller_categories as (
    select distinct seller_idx, category_idx from products_in_scope
),

employee_index as (
    select employee_id, (row_number() over (order by employee_id) - 1)::integer as employee_idx
    from (select distinct employee_id from access_log where ts < $as_of::date + interval 1 day)
),

action_kinds as (
    -- a log has a handful of distinct actions: classify those, not every row
    select
        action,
        case
            when a like '%remove%' or a like '%delete%' then 0
            when a like '%reinstat%' then 1
            when a like '%suspend%' then 2
            when a like '%sales%' or a like '%unit%' or a like '%volume%' or a like '%revenue%'
                 or a like '%figure%' then 3
            when a like '%export%' and (a like '%review%' or a like '%customer%' or a like '%email%')
                 or a like '%email%' then 4
            when a like '%export%' then 5
            when a like '%view%' or a like '%look%' or a like '%read%' then 6
        end as kind_code
    from (select distinct action, lower(action) as a from access_log)
),

relevant_kinds as (
    select action, kind_code
    from action_kinds
    where kind_code <= 5
       or (kind_code = 6 and not exists (select 1 from action_kinds where kind_code = 3))
),

attributed as (
    select distinct
        e.employee_idx,
        date_diff('day', $first_day::date, a.ts::date)::integer as day_idx,
        k.kind_code,
        coalesce(named.seller_idx, si.seller_idx) as seller_idx,
        coalesce(named.product_idx, -1) as product_idx,
        named.category_idx as product_category_idx
    from access_log as a
    join relevant_kinds as k using (action)
    join employee_index as e using (employee_id)
    left join products_in_scope as named on named.product_id = a.product_id
    left join seller_index as si on si.seller_id = a.seller_id
    where a.ts < $as_of::date + interval 1 day
),

final as (
    select
        t.employee_idx,
        t.day_idx,
        t.kind_code::tinyint as kind_code,
        t.seller_idx,
        t.product_idx,
        coalesce(t.product_category_idx, sc.category_idx) as category_idx
    from attributed as t
    left join seller_categories as sc
        on t.product_category_idx is null
       and sc.seller_idx = t.seller_idx
    where t.seller_idx is not null
)

select * from final
