{#-
    Which rows of an incremental model need (re)computing: those whose source events were ingested
    at or after the newest ingested_at the model already holds.

    `>=` rather than `>`: the events of the last ingest run are taken again. Every incremental model
    here is delete+insert on its unique_key and recomputes whole keys, so taking them again is
    harmless, and an ingest run sharing the watermark's timestamp is never skipped. Outside
    incremental runs (first build, --full-refresh) the predicate is simply true.

    `strict=true` (`>`) is for append-only models keyed by event: ingest runs hold the one-writer
    pool in turn and stamp ingested_at when they start, so a later run's events are always newer,
    and appending avoids a delete that would scan the whole table on every refresh.
-#}
{% macro ingested_since_last_build(column='ingested_at', watermark='ingested_at', strict=false) -%}
    {%- if is_incremental() -%}
        {{ column }} {{ '>' if strict else '>=' }} (select coalesce(max({{ watermark }}), timestamp '1970-01-01') from {{ this }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#-
    The oldest event an incremental refresh of a per-session model can need, as a SQL timestamp
    literal: no event of a touched session is older than its first event as the model built it
    before (`first_column` of {{ this }}), nor than the oldest of the new events. `new_events` is a
    select of (integration_id, session_id, occurred_at) of the events ingested since the last build.
    A literal rather than a subquery, so DuckDB skips the older row groups of the history instead
    of matching every event against the touched sessions. With no new events: a far-future
    instant (nothing to read). Only meaningful in incremental runs (run_query needs `execute`).
-#}
{% macro earliest_touched_event(new_events, first_column) -%}
    {%- set query %}
        with new_events as ({{ new_events }})
        select strftime(least(
            (select min({{ first_column }}) from {{ this }}
             where (integration_id, session_id) in (select integration_id, session_id from new_events)),
            (select min(occurred_at) from new_events)
        ), '%Y-%m-%d %H:%M:%S.%f')
    {%- endset %}
    {%- set found = run_query(query).columns[0].values()[0] if execute else none %}
    {{- "timestamp '" ~ (found or '9999-12-31 00:00:00') ~ "'" -}}
{%- endmacro %}
