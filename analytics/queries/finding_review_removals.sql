-- One row per week (starting Monday) from the seller's first review to $as_of, for seller $seller_id's
-- products: its verified 1-2 star reviews on show during the week (posted before the week ends, not
-- removed before it starts) and how many of them staff removed that week. A removal after $as_of is
-- not known yet.
with complaints as (
    select
        r.created_at,
        case when r.removed_at < $as_of::date + interval 1 day then r.removed_at end as removed_at,
        case when r.removed_at < $as_of::date + interval 1 day then r.removed_by end as removed_by
    from reviews as r
    join products as p using (product_id)
    where p.seller_id = $seller_id
      and r.rating <= 2
      and r.verified_purchase
      and r.created_at < $as_of::date + interval 1 day
),

weeks as (
    select unnest(generate_series(
        date_trunc('week', (select min(created_at) from complaints))::date,
        date_trunc('week', $as_of::date)::date,
        interval 7 day
    ))::date as week
)

select
    w.week,
    count(c.created_at) filter (where c.created_at < w.week + interval 7 day
                                  and (c.removed_at is null or c.removed_at >= w.week)) as on_show,
    count(c.created_at) filter (where c.removed_by = 'staff' and c.removed_at >= w.week
                                  and c.removed_at < w.week + interval 7 day) as staff_removed
from weeks as w
left join complaints as c on c.created_at < w.week + interval 7 day
group by w.week
order by w.week
