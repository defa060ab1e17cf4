-- One row per product per listed day from $first_day to $as_of, as matrix coordinates: product_idx
-- (0-based, in product_id order, matching product_index.sql) and day_idx (days since $first_day),
-- with the logs the scoring engine works on. NULL = not ranked that day / no usable price.
-- The relative rank (share of the category's ranked products that day) and the launch ramp-up are
-- derived from these in numpy (scoring/context.py), which needs no second pass over the rows.
with products_in_scope as (
    select p.product_id, (row_number() over (order by p.product_id) - 1)::integer as product_idx
    from products as p
    join sellers as s using (seller_id)
    where s.registered_on <= $as_of
)

select
    ps.product_idx,
    date_diff('day', $first_day::date, pd."date")::integer as day_idx,
    ln(pd.sales_rank)::float as log_rank,
    case when pd.price > 0 then ln(pd.price) end::float as log_price,
    ln(1 + coalesce(pd.ad_spend, 0))::float as log_ad_spend
from product_daily as pd
join products_in_scope as ps using (product_id)
where pd."date" between $first_day and $as_of
