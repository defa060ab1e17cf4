-- One row per suspension known on $as_of: how it ended (reinstatement, closure, or still open on
-- $as_of), how long it lasted, and the appeal closest before the reinstatement.
-- Events after the end of $as_of are not known yet and are ignored. Reasons are grouped whatever their
-- spelling ('ip_complaint', 'IP Complaint', 'ip-complaint', 'ipComplaint' are one reason, named by
-- its most common spelling).
with known as (
    select seller_id, ts, event, reason,
           regexp_replace(lower(coalesce(reason, 'unspecified')), '[^a-z0-9]', '', 'g') as reason_key
    from account_events
    where ts < ($as_of::date + interval 1 day)
),

reason_names as (
    select reason_key, mode(coalesce(reason, 'unspecified') order by reason) as reason_name
    from known
    where event = 'suspended'
    group by reason_key
),

events as (
    select k.seller_id, k.ts, k.event, n.reason_name as reason
    from known as k
    left join reason_names as n using (reason_key)
),

suspensions as (
    select
        seller_id,
        ts as suspended_at,
        reason,
        lead(ts) over (partition by seller_id order by ts) as next_suspension_at
    from events
    where event = 'suspended'
),

ends as (
    select
        s.seller_id,
        s.suspended_at,
        min(e.ts) filter (where e.event = 'reinstated') as reinstated_at,
        min(e.ts) filter (where e.event = 'closed') as closed_at
    from suspensions as s
    left join events as e
        on e.seller_id = s.seller_id
       and e.ts > s.suspended_at
       and (s.next_suspension_at is null or e.ts <= s.next_suspension_at)
       and e.event in ('reinstated', 'closed')
    group by s.seller_id, s.suspended_at
),

appeals as (
    select
        n.seller_id,
        n.suspended_at,
        max(e.ts) as last_appeal_at,
        count(e.ts) as appeals
    from ends as n
    join events as e
        on e.seller_id = n.seller_id
       and e.event = 'appeal_submitted'
       and e.ts >= n.suspended_at
       and e.ts <= coalesce(n.reinstated_at, n.closed_at, $as_of::date + interval 1 day)
    group by n.seller_id, n.suspended_at
),

final as (
    select
        s.seller_id,
        s.suspended_at,
        s.reason,
        n.reinstated_at,
        n.closed_at,
        a.last_appeal_at,
        coalesce(a.appeals, 0) as appeals,
        -- hours until reinstated; for an open or closed episode, hours observed so far (censored)
        date_diff('second', s.suspended_at,
                  coalesce(n.reinstated_at, n.closed_at, $as_of::date + interval 1 day)) / 3600.0
            as hours,
        n.reinstated_at is not null as reinstated,
        case when n.reinstated_at is not null and a.last_appeal_at is not null
             then date_diff('second', a.last_appeal_at, n.reinstated_at) / 60.0 end
            as minutes_from_appeal_to_reinstatement
    from suspensions as s
    join ends as n using (seller_id, suspended_at)
    left join appeals as a using (seller_id, suspended_at)
)

select * from final
order by seller_id, suspended_at
