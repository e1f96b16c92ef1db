{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='event_id',
        on_schema_change='fail'
    )
}}

-- One row per metrics report of a session (API calls, latency, throughput, cache, resources).
-- Incremental: only events ingested since the last build are read (delete+insert on event_id, so
-- re-reading the last ingest run is harmless).

with sync_events as (
    select * from {{ ref('stg_sync_events') }}
),

session_metrics as (
    select * from {{ ref('stg_session_metrics') }}
),

new_events as (
    select event_id, ingested_at
    from sync_events
    where event_type = 'session_metrics'
        and {{ ingested_since_last_build() }}
),

final as (
    select
        session_metrics.event_id,
        session_metrics.session_id,
        session_metrics.integration_id,
        session_metrics.provider,
        session_metrics.occurred_at,
        session_metrics.api_calls,
        session_metrics.api_errors,
        session_metrics.api_latency_ms_avg,
        session_metrics.api_latency_ms_p95,
        session_metrics.throughput_rps,
        session_metrics.cache_hits,
        session_metrics.cache_misses,
        session_metrics.cpu_pct,
        session_metrics.memory_mb,
        session_metrics.rate_limit_remaining,
        new_events.ingested_at
    from session_metrics
    inner join new_events on session_metrics.event_id = new_events.event_id
)

select * from final
