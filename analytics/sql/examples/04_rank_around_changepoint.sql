-- Where did a seller rank against its rivals around its change point?
-- One row per day from 30 days before to 30 days after the change point of the strongest finding in
-- the latest scoring run (table evidence; it is empty before the first `python -m analytics score`,
-- and then so is this). For the seller: its best product rank in the category that day, its position
-- among the category's sellers (1 = the seller with the best-ranked product) and the rivals' median
-- best rank. To look at another seller, put its id in `target` (e.g. where seller_id = 'S000123').
with target as (
    select seller_id, signal, changepoint_date
    from evidence
    where as_of = (select max(as_of) from evidence) and changepoint_date is not null
    order by q_value nulls last, p_value nulls last
    limit 1
),

target_categories as (
    select distinct p.category
    from products as p
    join target as t using (seller_id)
),

seller_best_rank as (
    select p.category, d.date, p.seller_id, min(d.sales_rank) as best_rank
    from product_daily as d
    join products as p using (product_id)
    join target_categories as c using (category)
    cross join target as t
    where d.sales_rank is not null
      and d.date between t.changepoint_date - interval 30 day and t.changepoint_date + interval 30 day
    group by p.category, d.date, p.seller_id
),

positioned as (
    select
        *,
        rank() over (partition by category, date order by best_rank) as position_among_sellers,
        count(*) over (partition by category, date) as sellers_ranked
    from seller_best_rank
),

rivals as (
    select b.category, b.date, median(b.best_rank) as rivals_median_best_rank
    from seller_best_rank as b
    join target as t on b.seller_id <> t.seller_id
    group by b.category, b.date
),

final as (
    select
        t.seller_id,
        t.signal,
        t.changepoint_date,
        p.date,
        date_diff('day', t.changepoint_date, p.date) as days_from_change,
        p.category,
        p.best_rank,
        p.position_among_sellers,
        p.sellers_ranked,
        r.rivals_median_best_rank
    from positioned as p
    join target as t using (seller_id)
    left join rivals as r using (category, date)
)

select *
from final
order by category, date;
