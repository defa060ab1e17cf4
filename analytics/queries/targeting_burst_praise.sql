-- Who wrote the 1-star reviews of rating bursts, and whom else they praised. $burst_products and
-- $burst_weeks list the burst product-weeks (week = days since $first_day // 7), found beforehand from
-- targeting_rating_bursts. Reviews written by the end of $as_of count, removed ones too (a later removal
-- does not undo that the account wrote it). Three kinds of row, by `part`:
--   'attack': one per (category, reviewer, burst seller): a 1-star review in one of its burst weeks,
--             with the first such review's time (first_at);
--   'praise': one per (category, reviewer, seller) for those reviewers' 5-star reviews in the
--             category, with the first one's time;
--   'fans':   one per (category, seller): how many distinct reviewers gave it 5 stars (n), the
--             yardstick of how often anyone's praise lands on that seller.
-- Reviewers travel as 64-bit hashes.
with bursts as (
    select unnest($burst_products::varchar[]) as product_id, unnest($burst_weeks::bigint[]) as week
),

written as (
    select
        hash(r.reviewer_id) as reviewer_key,
        r.product_id,
        p.seller_id,
        p.category,
        r.rating,
        r.created_at,
        date_diff('day', $first_day::date, r.created_at::date) // 7 as week
    from reviews as r
    join products as p using (product_id)
    where r.created_at < $as_of::date + interval 1 day
      and r.rating in (1, 5)
),

attack as (
    select w.category, w.reviewer_key, w.seller_id, min(w.created_at) as first_at
    from written as w
    semi join bursts as b on b.product_id = w.product_id and b.week = w.week
    where w.rating = 1
    group by w.category, w.reviewer_key, w.seller_id
),

praise as (
    select w.category, w.reviewer_key, w.seller_id, min(w.created_at) as first_at
    from written as w
    semi join (select distinct category, reviewer_key from attack) as a
        on a.category = w.category and a.reviewer_key = w.reviewer_key
    where w.rating = 5
    group by w.category, w.reviewer_key, w.seller_id
),

fans as (
    select category, seller_id, count(distinct reviewer_key) as n
    from written
    where rating = 5
    group by category, seller_id
)

select 'attack' as part, category, reviewer_key, seller_id, first_at, null::bigint as n from attack
union all
select 'praise' as part, category, reviewer_key, seller_id, first_at, null::bigint as n from praise
union all
select 'fans' as part, category, null::ubigint as reviewer_key, seller_id, null::timestamp as first_at, n from fans
