{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['integration_id', 'session_id'],
        on_schema_change='append_new_columns'
    )
}}

-- Schedule-triggered session starts of each integration, with the gap since the previous one.
-- The median gap is the integration's usual cadence (skipped slots and clock jitter barely move
-- a median). Retries, manual and webhook sessions are left out: they do not follow the schedule.
--
-- Incremental: for each integration with scheduled creations ingested since the last build (after
-- the newest ingested_at held here), the starts from the earliest new creation on are recomputed,
-- with the start before them for the first gap; a late creation also re-times the start after it.
-- delete+insert on (integration_id, session_id); `dbt build --full-refresh` gives the same rows.

with session_created as (
    select * from {{ ref('stg_session_created') }}
    where triggered_by = 'schedule'
),

{% if is_incremental() %}
changed as (
    select integration_id, min(created_at) as changed_from
    from session_created
    where ingested_at > (select coalesce(max(ingested_at), timestamp '1970-01-01') from {{ this }})
    group by integration_id
),

scope as (
    -- from the last start built before the change: it gives the first recomputed start its gap
    select
        changed.integration_id,
        changed.changed_from,
        coalesce(max(built.started_at) filter (where built.started_at < changed.changed_from), changed.changed_from)
            as read_from
    from changed
    left join {{ this }} as built on changed.integration_id = built.integration_id
    group by changed.integration_id, changed.changed_from
),
{% endif %}

creations as (
    -- every creation of the sessions to (re)compute: a session's first creation may be older than the change
    select session_created.*
    from session_created
    {% if is_incremental() %}
    where (session_created.integration_id, session_created.session_id) in (
        select session_created.integration_id, session_created.session_id
        from session_created
        inner join scope on session_created.integration_id = scope.integration_id
        where session_created.created_at >= scope.read_from
    )
    {% endif %}
),

first_creation as (
    select
        session_id,
        integration_id,
        created_at,
        ingested_at
    from creations
    qualify row_number() over (partition by integration_id, session_id order by created_at, event_id) = 1
),

gaps as (
    select
        integration_id,
        session_id,
        created_at as started_at,
        ingested_at,
        lag(created_at) over (partition by integration_id order by created_at, session_id) as previous_started_at
    from first_creation
),

final as (
    select
        gaps.integration_id,
        gaps.session_id,
        gaps.started_at,
        gaps.previous_started_at,
        date_diff('microsecond', gaps.previous_started_at, gaps.started_at) / 1e6 as gap_seconds,
        gaps.ingested_at
    from gaps
    {% if is_incremental() %}
    -- the start before the change only lent its time to the lag; it stays as built
    inner join scope on gaps.integration_id = scope.integration_id
    where gaps.started_at >= scope.changed_from
    {% endif %}
)

select * from final
