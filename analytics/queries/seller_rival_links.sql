-- One row per finding in the run of $as_of that ties seller $seller_id to another seller through
-- evidence.related_seller_id: rivals this seller is suspected of targeting ("targets") and sellers
-- suspected of targeting it ("targeted by"), strongest first.
with links as (
    select 'targets' as direction, related_seller_id as other_seller_id, signal, changepoint_date,
           q_value, significant, detail
    from evidence
    where as_of = $as_of and seller_id = $seller_id and related_seller_id is not null
    union all
    select 'targeted by', seller_id, signal, changepoint_date, q_value, significant, detail
    from evidence
    where as_of = $as_of and related_seller_id = $seller_id
),

final as (
    select l.direction, l.other_seller_id, s.seller_name as other_seller_name, l.signal,
           l.changepoint_date, l.q_value, l.significant, l.detail
    from links as l
    left join sellers as s on s.seller_id = l.other_seller_id
)

select * from final
order by q_value nulls last, changepoint_date
