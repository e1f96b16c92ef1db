-- Session-based health signals per integration at as_of.
--
-- success rates: among sessions that ended in the window (as_of - 24h / 7d / 30d, as_of],
--   cancelled ones left out, the share that succeeded (completed, completed_with_warnings);
--   partially_completed counts as not successful. Null when no session ended in the window.
-- consecutive_failures: failed or timed_out sessions ended after the latest session that did not
--   fail (succeeded or partial); cancelled sessions neither count nor break the streak.
-- unsuccessful_in_last_5: how many of the 5 latest ended sessions (cancelled left out) did not
--   succeed, to tell ongoing trouble from a recovered one.
-- usual_cadence_seconds: median gap between schedule-triggered starts in the 30 days to as_of.

{{ config(materialized='table') }}

with as_of as (
    select as_of from {{ ref('int_as_of') }}
),

session_states as (
    select * from {{ ref('int_session_state_as_of') }}
),

scheduled_starts as (
    select * from {{ ref('int_scheduled_session_starts') }}
),

ended_sessions as (
    select *
    from session_states
    where is_terminal and outcome <> 'cancelled'
),

outcomes as (
    select
        ended_sessions.integration_id,
        max(ended_at) filter (where outcome = 'succeeded') as last_successful_sync_at,
        max(ended_at) filter (where outcome in ('succeeded', 'partial')) as last_unfailed_sync_at,
        -- the 5 latest by ended_at, then session_id (a top-5 per integration: no sort of every session)
        len(list_filter(max_by(outcome, (ended_at, session_id), 5), lambda o: o <> 'succeeded')) as unsuccessful_in_last_5,
        count(*) filter (where ended_at > as_of.as_of - interval 24 hour) as ended_24h,
        count(*) filter (where ended_at > as_of.as_of - interval 7 day) as ended_7d,
        count(*) filter (where ended_at > as_of.as_of - interval 30 day) as ended_30d,
        count(*) filter (where ended_at > as_of.as_of - interval 24 hour and outcome = 'succeeded') as succeeded_24h,
        count(*) filter (where ended_at > as_of.as_of - interval 7 day and outcome = 'succeeded') as succeeded_7d,
        count(*) filter (where ended_at > as_of.as_of - interval 30 day and outcome = 'succeeded') as succeeded_30d
    from ended_sessions
    cross join as_of
    group by ended_sessions.integration_id
),

failure_streaks as (
    select
        ended_sessions.integration_id,
        count(*) as consecutive_failures
    from ended_sessions
    left join outcomes on ended_sessions.integration_id = outcomes.integration_id
    where ended_sessions.outcome = 'failed'
        and ended_sessions.ended_at > coalesce(outcomes.last_unfailed_sync_at, timestamp '1970-01-01')
    group by ended_sessions.integration_id
),

latest_sessions as (
    select
        integration_id,
        count(*) as sessions_started,
        count(*) filter (where is_terminal) as terminal_sessions,
        max(started_at) as last_session_started_at,
        arg_max(session_id, (started_at, session_id)) as latest_session_id,
        arg_max(status, (started_at, session_id)) as latest_session_status
    from session_states
    group by integration_id
),

cadence as (
    select
        scheduled_starts.integration_id,
        median(scheduled_starts.gap_seconds) as usual_cadence_seconds
    from scheduled_starts
    cross join as_of
    where scheduled_starts.started_at <= as_of.as_of
        and scheduled_starts.started_at > as_of.as_of - interval 30 day
    group by scheduled_starts.integration_id
),

final as (
    select
        latest_sessions.integration_id,
        latest_sessions.sessions_started,
        latest_sessions.last_session_started_at,
        latest_sessions.latest_session_id,
        latest_sessions.latest_session_status,
        latest_sessions.terminal_sessions,
        outcomes.last_successful_sync_at,
        coalesce(failure_streaks.consecutive_failures, 0) as consecutive_failures,
        coalesce(outcomes.unsuccessful_in_last_5, 0) as unsuccessful_in_last_5,
        coalesce(outcomes.ended_24h, 0) as sessions_ended_24h,
        outcomes.succeeded_24h / nullif(outcomes.ended_24h, 0) as success_rate_24h,
        outcomes.succeeded_7d / nullif(outcomes.ended_7d, 0) as success_rate_7d,
        outcomes.succeeded_30d / nullif(outcomes.ended_30d, 0) as success_rate_30d,
        cadence.usual_cadence_seconds
    from latest_sessions
    left join outcomes on latest_sessions.integration_id = outcomes.integration_id
    left join failure_streaks on latest_sessions.integration_id = failure_streaks.integration_id
    left join cadence on latest_sessions.integration_id = cadence.integration_id
)

select * from final
