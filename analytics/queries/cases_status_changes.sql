-- One row per change of a case's status (analysts' store) from $start (inclusive) to $end (exclusive),
-- UTC, opening included (from no status to new), with the reason given when it was cleared; oldest first.
with moves as (
    select case_id, version, changed_at, changed_by, old_value as from_status, new_value as to_status
    from case_history
    where field = 'status'
      and changed_at >= $start
      and changed_at < $end
),

openings as (
    select case_id, version, changed_at, changed_by, null as from_status, 'new' as to_status
    from case_history
    where field = 'opened'
      and changed_at >= $start
      and changed_at < $end
),

reasons as (
    select case_id, version, new_value as reason
    from case_history
    where field = 'reason'
),

final as (
    select
        changes.case_id,
        cases.seller_id,
        changes.changed_at,
        changes.changed_by,
        changes.from_status,
        changes.to_status,
        reasons.reason,
        cases.status as status_now,
        cases.assignee as assignee_now
    from (select * from moves union all select * from openings) as changes
    join cases on cases.case_id = changes.case_id
    left join reasons on reasons.case_id = changes.case_id and reasons.version = changes.version
)

select * from final
order by changed_at, case_id
