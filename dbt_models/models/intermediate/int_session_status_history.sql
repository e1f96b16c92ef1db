{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['integration_id', 'session_id'],
        on_schema_change='fail'
    )
}}

-- Every status event of every session in event-time order, with how long the session stayed in
-- that status: until the session's next status event, or null for the last one.
-- A session is (integration_id, session_id): session ids are unique per integration only.
-- Order within a session: occurred_at, then lifecycle rank, then event_id (deterministic).
--
-- Incremental: the sessions that received status events since the last build are recomputed
-- whole (delete+insert on (integration_id, session_id) replaces all their rows), so a late or
-- out-of-order event also re-times its neighbours.

with session_status as not materialized (  -- read twice; materialized, it would copy every event first
    select * from {{ ref('stg_session_status') }}
),

touched_sessions as (
    select distinct integration_id, session_id
    from session_status
    where {{ ingested_since_last_build() }}
),

status_events as (
    select
        session_status.event_id,
        session_status.session_id,
        session_status.integration_id,
        session_status.provider,
        session_status.occurred_at,
        session_status.status,
        session_status.stage,
        session_status.reason,
        session_status.ingested_at
    from session_status
    {% if is_incremental() %}
    where (session_status.integration_id, session_status.session_id) in (
        select integration_id, session_id from touched_sessions
    )
    {% endif %}
),

ranked as (
    select
        *,
        {{ is_terminal_status('status') }} as is_terminal,
        {{ status_rank('status') }} as status_rank
    from status_events
),

timeline as (
    select
        event_id,
        session_id,
        integration_id,
        provider,
        row_number() over session_timeline as status_seq,
        lag(status) over session_timeline as previous_status,
        status,
        stage,
        reason,
        is_terminal,
        status_rank,
        occurred_at,
        lead(occurred_at) over session_timeline as next_status_at,
        ingested_at
    from ranked
    window session_timeline as (partition by integration_id, session_id order by occurred_at, status_rank, event_id)
),

final as (
    select
        event_id,
        session_id,
        integration_id,
        provider,
        status_seq,
        previous_status,
        status,
        stage,
        reason,
        is_terminal,
        status_rank,
        occurred_at,
        next_status_at,
        date_diff('microsecond', occurred_at, next_status_at) / 1e6 as duration_seconds,
        ingested_at
    from timeline
)

select * from final
