-- One row per (flagged seller, change-point date) in category $category for the run of $as_of: the
-- days its significant findings date its change to, with the signals behind each day. Most suspicious
-- sellers first, at most $limit sellers.
with in_category as (
    select distinct seller_id from products where category = $category
),

flagged as (
    select s.seller_id, s.score, s.score_rank
    from seller_scores as s
    join in_category using (seller_id)
    where s.as_of = $as_of and s.flagged
    order by s.score_rank
    limit $limit
),

final as (
    select
        f.seller_id,
        sl.seller_name,
        f.score,
        e.changepoint_date,
        list(distinct e.signal order by e.signal) as signals
    from flagged as f
    join evidence as e on e.seller_id = f.seller_id and e.as_of = $as_of
    join sellers as sl on sl.seller_id = f.seller_id
    where e.significant and e.changepoint_date is not null
    group by all
)

select * from final
order by score desc, seller_id, changepoint_date
