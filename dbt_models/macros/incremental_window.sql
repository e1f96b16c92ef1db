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
