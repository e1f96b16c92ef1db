-- One row per integration: provider, when it was first and last seen, its usual cadence and the
-- entity types it syncs. Built from the facts, so it is as fresh as they are.
-- usual_cadence_seconds: median gap between consecutive schedule-triggered session starts over
-- the whole history (null with fewer than two scheduled starts).

with sessions as (
    select * from {{ ref('fct_sync_sessions') }}
),

health_checks as (
    select * from {{ ref('fct_health_checks') }}
),

scheduled_starts as (
    select * from {{ ref('int_scheduled_session_starts') }}
),

sightings as (
    select integration_id, provider, first_event_at as first_at, last_event_at as last_at from sessions
    union all
    select integration_id, provider, checked_at, checked_at from health_checks
),

seen as (
    select
        integration_id,
        arg_max(provider, last_at) as provider,
        min(first_at) as first_seen_at,
        max(last_at) as last_seen_at
    from sightings
    group by integration_id
),

session_summary as (
    select
        integration_id,
        count(*) as sessions_total,
        min(started_at) as first_session_started_at,
        max(started_at) as last_session_started_at,
        list_sort(list_distinct(flatten(list(entity_types) filter (where entity_types is not null))))
            as entity_types
    from sessions
    group by integration_id
),

check_summary as (
    select integration_id, count(*) as health_checks_total
    from health_checks
    group by integration_id
),

cadence as (
    select
        integration_id,
        count(*) as scheduled_sessions,
        median(gap_seconds) as usual_cadence_seconds
    from scheduled_starts
    group by integration_id
),

final as (
    select
        seen.integration_id,
        seen.provider,
        seen.first_seen_at,
        seen.last_seen_at,
        cadence.usual_cadence_seconds,
        coalesce(session_summary.entity_types, []::varchar[]) as entity_types,
        coalesce(session_summary.sessions_total, 0) as sessions_total,
        coalesce(cadence.scheduled_sessions, 0) as scheduled_sessions,
        session_summary.first_session_started_at,
        session_summary.last_session_started_at,
        coalesce(check_summary.health_checks_total, 0) as health_checks_total
    from seen
    left join session_summary on seen.integration_id = session_summary.integration_id
    left join check_summary on seen.integration_id = check_summary.integration_id
    left join cadence on seen.integration_id = cadence.integration_id
)

select * from final
