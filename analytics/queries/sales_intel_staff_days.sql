-- Every employee's logged actions per day by the end of $as_of, of any kind (views of accounts and
-- reviews included): the yardstick of how much work an employee had done before a look-up.
-- employee_id, day_idx (days since $first_day; negative before the data starts), actions (log rows).
select
    employee_id,
    date_diff('day', $first_day::date, ts::date)::integer as day_idx,
    count(*)::bigint as actions
from access_log
where ts < $as_of::date + interval 1 day
group by all
order by employee_id, day_idx
