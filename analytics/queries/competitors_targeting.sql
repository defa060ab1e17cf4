-- One row per (seller, rival, signal) in the run of $as_of where a finding about the seller names the
-- rival (evidence.related_seller_id) and either of them lists products in category $category: how
-- many such findings, the first change-point date, the strongest q-value, and whether any is
-- significant. The edges of the seller -> rival targeting graph.
with in_category as (
    select distinct seller_id from products where category = $category
),

links as (
    select seller_id, related_seller_id as rival_id, signal, changepoint_date, q_value, significant
    from evidence
    where as_of = $as_of
      and related_seller_id is not null
      and (seller_id in (select seller_id from in_category)
           or related_seller_id in (select seller_id from in_category))
),

final as (
    select
        l.seller_id,
        s.seller_name,
        l.rival_id,
        r.seller_name as rival_name,
        l.signal,
        count(*) as findings,
        min(l.changepoint_date) as first_date,
        min(l.q_value) as q_value,
        bool_or(l.significant) as significant
    from links as l
    left join sellers as s on s.seller_id = l.seller_id
    left join sellers as r on r.seller_id = l.rival_id
    group by all
)

select * from final
order by q_value nulls last, seller_id, rival_id
