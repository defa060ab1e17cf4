-- Which sellers did the latest scoring run flag, and why?
-- One row per flagged seller in the newest run (table seller_scores), most suspicious first, with
-- the reasons in words and how many significant findings back them (table evidence). Both tables
-- are empty until `python -m analytics score` has run.
with latest as (
    select max(as_of) as as_of from seller_scores
),

findings as (
    select e.seller_id, count(*) filter (where e.significant) as significant_findings,
           string_agg(distinct e.signal, ', ') as signals
    from evidence as e
    join latest as l using (as_of)
    group by e.seller_id
),

final as (
    select sc.as_of, sc.score_rank, sc.seller_id, s.seller_name, s.primary_category,
           round(sc.score, 3) as score, sc.reasons, f.significant_findings, f.signals
    from seller_scores as sc
    join latest as l using (as_of)
    join sellers as s using (seller_id)
    left join findings as f using (seller_id)
    where sc.flagged
)

select *
from final
order by score desc;
