-- One row per product of a seller registered by $as_of and week it was listed up to $as_of: the
-- product's internal units sold that week. product_idx is its row in the scoring matrices (product_id
-- order, as in product_index.sql); week = days since $first_day // 7.
with products_in_scope as (
    select
        p.product_id,
        (row_number() over (order by p.product_id) - 1)::integer as product_idx
    from products as p
    join sellers as s using (seller_id)
    where s.registered_on <= $as_of
),

final as (
    select
        p.product_idx,
        (date_diff('day', $first_day::date, pd."date") // 7)::integer as week,
        sum(pd.units_sold)::float as units
    from product_daily as pd
    join products_in_scope as p using (product_id)
    where pd."date" between $first_day and $as_of
    group by p.product_idx, week
)

select * from final
