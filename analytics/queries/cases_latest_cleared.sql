-- One row per evidence item kept when a seller's most recent case was cleared (analysts' store), for
-- sellers with no open case; a cleared case with no evidence kept gives one row with a null signal.
with ranked as (
    select
        *,
        row_number() over (partition by seller_id order by coalesce(closed_at, updated_at) desc, case_id desc)
            as recency
    from cases
),

latest as (
    select case_id, seller_id, status, version, closed_at, closed_by, clear_reason
    from ranked
    where recency = 1
),

open_sellers as (
    select distinct seller_id
    from cases
    where status in ('new', 'investigating', 'escalated')
),

cleared as (
    select latest.*
    from latest
    anti join open_sellers using (seller_id)
    where latest.status = 'cleared'
),

final as (
    select
        cleared.seller_id,
        cleared.case_id,
        cleared.closed_at as cleared_at,
        cleared.closed_by as cleared_by,
        cleared.clear_reason,
        kept.as_of as cleared_as_of,
        kept.signal,
        kept.changepoint_date,
        kept."before",
        kept."after",
        kept.effect
    from cleared
    left join case_evidence as kept
        on kept.case_id = cleared.case_id
       and kept.version = cleared.version
)

select * from final
order by seller_id, signal
