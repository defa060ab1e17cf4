-- One row per finding about seller $seller_id in the run of $as_of, the strongest (lowest q) first.
select
    signal,
    changepoint_date,
    "before",
    "after",
    effect,
    p_value,
    q_value,
    significant,
    measure,
    product_id,
    related_seller_id,
    detail
from evidence
where as_of = $as_of
  and seller_id = $seller_id
order by q_value nulls last, p_value nulls last, signal
