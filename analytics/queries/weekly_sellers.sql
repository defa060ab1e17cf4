-- One row per seller in $seller_ids: who it is and, where the run of $as_of scored it, its score and flag.
with chosen as (
    select seller_id, seller_name, country, city, primary_category as category
    from sellers
    where list_contains($seller_ids, seller_id)
),

scored as (
    select seller_id, score, flagged, reasons, signals, score_rank
    from seller_scores
    where as_of = $as_of
      and list_contains($seller_ids, seller_id)
),

final as (
    select chosen.*, scored.score, scored.flagged, scored.reasons, scored.signals, scored.score_rank
    from chosen
    left join scored using (seller_id)
)

select * from final
order by seller_id
