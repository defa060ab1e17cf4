-- One row per seller in $seller_ids per week (weeks start on Monday) up to $as_of: the seller's best
-- product's relative sales rank, ln(rank / ranked products in its category that day), averaged over
-- the week's days. More negative = better, as in the scoring engine (product_rank_matrix.sql).
-- $category (null = any) keeps only the sellers' products in that category.
with seller_products as (
    select product_id, seller_id, category
    from products
    where list_contains($seller_ids, seller_id)
      and ($category is null or category = $category)
),

their_categories as (
    select distinct category from seller_products
),

category_size as (
    select p.category, pd."date", count(pd.sales_rank) as ranked_products
    from product_daily as pd
    join products as p using (product_id)
    where p.category in (select category from their_categories)
      and pd."date" <= $as_of
    group by p.category, pd."date"
),

daily as (
    select
        sp.seller_id,
        pd."date",
        min(ln(pd.sales_rank / greatest(c.ranked_products, pd.sales_rank))) as rel_rank
    from product_daily as pd
    join seller_products as sp using (product_id)
    join category_size as c on c.category = sp.category and c."date" = pd."date"
    where pd.sales_rank is not null
      and pd."date" <= $as_of
    group by sp.seller_id, pd."date"
),

final as (
    select
        seller_id,
        date_trunc('week', "date")::date as week,
        avg(rel_rank) as rel_rank
    from daily
    group by seller_id, week
)

select * from final
order by seller_id, week
