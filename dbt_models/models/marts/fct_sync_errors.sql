{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        unique_key='event_id',
        on_schema_change='fail'
    )
}}

-- One row per session error (message redacted at ingest), typed.
-- Incremental: only events ingested since the last build are read; the filter reaches the raw scan
-- Append-only: events never change once ingested.

with session_errors as (
    select * from {{ ref('stg_session_errors') }}
    where {{ ingested_since_last_build(strict=true) }}
),

final as (
    select
        session_errors.event_id,
        session_errors.session_id,
        session_errors.integration_id,
        session_errors.provider,
        session_errors.occurred_at,
        session_errors.category,
        session_errors.severity,
        session_errors.error_code,
        session_errors.message,
        session_errors.entity_type,
        session_errors.entity_id,
        session_errors.is_retryable,
        session_errors.retry_count,
        session_errors.ingested_at
    from session_errors
)

select * from final
