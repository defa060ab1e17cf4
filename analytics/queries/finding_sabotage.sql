-- One row per week (starting Monday) up to $as_of in the categories of seller $seller_id's products: the
-- 1-star reviews of its rivals' products (every other seller there), how many of them came from accounts
-- that gave $seller_id's products 5 stars (sabotage's trace A: attack accounts that praise the buyer),
-- and those accounts' share of the categories' reviewers (the same in every row).
with categories as (
    select distinct category from products where seller_id = $seller_id
),

category_reviews as (
    select r.reviewer_id, r.rating, r.created_at, p.seller_id
    from reviews as r
    join products as p using (product_id)
    where p.category in (select category from categories)
      and r.created_at < $as_of::date + interval 1 day
),

praisers as (
    select distinct reviewer_id from category_reviews where seller_id = $seller_id and rating = 5
),

share as (
    select (select count(*) from praisers) / greatest(count(distinct reviewer_id), 1) as praiser_share
    from category_reviews
),

attacks as (
    select c.created_at, c.reviewer_id in (select reviewer_id from praisers) as praiser
    from category_reviews as c
    where c.seller_id <> $seller_id
      and c.rating = 1
),

weeks as (
    select unnest(generate_series(
        date_trunc('week', (select min(created_at) from category_reviews))::date,
        date_trunc('week', $as_of::date)::date,
        interval 7 day
    ))::date as week
)

select
    w.week,
    count(a.created_at) as one_star,
    count(a.created_at) filter (where a.praiser) as from_praisers,
    any_value(s.praiser_share) as praiser_share
from weeks as w
cross join share as s
left join attacks as a
    on a.created_at >= w.week and a.created_at < w.week + interval 7 day
group by w.week
order by w.week
