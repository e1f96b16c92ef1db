{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        unique_key='event_id',
        on_schema_change='fail'
    )
}}

-- One row per metrics report of a session (API calls, latency, throughput, cache, resources).
-- Incremental: only events ingested since the last build are read; the filter reaches the raw scan
-- Append-only: events never change once ingested.

with session_metrics as (
    select * from {{ ref('stg_session_metrics') }}
    where {{ ingested_since_last_build(strict=true) }}
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
        session_metrics.ingested_at
    from session_metrics
)

select * from final
