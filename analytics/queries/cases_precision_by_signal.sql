-- One row per signal (analysts' store): how many closed cases had it among their evidence when they
-- closed, how many of those were actioned (confirmed) and cleared (false alarm). A case's latest
-- closing counts; a case closed with no evidence kept counts under a null signal.
with closed as (
    select case_id, status, version
    from cases
    where status in ('actioned', 'cleared')
),

labelled as (
    select distinct closed.case_id, closed.status, kept.signal
    from closed
    left join case_evidence as kept
        on kept.case_id = closed.case_id
       and kept.version = closed.version
),

final as (
    select
        signal,
        count(*) as closed_cases,
        count(*) filter (where status = 'actioned') as actioned,
        count(*) filter (where status = 'cleared') as cleared
    from labelled
    group by signal
)

select * from final
order by signal nulls last
