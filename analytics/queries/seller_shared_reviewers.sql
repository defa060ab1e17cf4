-- One row per reviewer (pseudonymous id) who reviewed seller $seller_id's products and also a rival's
-- product in one of the same categories, up to the end of $as_of: how many reviews and what ratings
-- each side got, which rivals, and whether the reviewer reached the rivals first (the trace that
-- harvested reviewer lists leave). The harvest pattern first: reviewers who reached a rival before
-- this seller, then the highest ratings to this seller, then those who reviewed the fewest rivals
-- (ordinary busy customers review many). At most $limit rows; shared_reviewers counts them all.
-- The reviews of the seller's categories are read once (materialized): the table is the largest.
with own_categories as (
    select distinct category from products where seller_id = $seller_id
),

category_products as (
    select product_id, seller_id
    from products
    where category in (select category from own_categories) or seller_id = $seller_id
),

category_reviews as materialized (
    select r.reviewer_id, r.rating, r.created_at, cp.seller_id
    from reviews as r
    join category_products as cp using (product_id)
    where r.created_at < $as_of::date + interval 1 day
),

own_by_reviewer as (
    select reviewer_id, count(*) as reviews_of_seller, avg(rating) as avg_rating_to_seller,
           min(created_at) as first_review_of_seller
    from category_reviews
    where seller_id = $seller_id
    group by reviewer_id
),

rivals_by_reviewer as (
    select reviewer_id, count(*) as reviews_of_rivals, avg(rating) as avg_rating_to_rivals,
           min(created_at) as first_review_of_rival,
           list(distinct seller_id order by seller_id) as rivals
    from category_reviews
    where seller_id <> $seller_id
      and reviewer_id in (select reviewer_id from own_by_reviewer)
    group by reviewer_id
),

final as (
    select
        o.reviewer_id,
        o.reviews_of_seller,
        o.avg_rating_to_seller,
        r.reviews_of_rivals,
        r.avg_rating_to_rivals,
        r.first_review_of_rival < o.first_review_of_seller as reviewed_rivals_first,
        len(r.rivals) as rivals_reviewed,
        r.rivals,
        count(*) over () as shared_reviewers
    from own_by_reviewer as o
    join rivals_by_reviewer as r using (reviewer_id)
)

select * from final
order by reviewed_rivals_first desc, avg_rating_to_seller desc, rivals_reviewed, reviewer_id
limit $limit
