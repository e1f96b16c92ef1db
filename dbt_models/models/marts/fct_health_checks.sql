{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        unique_key='event_id',
        on_schema_change='fail'
    )
}}

-- One row per health check of an integration (reachability, latency, auth status, rate limit).
-- Incremental: only events ingested since the last build are read; the filter reaches the raw scan
-- Append-only: events never change once ingested.

with health_checks as (
    select * from {{ ref('stg_health_checks') }}
    where {{ ingested_since_last_build(strict=true) }}
),

final as (
    select
        health_checks.event_id,
        health_checks.integration_id,
        health_checks.provider,
        health_checks.checked_at,
        health_checks.is_reachable,
        health_checks.latency_ms,
        health_checks.auth_status,
        health_checks.rate_limit_remaining,
        health_checks.message,
        health_checks.ingested_at
    from health_checks
)

select * from final
