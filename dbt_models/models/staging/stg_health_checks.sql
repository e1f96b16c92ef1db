with events as (
    select * from {{ ref('stg_sync_events') }} where event_type = 'health_check'
),

renamed as (
    select
        event_id,
        integration_id,
        provider,
        occurred_at as checked_at,
        ingested_at,
        cast(payload ->> '$.reachable' as boolean) as is_reachable,
        cast(payload ->> '$.latency_ms' as double) as latency_ms,
        payload ->> '$.auth_status' as auth_status,
        cast(cast(payload ->> '$.rate_limit_remaining' as double) as bigint) as rate_limit_remaining,
        payload ->> '$.message' as message
    from events
)

select * from renamed
