-- One row per (primary category, country, city) among the sellers scored in the run of $as_of, with
-- how many sellers share it: the choices the watchlist's filters offer.
with scored as (
    select seller_id
    from seller_scores
    where as_of = $as_of
),

final as (
    select
        s.primary_category as category,
        s.country,
        s.city,
        count(*) as sellers
    from scored
    join sellers as s using (seller_id)
    group by all
)

select * from final
order by category, country, city
