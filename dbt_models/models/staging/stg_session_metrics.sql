with events as (
    select * from {{ ref('stg_sync_events') }} where event_type = 'session_metrics'
),

renamed as (
    select
        event_id,
        session_id,
        integration_id,
        provider,
        occurred_at,
        ingested_at,
        cast(cast(payload ->> '$.api_calls' as double) as bigint) as api_calls,
        cast(cast(payload ->> '$.api_errors' as double) as bigint) as api_errors,
        cast(payload ->> '$.api_latency_ms_avg' as double) as api_latency_ms_avg,
        cast(payload ->> '$.api_latency_ms_p95' as double) as api_latency_ms_p95,
        cast(payload ->> '$.throughput_rps' as double) as throughput_rps,
        cast(cast(payload ->> '$.cache_hits' as double) as bigint) as cache_hits,
        cast(cast(payload ->> '$.cache_misses' as double) as bigint) as cache_misses,
        cast(payload ->> '$.cpu_pct' as double) as cpu_pct,
        cast(payload ->> '$.memory_mb' as double) as memory_mb,
        cast(cast(payload ->> '$.rate_limit_remaining' as double) as bigint) as rate_limit_remaining
    from events
)

select * from renamed
