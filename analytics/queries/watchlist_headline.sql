-- One row for the run of $as_of: sellers scored and flagged, the previous run's date, and how many
-- sellers this run flags that the previous run did not (all of its flags when there is no previous run).
-- cleared_hidden counts the flagged sellers in $cleared_sellers (cleared by the analysts on evidence that
-- has not grown since: analytics.feedback), which the watchlist hides; cleared_hidden_new, those of them
-- that are newly flagged. sellers_flagged and newly_flagged include them.
with this_run as (
    select seller_id, flagged, flagged and list_contains($cleared_sellers::varchar[], seller_id) as cleared_hidden
    from seller_scores
    where as_of = $as_of
),

previous_run as (
    select max(as_of) as as_of
    from score_runs
    where as_of < $as_of
),

previously_flagged as (
    select s.seller_id
    from seller_scores as s
    join previous_run as p on s.as_of = p.as_of
    where s.flagged
),

final as (
    select
        count(*) as sellers_scored,
        count(*) filter (where t.flagged) as sellers_flagged,
        count(*) filter (where t.flagged and pf.seller_id is null) as newly_flagged,
        (select as_of from previous_run) as previous_as_of,
        count(*) filter (where t.cleared_hidden) as cleared_hidden,
        count(*) filter (where t.cleared_hidden and pf.seller_id is null) as cleared_hidden_new
    from this_run as t
    left join previously_flagged as pf using (seller_id)
)

select * from final
