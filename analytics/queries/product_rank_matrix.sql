-- One row per product per listed day up to $as_of, as matrix coordinates: product_idx (0-based, in
-- product_id order, matching product_index.sql) and day_idx (days since $first_day), with the
-- product's relative rank that day and the explanations a rank jump may have (price, ad spend).
-- rel_rank = ln(rank / ranked products in the category that day): more negative = better. Dividing
-- by the category's size keeps launches and delistings elsewhere from moving it, and a category-wide
-- season moves every rank together, so it cancels.
-- log_rank = ln(rank within the category), left out for the first $ramp_up_days days after a launch
-- (a new listing climbing is not a jump): what rank-jump detection uses, because dividing by the
-- category's size makes a steady best seller look as if it improved whenever rivals launch.
with products_in_scope as (
    select p.product_id, p.category, p.launched_on,
           row_number() over (order by p.product_id) - 1 as product_idx
    from products as p
    join sellers as s using (seller_id)
    where s.registered_on <= $as_of
),

daily as (
    select
        ps.product_idx,
        ps.category,
        pd."date",
        pd.sales_rank,
        ps.launched_on,
        pd.price,
        coalesce(pd.ad_spend, 0) as ad_spend
    from product_daily as pd
    join products_in_scope as ps using (product_id)
    where pd."date" between $first_day and $as_of
),

category_size as (
    select category, "date", count(sales_rank) as ranked_products
    from daily
    group by category, "date"
),

final as (
    select
        d.product_idx::integer as product_idx,
        date_diff('day', $first_day::date, d."date")::integer as day_idx,
        case when d.sales_rank is not null
             then ln(d.sales_rank / greatest(c.ranked_products, d.sales_rank)) end::float as rel_rank,
        case when d.sales_rank is not null and d."date" >= d.launched_on + $ramp_up_days::integer
             then ln(d.sales_rank) end::float as log_rank,
        case when d.price > 0 then ln(d.price) end::float as log_price,
        ln(1 + d.ad_spend)::float as log_ad_spend
    from daily as d
    join category_size as c using (category, "date")
)

select * from final
