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

one_star_weeks as (
    select
        product_id,
        week,
        count(*) as one_star,
        count(*) filter (where not verified_purchase) as one_star_unverified,
        min(created_at) as first_one_star_at
    from written
    where rating = 1
    group by product_id, week
    having count(*) >= $min_one_star
),

totals as (
    select
        product_id,
        count(*) filter (where rating = 1) as one_star_total,
        count(*) filter (where rating > 1) as other_total
    from written
    group by product_id
),

other_that_week as (
    select w.product_id, w.week, count(*) as other_reviews
    from written as w
    semi join one_star_weeks as o using (product_id, week)
    where w.rating > 1
    group by w.product_id, w.week
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
        o.product_id,
        l.seller_id,
        l.category,
        o.week,
        o.first_one_star_at,
        o.one_star,
        o.one_star_unverified,
        coalesce(x.other_reviews, 0) as other_reviews,
        t.one_star_total - o.one_star as one_star_other_weeks,
        t.other_total - coalesce(x.other_reviews, 0) as other_reviews_other_weeks,
        greatest(l.weeks - 1, 1) as other_weeks
    from one_star_weeks as o
    join totals as t using (product_id)
    join weeks_listed as l using (product_id)
    left join other_that_week as x using (product_id, week)
)

select * from final
order by product_id, week
