{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        unique_key='event_id',
        on_schema_change='fail',
        tags=['after_ingest']
    )
}}

-- A table, not a view: the session folds re-read every event of a touched session, and reading
-- typed columns is much cheaper than extracting them from the JSON payload again each time.
-- Incremental on ingested_at (the filter reaches the raw scan).
with events as (
    select * from {{ ref('stg_sync_events') }}
    where {{ ingested_since_last_build(strict=true) }} and event_type = 'session_status'
),

renamed as (
    select
        event_id,
        session_id,
        integration_id,
        provider,
        occurred_at,
        ingested_at,
        payload ->> '$.status' as status,
        payload ->> '$.stage' as stage,
        payload ->> '$.reason' as reason
    from events
)

select * from renamed
