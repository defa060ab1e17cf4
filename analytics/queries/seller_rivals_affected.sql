-- One row per (rival, rise date) for seller $seller_id: sellers with products in one of its categories
-- whose sales rank got worse, or who took a burst of 1-star reviews, in the $window_days days after
-- one of the seller's rise dates ($rise_dates) compared with the $window_days days before. Nothing
-- after the end of $as_of is used. rank_factor > 1 = the rival's rank worsened by that factor.
with own_categories as (
    select distinct category from products where seller_id = $seller_id
),

rise as (
    select unnest($rise_dates::date[]) as rise_date
),

rival_products as (
    select product_id, seller_id
    from products
    where category in (select category from own_categories)
      and seller_id <> $seller_id
),

product_windows as (
    select
        rp.seller_id,
        pd.product_id,
        r.rise_date,
        avg(ln(pd.sales_rank)) filter (where pd."date" < r.rise_date) as ln_rank_before,
        avg(ln(pd.sales_rank)) filter (where pd."date" >= r.rise_date) as ln_rank_after
    from product_daily as pd
    join rival_products as rp using (product_id)
    join rise as r
      on pd."date" >= r.rise_date - to_days($window_days::integer)
     and pd."date" < r.rise_date + to_days($window_days::integer)
    where pd.sales_rank is not null
      and pd."date" <= $as_of
    group by all
),

rank_shifts as (
    select seller_id, rise_date, exp(avg(ln_rank_after - ln_rank_before)) as rank_factor
    from product_windows
    where ln_rank_before is not null and ln_rank_after is not null
    group by all
),

one_star as (
    select
        rp.seller_id,
        r.rise_date,
        count(*) filter (where rv.created_at < r.rise_date) as one_star_before,
        count(*) filter (where rv.created_at >= r.rise_date) as one_star_after
    from reviews as rv
    join rival_products as rp using (product_id)
    join rise as r
      on rv.created_at >= r.rise_date - to_days($window_days::integer)
     and rv.created_at < r.rise_date + to_days($window_days::integer)
    where rv.rating = 1
      and rv.created_at < $as_of::date + interval 1 day
    group by all
),

combined as (
    select
        coalesce(k.seller_id, o.seller_id) as rival_id,
        coalesce(k.rise_date, o.rise_date) as rise_date,
        k.rank_factor,
        coalesce(o.one_star_before, 0) as one_star_before,
        coalesce(o.one_star_after, 0) as one_star_after
    from rank_shifts as k
    full join one_star as o using (seller_id, rise_date)
),

final as (
    select c.rival_id, s.seller_name as rival_name, c.rise_date, c.rank_factor,
           c.one_star_before, c.one_star_after
    from combined as c
    join sellers as s on s.seller_id = c.rival_id
    where c.rank_factor >= $min_rank_factor
       or (c.one_star_after >= $min_one_star and c.one_star_after >= $burst_ratio * c.one_star_before)
)

select * from final
order by greatest(coalesce(ln(rank_factor), 0), ln((1 + one_star_after) / (1 + one_star_before))) desc,
         rival_id, rise_date
limit $limit
