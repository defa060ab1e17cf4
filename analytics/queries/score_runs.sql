-- One row per stored scoring run, newest first.
select
    as_of,
    sellers_scored,
    sellers_flagged,
    started_at,
    finished_at,
    date_diff('millisecond', started_at, finished_at) / 1000.0 as seconds,
    engine_version
from score_runs
order by as_of desc
