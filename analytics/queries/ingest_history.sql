-- One row per load of an export folder: when, from where, rows per table, newest first.
select
    ingested_at,
    source,
    sum(rows_in_file) as rows_in_files,
    sum(rows_inserted) as rows_inserted,
    sum(rows_updated) as rows_updated,
    round(sum(seconds), 1) as seconds
from ingest_log
group by ingested_at, source
order by ingested_at desc
