-- One row per (event, seller) for category $category: for each flagged seller's change point
-- ($event_sellers[i] on $event_dates[i]), every seller listing in the category and how its sales rank
-- moved from the $window_days days before to the $window_days days after (rank_factor < 1 = gained,
-- > 1 = lost; averaged in logs over its products ranked in both windows). Only the $per_side biggest
-- gainers and losers of each event are kept. Nothing after the end of $as_of is used.
with events as (
    select unnest($event_sellers::varchar[]) as event_seller_id,
           unnest($event_dates::date[]) as event_date
),

category_products as (
    select product_id, seller_id from products where category = $category
),

product_windows as (
    select
        e.event_seller_id,
        e.event_date,
        cp.seller_id,
        pd.product_id,
        avg(ln(pd.sales_rank)) filter (where pd."date" < e.event_date) as ln_before,
        avg(ln(pd.sales_rank)) filter (where pd."date" >= e.event_date) as ln_after
    from product_daily as pd
    join category_products as cp using (product_id)
    join events as e
      on pd."date" >= e.event_date - to_days($window_days::integer)
     and pd."date" < e.event_date + to_days($window_days::integer)
    where pd.sales_rank is not null
      and pd."date" <= $as_of
    group by all
),

seller_shifts as (
    select event_seller_id, event_date, seller_id, avg(ln_after - ln_before) as ln_change,
           count(*) as products
    from product_windows
    where ln_before is not null and ln_after is not null
    group by all
),

ranked as (
    select *,
        row_number() over (partition by event_seller_id, event_date order by ln_change) as gain_place,
        row_number() over (partition by event_seller_id, event_date order by ln_change desc) as loss_place
    from seller_shifts
),

final as (
    select
        r.event_seller_id,
        r.event_date,
        r.seller_id,
        s.seller_name,
        r.seller_id = r.event_seller_id as is_event_seller,
        exp(r.ln_change) as rank_factor,
        r.products,
        case when r.ln_change < 0 then 'gained' else 'lost' end as direction
    from ranked as r
    join sellers as s using (seller_id)
    where r.gain_place <= $per_side or r.loss_place <= $per_side or r.seller_id = r.event_seller_id
)

select * from final
order by event_date, event_seller_id, rank_factor
