-- One row per seller scored in the run of $as_of that passes the watchlist's filters, most suspicious
-- first, one page of them ($limit rows from $offset), each carrying how many sellers pass in all.
-- A null filter parameter means "any". first_flagged_on is the earliest run up to $as_of that
-- flagged the seller. Flagged sellers in $hidden_sellers (cleared by the analysts on evidence that has
-- not grown since: analytics.feedback) are left out.
with run_scores as (
    select seller_id, score, flagged, reasons, signals, score_rank
    from seller_scores
    where as_of = $as_of
),

first_flagged as (
    select seller_id, min(as_of) as first_flagged_on
    from seller_scores
    where flagged and as_of <= $as_of
    group by seller_id
),

described as (
    select
        r.score_rank,
        r.seller_id,
        s.seller_name,
        s.primary_category as category,
        s.country,
        s.city,
        r.score,
        r.flagged,
        f.first_flagged_on,
        r.signals,
        r.reasons
    from run_scores as r
    join sellers as s using (seller_id)
    left join first_flagged as f using (seller_id)
),

filtered as (
    select *
    from described
    where ($category is null or category = $category)
      and ($country is null or country = $country)
      and ($city is null or city = $city)
      and ($signal is null or list_contains(signals, $signal))
      and ($score_min is null or score >= $score_min)
      and ($score_max is null or score <= $score_max)
      and (not $flagged_only or flagged)
      and ($flagged_since is null or first_flagged_on >= $flagged_since)
      and not (flagged and list_contains($hidden_sellers::varchar[], seller_id))
),

final as (
    select *, count(*) over () as total_matching
    from filtered
)

select * from final
order by score_rank
limit $limit offset $offset
