-- One row per case that was open at $at (analysts' store, UTC): its status and assignee at that moment,
-- rebuilt from the history, so that a past week reads as it stood then; oldest first.
with opened as (
    select case_id, seller_id, opened_at, opened_by
    from cases
    where opened_at <= $at
),

status_then as (
    select case_id, arg_max(new_value, version) as status
    from case_history
    where field = 'status'
      and changed_at <= $at
    group by case_id
),

assignee_then as (
    select case_id, arg_max(new_value, version) as assignee
    from case_history
    where field = 'assignee'
      and changed_at <= $at
    group by case_id
),

final as (
    select
        opened.case_id,
        opened.seller_id,
        coalesce(status_then.status, 'new') as status,
        assignee_then.assignee,
        opened.opened_at,
        opened.opened_by,
        date_diff('day', opened.opened_at, $at) as age_days
    from opened
    left join status_then using (case_id)
    left join assignee_then using (case_id)
)

select * from final
where status in ('new', 'investigating', 'escalated')
order by opened_at, case_id
