{#-
    What an incremental refresh of a time-bucketed mart recomputes: a CTE `scope` with one row per
    integration whose facts changed since the mart's last refresh, and one row '__all__' for the
    fleet when any did, each with `from_bucket`, the first bucket to recompute; every bucket from it
    on is rebuilt whole (delete+insert on the mart's (integration_id, bucket_start)).

    Changed facts: those ingested after the newest ingested_at the mart holds (its column
    last_ingested_at). Strictly after, as for the append-only facts in macro
    ingested_since_last_build: the facts are rebuilt by the ingest run that stamped them, after its
    ingest step, and every later ingest run stamps a later time, so nothing can arrive with the
    watermark's stamp after the mart was refreshed. A changed session counts from its
    first event: a late or out-of-order event can move its end, its final progress report or its
    start to another bucket, and both the old and the new bucket come at or after the session's
    first event. An integration seen again after a quiet spell also recomputes from its last built
    bucket, so the empty buckets in between get their zero rows. The fleet recomputes from the
    earliest of those, as its percentiles come from the underlying facts.

    Expects the CTEs sessions, entity_progress, session_errors, session_conflicts, session_metrics
    and health_checks (the fact models) before it.
-#}
{% macro refresh_scope(grain, mart) -%}
watermark as (
    select coalesce(max(last_ingested_at), timestamp '1970-01-01') as ingested_at from {{ mart }}
),

changes as (
    select integration_id, first_event_at as changed_at from sessions
    where last_ingested_at > (select ingested_at from watermark)
    union all
    select integration_id, reported_at from entity_progress where ingested_at > (select ingested_at from watermark)
    union all
    select integration_id, occurred_at from session_errors where ingested_at > (select ingested_at from watermark)
    union all
    select integration_id, occurred_at from session_conflicts where ingested_at > (select ingested_at from watermark)
    union all
    select integration_id, occurred_at from session_metrics where ingested_at > (select ingested_at from watermark)
    union all
    select integration_id, checked_at from health_checks where ingested_at > (select ingested_at from watermark)
),

changed as (
    select integration_id, date_trunc('{{ grain }}', min(changed_at)) as from_bucket
    from changes
    group by integration_id
),

built as (
    select integration_id, max(bucket_start) as last_bucket
    from {{ mart }}
    group by integration_id
),

integration_scope as (
    select
        changed.integration_id,
        least(changed.from_bucket, coalesce(built.last_bucket, changed.from_bucket)) as from_bucket
    from changed
    left join built on changed.integration_id = built.integration_id
),

scope as (
    select integration_id, from_bucket from integration_scope
    union all
    select '__all__', least(min(from_bucket), (select last_bucket from built where integration_id = '__all__'))
    from integration_scope
    having count(*) > 0
),
{%- endmacro %}
