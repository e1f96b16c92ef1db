with events as (
    select * from {{ ref('stg_sync_events') }} where event_type = 'session_conflict'
),

renamed as (
    select
        event_id,
        session_id,
        integration_id,
        provider,
        occurred_at,
        ingested_at,
        payload ->> '$.entity_type' as entity_type,
        payload ->> '$.entity_id' as entity_id,
        payload ->> '$.field' as field_name,
        payload ->> '$.strategy' as strategy,
        cast(payload ->> '$.resolved' as boolean) as is_resolved
    from events
)

select * from renamed
