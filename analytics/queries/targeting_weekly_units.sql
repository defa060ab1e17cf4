-- One row per product asked for ($product_rows: rows of the scoring matrices, i.e. product_id order
-- among the products of sellers registered by $as_of, as in product_index.sql) and week it was listed
-- up to $as_of (week = days since $first_day // 7): the product's internal units sold that week.
with products_in_scope as (
    select
        p.product_id,
        row_number() over (order by p.product_id) - 1 as product_idx
    from products as p
    join sellers as s using (seller_id)
    where s.registered_on <= $as_of
),

asked as (
    select product_id, product_idx
    from products_in_scope
    where product_idx in (select unnest($product_rows))
),

final as (
    select
        a.product_idx::integer as product_idx,
        (date_diff('day', $first_day::date, pd."date") // 7)::integer as week,
        sum(pd.units_sold)::double as units
    from product_daily as pd
    join asked as a using (product_id)
    where pd."date" between $first_day and $as_of
    group by a.product_idx, week
)

select * from final
