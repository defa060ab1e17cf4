-- One row per account event of seller $seller_id known by the end of $as_of, oldest first.
select ts, event, reason
from account_events
where seller_id = $seller_id
  and ts < $as_of::date + interval 1 day
order by ts
