-- One row per change to one case (analysts' store), oldest first; only the changes after $after_version.
with changes as (
    select case_id, version, changed_at, changed_by, field, old_value, new_value
    from case_history
    where case_id = $case_id
      and version > $after_version
),

final as (
    select *
    from changes
    -- within one version, in the order a reader tells it: opened, status and its reason, then the rest
    order by version, changed_at,
             case field when 'opened' then 0 when 'status' then 1 when 'reason' then 2
                        when 'assignee' then 3 else 4 end
)

select * from final
