-- One row per (category, day) up to $as_of: how many of the category's products had a sales rank that
-- day. A rank divided by this is the relative rank the scoring engine uses (product_daily_cells.sql).
-- One pass over product_daily; the dashboard keeps the result per run, so pages never repeat it.
with ranked as (
    select p.category, pd."date", pd.sales_rank
    from product_daily as pd
    join products as p using (product_id)
    where pd."date" <= $as_of
),

final as (
    select category, "date", count(sales_rank) as ranked_products
    from ranked
    group by category, "date"
)

select * from final
