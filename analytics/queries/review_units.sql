-- One row per (seller, category) pair that has products, for sellers registered by $as_of: the unit
-- the review signals count in. unit_idx follows category, then seller order (review_facts.sql numbers
-- units the same way), so a category's units are consecutive.
with sellers_in_scope as (
    select seller_id
    from sellers
    where registered_on <= $as_of
),

units as (
    select distinct p.seller_id, p.category
    from products as p
    join sellers_in_scope using (seller_id)
),

final as (
    select
        (row_number() over (order by category, seller_id) - 1)::integer as unit_idx,
        seller_id,
        category
    from units
)

select * from final
order by unit_idx
