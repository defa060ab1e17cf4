-- One row per day product $product_id was listed up to $as_of: its category, sales rank, price and ad
-- spend (0 when not given).
select
    pd."date",
    p.category,
    pd.sales_rank,
    pd.price,
    coalesce(pd.ad_spend, 0) as ad_spend
from product_daily as pd
join products as p using (product_id)
where pd.product_id = $product_id
  and pd."date" <= $as_of
order by pd."date"
