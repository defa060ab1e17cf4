-- One row per seller and signal (marketplace database): the strongest significant finding about each
-- seller in $seller_ids in the run of $as_of. What a case keeps when it closes, and what a cleared
-- seller's evidence is compared with later.
with findings as (
    select
        as_of,
        seller_id,
        signal,
        changepoint_date,
        "before",
        "after",
        effect,
        q_value,
        row_number() over (partition by seller_id, signal order by q_value nulls last, p_value nulls last,
                                                                   changepoint_date) as strength_order
    from evidence
    where as_of = $as_of
      and significant
      and list_contains($seller_ids, seller_id)
),

final as (
    select as_of, seller_id, signal, changepoint_date, "before", "after", effect, q_value
    from findings
    where strength_order = 1
)

select * from final
order by seller_id, signal
