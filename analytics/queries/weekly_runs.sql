-- One row: the week's scoring run (the latest as_of from $week_start to $week_end, inclusive; null when
-- none) and the run before it (null when there is none), the pair the week's changes are measured between.
with week_run as (
    select max(as_of) as as_of
    from score_runs
    where as_of between $week_start and $week_end
),

previous_run as (
    select max(r.as_of) as as_of
    from score_runs as r, week_run as w
    where r.as_of < coalesce(w.as_of, $week_start)
),

final as (
    select w.as_of as week_run, p.as_of as previous_run
    from week_run as w, previous_run as p
)

select * from final
