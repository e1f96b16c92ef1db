-- Schedule-triggered session starts of each integration, with the gap since the previous one.
-- The median gap is the integration's usual cadence (skipped slots and clock jitter barely move
-- a median). Retries, manual and webhook sessions are left out: they do not follow the schedule.

with session_created as (
    select * from {{ ref('stg_session_created') }}
),

first_creation as (
    select
        session_id,
        integration_id,
        created_at
    from session_created
    where triggered_by = 'schedule'
    qualify row_number() over (partition by integration_id, session_id order by created_at, event_id) = 1
),

gaps as (
    select
        integration_id,
        session_id,
        created_at as started_at,
        lag(created_at) over (partition by integration_id order by created_at, session_id) as previous_started_at
    from first_creation
),

final as (
    select
        integration_id,
        session_id,
        started_at,
        previous_started_at,
        date_diff('microsecond', previous_started_at, started_at) / 1e6 as gap_seconds
    from gaps
)

select * from final
