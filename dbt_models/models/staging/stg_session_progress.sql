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
    where {{ ingested_since_last_build(strict=true) }} and event_type = 'session_progress'
),

renamed as (
    select
        event_id,
        session_id,
        integration_id,
        provider,
        occurred_at,
        ingested_at,
        payload ->> '$.stage' as stage,
        payload ->> '$.entity_type' as entity_type,
        cast(payload ->> '$.progress_pct' as double) as progress_pct,
        cast(cast(coalesce(payload ->> '$.records_processed', '0') as double) as bigint) as records_processed,
        cast(cast(coalesce(payload ->> '$.records_created', '0') as double) as bigint) as records_created,
        cast(cast(coalesce(payload ->> '$.records_updated', '0') as double) as bigint) as records_updated,
        cast(cast(coalesce(payload ->> '$.records_deleted', '0') as double) as bigint) as records_deleted,
        cast(cast(coalesce(payload ->> '$.records_skipped', '0') as double) as bigint) as records_skipped,
        cast(cast(coalesce(payload ->> '$.records_failed', '0') as double) as bigint) as records_failed
    from events
)

select * from renamed
