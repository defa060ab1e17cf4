-- One row for seller $seller_id in the run of $as_of (no row when that run did not score it): its
-- score, flag, reasons, signals, place in the run and how many sellers the run scored.
with run as (
    select seller_id, score, flagged, reasons, signals, score_rank
    from seller_scores
    where as_of = $as_of
),

final as (
    select r.*, (select count(*) from run) as sellers_scored
    from run as r
    where r.seller_id = $seller_id
)

select * from final
