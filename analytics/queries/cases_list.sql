-- One row per case (analysts' store) in one of $statuses, optionally only $assignee's, newest change first;
-- age_days runs to the close, or to $now (UTC) for an open case.
with chosen as (
    select *
    from cases
    where list_contains($statuses, status)
      and ($assignee is null or assignee = $assignee)
),

notes as (
    select case_id, count(*) as notes, max(changed_at) as last_note_at
    from case_history
    where field = 'note'
    group by case_id
),

final as (
    select
        chosen.case_id,
        chosen.seller_id,
        chosen.status,
        chosen.assignee,
        chosen.opened_by,
        chosen.opened_at,
        chosen.updated_by,
        chosen.updated_at,
        chosen.closed_by,
        chosen.closed_at,
        chosen.clear_reason,
        chosen.version,
        coalesce(notes.notes, 0) as notes,
        date_diff('day', chosen.opened_at, coalesce(chosen.closed_at, $now)) as age_days
    from chosen
    left join notes using (case_id)
)

select * from final
order by updated_at desc, case_id desc
