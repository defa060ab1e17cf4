-- One row per staff action known by the end of $as_of that reinstated a seller's account, whatever the
-- log's spelling of the action ('reinstate_account', 'Reinstate Account', 'REINSTATE-ACCOUNT',
-- 'reinstateAccount'): employee_id, seller_id, ts. Which reinstatement each one caused is decided in
-- Python from the lags the log itself shows (signals/reinstatement.py), not by a fixed window.
with actions as (
    select employee_id, seller_id, ts, regexp_replace(lower(action), '[^a-z]', '', 'g') as kind
    from access_log
    where ts < $as_of::date + interval 1 day
      and seller_id is not null
),

final as (
    select employee_id, seller_id, ts
    from actions
    where kind like '%reinstat%' or kind like '%unsuspend%' or kind like '%restore%account%'
)

select * from final
order by seller_id, ts
