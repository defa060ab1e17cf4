-- One row per requested (product_id, week) pair (the lists $product_ids and $weeks, week = days since
-- $first_day // 7): the product's internal units sold over the 4 weeks before that week, the units its
-- public sales rank over those weeks implied, and z, the standardised surprise (> 0: it sold more than
-- its rank told the public). What rank implies is a line of ln(1 + units) on the mean ln(rank), fitted
-- across every product ranked on at least 14 of those days in the same category and weeks. Only days
-- up to $as_of are read. Pairs whose category has fewer than 8 such products get no row.
with requested as (
    select distinct unnest($product_ids) as product_id, unnest($weeks) as week
),

requested_windows as (
    select distinct p.category, r.week
    from requested as r
    join products as p using (product_id)
),

weekly as (
    select
        pd.product_id,
        p.category,
        date_diff('day', $first_day::date, pd."date") // 7 as week,
        sum(pd.units_sold) as units,
        sum(ln(pd.sales_rank)) as log_rank_sum,
        count(pd.sales_rank) as ranked_days
    from product_daily as pd
    join products as p using (product_id)
    where pd."date" between $first_day and $as_of
      and p.category in (select category from requested_windows)
    group by pd.product_id, p.category, week
),

windows as (
    select
        rw.category,
        rw.week,
        w.product_id,
        sum(w.units) as units,
        sum(w.log_rank_sum) / sum(w.ranked_days) as mean_log_rank
    from requested_windows as rw
    join weekly as w
        on w.category = rw.category
       and w.week >= rw.week - 4
       and w.week < rw.week
    group by rw.category, rw.week, w.product_id
    having sum(w.ranked_days) >= 14
),

fits as (
    select
        category,
        week,
        regr_intercept(ln(1 + units), mean_log_rank) as intercept,
        regr_slope(ln(1 + units), mean_log_rank) as slope,
        count(*) as category_products
    from windows
    group by category, week
    having count(*) >= 8
),

residuals as (
    select
        w.category,
        w.week,
        w.product_id,
        w.units,
        exp(f.intercept + f.slope * w.mean_log_rank) - 1 as implied_units,
        ln(1 + w.units) - (f.intercept + f.slope * w.mean_log_rank) as residual,
        f.category_products
    from windows as w
    join fits as f using (category, week)
),

spread as (
    select category, week, sqrt(sum(residual * residual) / (count(*) - 2)) as residual_sd
    from residuals
    group by category, week
),

final as (
    select
        r.product_id,
        r.week,
        x.units,
        x.implied_units,
        x.residual / nullif(s.residual_sd, 0) as z,
        x.category_products
    from requested as r
    join residuals as x using (product_id, week)
    join spread as s using (category, week)
)

select * from final
