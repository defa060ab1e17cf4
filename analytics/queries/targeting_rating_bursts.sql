-- One row per product and week (week = days since $first_day // 7) with at least $min_one_star 1-star
-- reviews written that week, up to the end of $as_of, with what the product's other weeks make usual:
-- its 1-star and other reviews in every other week it was listed, and how many such weeks there were.
-- Removed reviews count (a burst that moderation later cleaned up still hit the listing).
with written as (
    select
        product_id,
        rating,
        verified_purchase,
        created_at,
        date_diff('day', $first_day::date, created_at::date) // 7 as week
    from reviews
    where created_at >= $first_day::date
      and created_at < $as_of::date + interval 1 day
),

weekly as (
    select
        product_id,
        week,
        count(*) filter (where rating = 1) as one_star,
        count(*) filter (where rating > 1) as other_reviews,
        count(*) filter (where rating = 1 and not verified_purchase) as one_star_unverified,
        min(created_at) filter (where rating = 1) as first_one_star_at
    from written
    group by product_id, week
),

totals as (
    select product_id, sum(one_star) as one_star_total, sum(other_reviews) as other_total
    from weekly
    group by product_id
),

weeks_listed as (
    select
        product_id,
        seller_id,
        category,
        greatest(1, date_diff('day', greatest(launched_on, $first_day::date), $as_of::date) // 7 + 1)
            as weeks
    from products
),

final as (
    select
        w.product_id,
        l.seller_id,
        l.category,
        w.week,
        w.first_one_star_at,
        w.one_star,
        w.one_star_unverified,
        w.other_reviews,
        t.one_star_total - w.one_star as one_star_other_weeks,
        t.other_total - w.other_reviews as other_reviews_other_weeks,
        greatest(l.weeks - 1, 1) as other_weeks
    from weekly as w
    join totals as t using (product_id)
    join weeks_listed as l using (product_id)
    where w.one_star >= $min_one_star
)

select * from final
order by product_id, week
