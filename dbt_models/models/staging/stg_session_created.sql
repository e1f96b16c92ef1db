with events as (
    select * from {{ ref('stg_sync_events') }} where event_type = 'session_created'
),

renamed as (
    select
        event_id,
        session_id,
        integration_id,
        provider,
        occurred_at as created_at,
        ingested_at,
        payload ->> '$.sync_type' as sync_type,
        payload ->> '$.direction' as direction,
        payload ->> '$.triggered_by' as triggered_by,
        payload ->> '$.retry_of' as retry_of,
        cast(coalesce(payload -> '$.entity_types', '[]') as varchar[]) as entity_types
    from events
)

select * from renamed
