with events as (
    select * from {{ ref('stg_sync_events') }} where event_type = 'session_warning'
),

renamed as (
    select
        event_id,
        session_id,
        integration_id,
        provider,
        occurred_at,
        ingested_at,
        payload ->> '$.code' as warning_code,
        payload ->> '$.message' as message,
        payload ->> '$.entity_type' as entity_type,
        payload ->> '$.entity_id' as entity_id
    from events
)

select * from renamed
