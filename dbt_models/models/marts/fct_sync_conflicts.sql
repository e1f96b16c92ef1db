{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        unique_key='event_id',
        on_schema_change='fail'
    )
}}

-- One row per data conflict met by a session and how it was resolved.
-- Incremental: only events ingested since the last build are read; the filter reaches the raw scan
-- Append-only: events never change once ingested.

with session_conflicts as (
    select * from {{ ref('stg_session_conflicts') }}
    where {{ ingested_since_last_build(strict=true) }}
),

final as (
    select
        session_conflicts.event_id,
        session_conflicts.session_id,
        session_conflicts.integration_id,
        session_conflicts.provider,
        session_conflicts.occurred_at,
        session_conflicts.entity_type,
        session_conflicts.entity_id,
        session_conflicts.field_name,
        session_conflicts.strategy,
        session_conflicts.is_resolved,
        session_conflicts.ingested_at
    from session_conflicts
)

select * from final
