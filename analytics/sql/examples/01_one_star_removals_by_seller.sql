-- Who removes the most 1-star reviews, by seller?
-- One row per seller with at least one 1-star review: how many were taken down and by whom
-- (customer, automated filter, staff), how selective staff removals are (share of the seller's staff
-- removals that hit 1-2 star reviews) and the employee who logged the most removals on its products.
-- Staff moderate reviews of every rating; removals of only the bad ones, by one employee, are the
-- pattern of bought deletions. Few reviews mean noise: read small sellers with care.
with seller_reviews as (
    select p.seller_id, r.product_id, r.rating, r.removed_by
    from reviews as r
    join products as p using (product_id)
),

by_seller as (
    select
        seller_id,
        count(*) filter (where rating = 1) as one_star_reviews,
        count(*) filter (where rating = 1 and removed_by is not null) as one_star_removed,
        count(*) filter (where rating = 1 and removed_by = 'staff') as one_star_removed_by_staff,
        count(*) filter (where rating = 1 and removed_by = 'automated') as one_star_removed_automated,
        count(*) filter (where rating = 1 and removed_by = 'customer') as one_star_removed_by_customer,
        count(*) filter (where removed_by = 'staff') as all_removed_by_staff,
        count(*) filter (where removed_by = 'staff' and rating <= 2) as low_removed_by_staff
    from seller_reviews
    group by seller_id
),

removing_staff as (
    select p.seller_id, a.employee_id, count(*) as removals
    from access_log as a
    join products as p using (product_id)
    where a.action = 'remove_review'
    group by p.seller_id, a.employee_id
),

top_remover as (
    select seller_id, arg_max(employee_id, removals) as top_removing_employee, max(removals) as their_removals
    from removing_staff
    group by seller_id
),

final as (
    select
        s.seller_id,
        s.seller_name,
        s.primary_category,
        b.one_star_reviews,
        b.one_star_removed,
        b.one_star_removed_by_staff,
        b.one_star_removed_automated,
        b.one_star_removed_by_customer,
        round(b.low_removed_by_staff / nullif(b.all_removed_by_staff, 0), 2) as staff_removals_low_share,
        t.top_removing_employee,
        t.their_removals
    from by_seller as b
    join sellers as s using (seller_id)
    left join top_remover as t using (seller_id)
    where b.one_star_reviews > 0
)

select *
from final
order by one_star_removed_by_staff desc, one_star_removed desc
limit 200;
