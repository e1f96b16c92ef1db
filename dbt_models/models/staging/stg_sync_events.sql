-- Every accepted event with the columns all event types share.
with source as (
    select * from {{ source('raw', 'sync_events') }}
),

renamed as (
    select
        event_id,
        event_type,
        occurred_at,
        integration_id,
        provider,
        session_id,
        payload,
        source_file,
        line_no,
        ingest_run_id,
        ingested_at
    from source
)

select * from renamed
