-- One row per ranked product-day up to $as_of of the sellers in $seller_ids: the seller, the product,
-- its category and its sales rank. $category (null = any) keeps only products in that category.
with their_products as (
    select product_id, seller_id, category
    from products
    where list_contains($seller_ids, seller_id)
      and ($category is null or category = $category)
),

final as (
    select tp.seller_id, pd.product_id, tp.category, pd."date", pd.sales_rank
    from product_daily as pd
    join their_products as tp using (product_id)
    where pd.sales_rank is not null
      and pd."date" <= $as_of
)

select * from final
