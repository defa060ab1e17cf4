-- One row per day product $product_id was listed up to $as_of: its sales rank, how many products of
-- its category were ranked that day, its price and its ad spend (0 when not given).
with product as (
    select product_id, category from products where product_id = $product_id
),

category_size as (
    select pd."date", count(pd.sales_rank) as ranked_products
    from product_daily as pd
    join products as p using (product_id)
    where p.category = (select category from product)
      and pd."date" <= $as_of
    group by pd."date"
),

final as (
    select
        pd."date",
        pd.sales_rank,
        c.ranked_products,
        pd.price,
        coalesce(pd.ad_spend, 0) as ad_spend
    from product_daily as pd
    join category_size as c using ("date")
    where pd.product_id = $product_id
      and pd."date" <= $as_of
)

select * from final
order by "date"
