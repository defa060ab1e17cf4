-- Which suspensions were lifted within 24 hours?
-- One row per reinstatement that came less than 24 hours after the seller's suspension: the reason,
-- the hours it took, whether and how long before it an appeal came in, and the staff member who
-- logged a reinstate_account on that seller in the hour before. Many fast reinstatements are honest
-- (verification holds, fixed documents); a serious reason lifted within hours with no appeal, or an
-- appeal minutes before, by a staff member whose reinstatements are unusual, is the bought kind.
with suspensions as (
    select seller_id, ts as suspended_at, reason
    from account_events
    where event = 'suspended'
),

reinstatements as (
    select seller_id, ts as reinstated_at
    from account_events
    where event = 'reinstated'
),

paired as (
    select r.seller_id, r.reinstated_at, s.suspended_at, s.reason
    from reinstatements as r
    asof join suspensions as s
        on s.seller_id = r.seller_id and s.suspended_at <= r.reinstated_at
),

with_appeal as (
    select
        p.*,
        (select max(a.ts) from account_events as a
         where a.seller_id = p.seller_id and a.event = 'appeal_submitted'
           and a.ts between p.suspended_at and p.reinstated_at) as appeal_at,
        (select arg_max(l.employee_id, l.ts) from access_log as l
         where l.seller_id = p.seller_id and l.action = 'reinstate_account'
           and l.ts between p.reinstated_at - interval 1 hour and p.reinstated_at + interval 1 hour)
            as reinstated_by
    from paired as p
),

final as (
    select
        w.seller_id,
        s.seller_name,
        w.reason as suspension_reason,
        w.suspended_at,
        w.reinstated_at,
        round(date_diff('second', w.suspended_at, w.reinstated_at) / 3600, 1) as hours_suspended,
        w.appeal_at is not null as appealed,
        round(date_diff('second', w.appeal_at, w.reinstated_at) / 60, 0) as appeal_minutes_before,
        w.reinstated_by
    from with_appeal as w
    join sellers as s using (seller_id)
    where w.reinstated_at - w.suspended_at < interval 24 hour
)

select *
from final
order by hours_suspended, reinstated_at;
