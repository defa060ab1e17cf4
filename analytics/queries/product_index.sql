-- One row per product of a seller registered by $as_of, in product_id order (row i = product_idx i
-- of product_daily_cells.sql), with its seller and category.
select
    (row_number() over (order by p.product_id) - 1)::integer as product_idx,
    p.product_id,
    p.seller_id,
    p.category,
    p.launched_on
from products as p
join sellers as s using (seller_id)
where s.registered_on <= $as_of
order by p.product_id
