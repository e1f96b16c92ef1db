{#-
    Which rows of an incremental model need (re)computing: those whose source events were ingested
    at or after the newest ingested_at the model already holds.

    `>=` rather than `>`: the events of the last ingest run are taken again. Every incremental model
    here is delete+insert on its unique_key and recomputes whole keys, so taking them again is
    harmless, and an ingest run sharing the watermark's timestamp is never skipped. Outside
    incremental runs (first build, --full-refresh) the predicate is simply true.
-#}
{% macro ingested_since_last_build(column='ingested_at', watermark='ingested_at') -%}
    {%- if is_incremental() -%}
        {{ column }} >= (select coalesce(max({{ watermark }}), timestamp '1970-01-01') from {{ this }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
