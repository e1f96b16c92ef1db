{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        unique_key='event_id',
        on_schema_change='fail'
    )
}}

-- One row per session warning (message redacted at ingest), typed.
-- Incremental: only events ingested since the last build are read; the filter reaches the raw scan
-- Append-only: events never change once ingested.

with session_warnings as (
    select * from {{ ref('stg_session_warnings') }}
    where {{ ingested_since_last_build(strict=true) }}
),

final as (
    select
        session_warnings.event_id,
        session_warnings.session_id,
        session_warnings.integration_id,
        session_warnings.provider,
        session_warnings.occurred_at,
        session_warnings.warning_code,
        session_warnings.message,
        session_warnings.entity_type,
        session_warnings.entity_id,
        session_warnings.ingested_at
    from session_warnings
)

select * from final
