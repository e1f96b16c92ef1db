with events as (
    select * from {{ ref('stg_sync_events') }} where event_type = 'session_status'
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
