-- One row for seller $seller_id (no row when there is no such seller): who they are and what they list.
with seller as (
    select seller_id, seller_name, country, city, registered_on, primary_category
    from sellers
    where seller_id = $seller_id
),

listings as (
    select
        seller_id,
        count(*) as products,
        list(distinct category order by category) as categories,
        min(launched_on) as first_launch
    from products
    where seller_id = $seller_id
    group by seller_id
),

final as (
    select s.*, coalesce(l.products, 0) as products, l.categories, l.first_launch
    from seller as s
    left join listings as l using (seller_id)
)

select * from final
