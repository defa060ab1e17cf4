-- One row per week (starting Monday), category and side (seller $seller_id's own, or everyone else's) in
-- the categories of $seller_id's products, up to $as_of: new reviewers (a reviewer's first review of a
-- seller) and how many of them had reviewed another seller's product in the category first and gave
-- 4-5 stars (harvested_reviewers' marker), and of those how many without a verified purchase (its second).
with categories as (
    select distinct category from products where seller_id = $seller_id
),

category_reviews as (
    select r.reviewer_id, p.seller_id, p.category, r.created_at, r.rating, r.verified_purchase
    from reviews as r
    join products as p using (product_id)
    where p.category in (select category from categories)
      and r.created_at < $as_of::date + interval 1 day
),

firsts as (
    select reviewer_id, seller_id, category, min(created_at) as first_at, arg_min(rating, created_at) as rating,
           arg_min(verified_purchase, created_at) as verified
    from category_reviews
    group by reviewer_id, seller_id, category
),

marked as (
    select *, first_at > min(first_at) over (partition by reviewer_id, category) as rival_first
    from firsts
)

select
    date_trunc('week', first_at)::date as week,
    category,
    seller_id = $seller_id as own,
    count(*) as new_reviewers,
    count(*) filter (where rival_first and rating >= 4) as marked,
    count(*) filter (where rival_first and rating >= 4 and not coalesce(verified, false)) as marked_unverified
from marked
group by all
order by week
