-- One row per day up to $as_of: product $product_id's price, the aimed rival listing $aim_product_id's
-- price, and how many logged look-ups of the aimed listing's sales figures (action 'view_sales', on the
-- listing or on its seller's account with no product) staff made that day.
with days as (
    select "date", product_id, price
    from product_daily
    where product_id in ($product_id, $aim_product_id)
      and "date" <= $as_of::date
),

looks as (
    select ts::date as "date", count(*) as lookups
    from access_log
    where action = 'view_sales'
      and ts < $as_of::date + interval 1 day
      and (product_id = $aim_product_id
           or (product_id is null and seller_id = (select seller_id from products where product_id = $aim_product_id)))
    group by all
)

select
    d."date",
    max(d.price) filter (where d.product_id = $product_id) as price,
    max(d.price) filter (where d.product_id = $aim_product_id) as aim_price,
    coalesce(any_value(l.lookups), 0) as lookups
from days as d
left join looks as l using ("date")
group by d."date"
order by d."date"
