-- One row per day from $first_day to $as_of for seller $seller_id's products: reviews posted that day
-- by star rating, reviews removed that day by remover, and the average rating of the reviews visible
-- at the end of the day. A removal after $as_of is not known yet, so that review counts as shown.
with own_reviews as (
    select
        r.rating,
        r.created_at::date as posted_on,
        case when r.removed_at < $as_of::date + interval 1 day then r.removed_at::date end as removed_on,
        case when r.removed_at < $as_of::date + interval 1 day then r.removed_by end as removed_by
    from reviews as r
    join products as p using (product_id)
    where p.seller_id = $seller_id
      and r.created_at < $as_of::date + interval 1 day
),

days as (
    select unnest(generate_series(
        least($first_day::date, (select min(posted_on) from own_reviews)), $as_of::date, interval 1 day
    ))::date as day
),

posted as (
    select
        posted_on as day,
        count(*) filter (where rating = 1) as stars_1,
        count(*) filter (where rating = 2) as stars_2,
        count(*) filter (where rating = 3) as stars_3,
        count(*) filter (where rating = 4) as stars_4,
        count(*) filter (where rating = 5) as stars_5,
        count(*) as posted,
        sum(rating) as rating_posted
    from own_reviews
    group by posted_on
),

removed as (
    select
        removed_on as day,
        count(*) filter (where removed_by = 'customer') as removed_customer,
        count(*) filter (where removed_by = 'automated') as removed_automated,
        count(*) filter (where removed_by = 'staff') as removed_staff,
        count(*) as removed,
        sum(rating) as rating_removed
    from own_reviews
    where removed_on is not null
    group by removed_on
),

running as (
    select
        d.day,
        coalesce(p.stars_1, 0) as stars_1,
        coalesce(p.stars_2, 0) as stars_2,
        coalesce(p.stars_3, 0) as stars_3,
        coalesce(p.stars_4, 0) as stars_4,
        coalesce(p.stars_5, 0) as stars_5,
        coalesce(p.posted, 0) as posted,
        coalesce(r.removed_customer, 0) as removed_customer,
        coalesce(r.removed_automated, 0) as removed_automated,
        coalesce(r.removed_staff, 0) as removed_staff,
        coalesce(r.removed, 0) as removed,
        sum(coalesce(p.posted, 0) - coalesce(r.removed, 0)) over w as visible_reviews,
        sum(coalesce(p.rating_posted, 0) - coalesce(r.rating_removed, 0)) over w as visible_rating_sum
    from days as d
    left join posted as p using (day)
    left join removed as r using (day)
    window w as (order by d.day rows between unbounded preceding and current row)
),

final as (
    select
        day as "date",
        stars_1, stars_2, stars_3, stars_4, stars_5, posted,
        removed_customer, removed_automated, removed_staff, removed,
        visible_reviews,
        case when visible_reviews > 0 then visible_rating_sum / visible_reviews end as visible_rating
    from running
    where day >= $first_day
)

select * from final
order by "date"
