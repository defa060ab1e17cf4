-- One row per seller that the run of $week_run flags and the run of $previous_run did not (all flagged
-- sellers when there is no previous run), or whose score rose by at least $sharp_rise since that run.
with this_run as (
    select seller_id, score, flagged, reasons, signals, score_rank
    from seller_scores
    where as_of = $week_run
),

previous_run as (
    select seller_id, score, flagged
    from seller_scores
    where as_of = $previous_run
),

compared as (
    select
        t.seller_id,
        t.score,
        p.score as previous_score,
        t.score - coalesce(p.score, 0) as score_change,
        t.flagged,
        coalesce(p.flagged, false) as previously_flagged,
        t.flagged and not coalesce(p.flagged, false) as newly_flagged,
        $previous_run is not null and t.score - coalesce(p.score, 0) >= $sharp_rise as rose_sharply,
        t.reasons,
        t.signals,
        t.score_rank
    from this_run as t
    left join previous_run as p using (seller_id)
),

final as (
    select
        c.seller_id,
        s.seller_name,
        s.country,
        s.city,
        s.primary_category as category,
        c.score,
        c.previous_score,
        c.score_change,
        c.flagged,
        c.previously_flagged,
        c.newly_flagged,
        c.rose_sharply,
        c.score_rank,
        c.reasons,
        c.signals
    from compared as c
    left join sellers as s using (seller_id)
    where c.newly_flagged or c.rose_sharply
)

select * from final
order by score desc, seller_id
