-- One row per distinct staff access-log action known by the end of $as_of (ordinary views of accounts
-- and listings left out, see relevant) and per category it concerns: who
-- (employee_id), which day (day_idx = days since $first_day; negative before the data starts), what
-- kind of action (remove, reinstate, suspend, sales = a look at sales figures, reviewers = a look at
-- or export of reviewers, export, view, other), whose data (seller_id), which product where one is
-- named, and the category: the named product's, or, when only the seller is named, each category
-- the seller lists in. An action that names neither a seller nor a product is left out.
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
        a.product_id,
        named.category as product_category
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
        product_id,
        product_category
    from attributed
),

relevant as (
    -- what insiders sold or did: removals, reinstatements, suspensions, looks at sales figures and at
    -- reviewers, exports; ordinary views of accounts and listings only where the log never says
    -- which views were of sales figures
    select distinct employee_id, day_idx, kind, seller_id, product_id, product_category
    from classified
    where kind in ('remove', 'reinstate', 'suspend', 'sales', 'reviewers', 'export')
       or (kind = 'view' and not exists (select 1 from classified where kind = 'sales'))
),

seller_categories as (
    select distinct seller_id, category from products
),

final as (
    select
        c.employee_id,
        c.day_idx,
        c.kind,
        c.seller_id,
        c.product_id,
        coalesce(c.product_category, sc.category) as category
    from relevant as c
    left join seller_categories as sc
        on c.product_category is null
       and sc.seller_id = c.seller_id
)

select * from final
