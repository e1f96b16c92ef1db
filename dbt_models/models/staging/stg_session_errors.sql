with events as (
    select * from {{ ref('stg_sync_events') }} where event_type = 'session_error'
),

renamed as (
    select
        event_id,
        session_id,
        integration_id,
        provider,
        occurred_at,
        ingested_at,
        payload ->> '$.category' as category,
        payload ->> '$.severity' as severity,
        payload ->> '$.code' as error_code,
        payload ->> '$.message' as message,
        payload ->> '$.entity_type' as entity_type,
        payload ->> '$.entity_id' as entity_id,
        cast(payload ->> '$.retryable' as boolean) as is_retryable,
        cast(cast(coalesce(payload ->> '$.retry_count', '0') as double) as bigint) as retry_count
    from events
)

select * from renamed
