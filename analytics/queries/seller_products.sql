-- One row per product of seller $seller_id: its category, launch, days ranked up to $as_of and median
-- sales rank, and whether the run of $as_of has a finding about it. Products with findings first.
with own as (
    select product_id, title, category, launched_on
    from products
    where seller_id = $seller_id
),

ranks as (
    select pd.product_id, count(pd.sales_rank) as days_ranked, median(pd.sales_rank) as median_rank
    from product_daily as pd
    join own using (product_id)
    where pd."date" <= $as_of
    group by pd.product_id
),

findings as (
    select product_id, count(*) as findings
    from evidence
    where as_of = $as_of and seller_id = $seller_id and product_id is not null
    group by product_id
),

final as (
    select o.product_id, o.title, o.category, o.launched_on,
           coalesce(r.days_ranked, 0) as days_ranked, r.median_rank,
           coalesce(f.findings, 0) as findings
    from own as o
    left join ranks as r using (product_id)
    left join findings as f using (product_id)
)

select * from final
order by findings desc, median_rank nulls last, product_id
