-- One row per product category: how many sellers list products in it, and how many of those the run
-- of $as_of scored and flagged. Categories with flagged sellers first.
with listings as (
    select distinct category, seller_id from products
),

run as (
    select seller_id, flagged from seller_scores where as_of = $as_of
),

final as (
    select
        l.category,
        count(*) as sellers,
        count(r.seller_id) as sellers_scored,
        count(*) filter (where r.flagged) as sellers_flagged
    from listings as l
    left join run as r using (seller_id)
    group by l.category
)

select * from final
order by sellers_flagged desc, category
