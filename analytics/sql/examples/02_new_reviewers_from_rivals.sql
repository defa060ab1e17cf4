-- Which sellers' new reviewers overlap most with their rivals' reviewers?
-- One row per seller: of the reviewers who first reviewed it in the last 90 days of data, how many
-- had already reviewed a rival (another seller with products in the same category) before that, and
-- the rival they came from most often. A high share, mostly 5-star and unverified, fits reviewer
-- emails harvested from insiders; a category where everyone reviews everything shows it too, so
-- compare against the category.
with reviewer_seller as (
    select r.reviewer_id, p.seller_id, p.category, min(r.created_at) as first_review_at,
           avg(r.rating) as mean_rating, avg(r.verified_purchase::int) as verified_share
    from reviews as r
    join products as p using (product_id)
    group by r.reviewer_id, p.seller_id, p.category
),

window_start as (
    select max(created_at) - interval 90 day as since from reviews
),

new_reviewers as (
    select rs.*
    from reviewer_seller as rs, window_start as w
    where rs.first_review_at >= w.since
),

came_from_rival as (
    select n.seller_id, n.reviewer_id, n.mean_rating, n.verified_share, earlier.seller_id as rival_id
    from new_reviewers as n
    join reviewer_seller as earlier
        on earlier.reviewer_id = n.reviewer_id
        and earlier.category = n.category
        and earlier.seller_id <> n.seller_id
        and earlier.first_review_at < n.first_review_at
),

per_seller as (
    select
        n.seller_id,
        count(distinct n.reviewer_id) as new_reviewers,
        count(distinct c.reviewer_id) as from_rivals,
        round(avg(n.mean_rating) filter (where c.reviewer_id is not null), 2) as their_mean_rating,
        round(avg(n.verified_share) filter (where c.reviewer_id is not null), 2) as their_verified_share,
        mode(c.rival_id) as main_rival
    from new_reviewers as n
    left join came_from_rival as c using (seller_id, reviewer_id)
    group by n.seller_id
),

final as (
    select
        s.seller_id,
        s.seller_name,
        s.primary_category,
        p.new_reviewers,
        p.from_rivals,
        round(p.from_rivals / p.new_reviewers, 2) as from_rivals_share,
        p.their_mean_rating,
        p.their_verified_share,
        p.main_rival
    from per_seller as p
    join sellers as s using (seller_id)
    where p.new_reviewers >= 5
)

select *
from final
order by from_rivals_share desc, from_rivals desc
limit 200;
