-- One row per review posted by the end of $as_of on a product of a seller registered by $as_of, as
-- compact codes for the review signals, ordered by reviewer, then unit (review_units.sql), then time.
-- Times are whole minutes since $first_day. A removal after the end of $as_of has not happened yet:
-- such a review counts as still shown (removed_minute = 2147483647, remover = 0).
-- remover: 0 shown, 1 customer, 2 automated filter, 3 staff, 4 unrecorded.
with sellers_in_scope as (
    select seller_id
    from sellers
    where registered_on <= $as_of
),

units as (
    select
        (row_number() over (order by category, seller_id) - 1)::integer as unit_idx,
        seller_id,
        category
    from (select distinct p.seller_id, p.category
          from products as p
          join sellers_in_scope using (seller_id))
),

products_in_scope as (
    select p.product_id, u.unit_idx
    from products as p
    join units as u using (seller_id, category)
),

known_reviews as (
    select
        r.reviewer_id,
        ps.unit_idx,
        r.rating,
        r.verified_purchase,
        r.created_at,
        case when r.removed_at < $as_of::date + interval 1 day then r.removed_at end as removed_at,
        case when r.removed_at < $as_of::date + interval 1 day then r.removed_by end as removed_by
    from reviews as r
    join products_in_scope as ps using (product_id)
    where r.created_at < $as_of::date + interval 1 day
),

final as (
    select
        hash(reviewer_id) as reviewer_key,
        unit_idx,
        date_diff('minute', $first_day::timestamp, created_at)::integer as created_minute,
        coalesce(date_diff('minute', $first_day::timestamp, removed_at), 2147483647)::integer
            as removed_minute,
        (case when removed_at is null then 0
              when removed_by = 'customer' then 1
              when removed_by = 'automated' then 2
              when removed_by = 'staff' then 3
              else 4 end)::tinyint as remover,
        rating::tinyint as rating,
        coalesce(verified_purchase, false) as verified
    from known_reviews
)

select * from final
order by reviewer_key, unit_idx, created_minute
