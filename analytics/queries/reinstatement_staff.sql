-- One row per reinstatement known on $as_of that the staff tool logged: the seller, when the account
-- was reinstated, and the employee whose 'reinstate_account' action on that seller came last within
-- ten minutes before it (the click lands seconds before the event is recorded). Reinstatements with
-- no such action (lifted automatically, or not logged) have no row.
with reinstated as (
    select seller_id, ts as reinstated_at
    from account_events
    where event = 'reinstated'
      and ts < ($as_of::date + interval 1 day)
),

actions as (
    select employee_id, seller_id, ts
    from access_log
    where action = 'reinstate_account'
      and ts < ($as_of::date + interval 1 day)
),

matched as (
    select r.seller_id, r.reinstated_at, a.employee_id, a.ts as acted_at
    from reinstated as r
    asof join actions as a
        on a.seller_id = r.seller_id
       and r.reinstated_at >= a.ts
)

select seller_id, reinstated_at, employee_id
from matched
where reinstated_at - acted_at <= interval 10 minute
order by seller_id, reinstated_at
