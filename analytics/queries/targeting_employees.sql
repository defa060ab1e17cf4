-- One row per employee in the access log by the end of $as_of, in employee_id order: employee_idx is
-- the position targeting_staff_touches.sql refers to.
with employees as (
    select distinct employee_id
    from access_log
    where ts < $as_of::date + interval 1 day
),

final as (
    select (row_number() over (order by employee_id) - 1)::integer as employee_idx, employee_id
    from employees
)

select * from final
order by employee_idx
