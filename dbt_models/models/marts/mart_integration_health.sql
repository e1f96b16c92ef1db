-- Health of every integration at one instant, as_of (dbt var `as_of`, ISO 8601 UTC; by default the
-- latest occurred_at among the raw events, so replays are deterministic). Only events with
-- occurred_at <= as_of are used; the as_of column says which instant a row describes.
--
-- Status rules, in order; the first that matches wins (status_reason names it):
--   1. unknown  - no session has ended and no health check has been seen by as_of.
--   2. down     - consecutive_failures >= 3 (the latest ended sessions failed or timed out);
--                 or the latest health check is within the hour before as_of and it and the one
--                 before it were unreachable (a lone failed probe is a blip, not an outage);
--                 or the latest auth_status, reported within the hour before as_of, is expired
--                 or invalid.
--   3. stale    - the usual cadence is known and no session started for more than twice the
--                 cadence before as_of, unless the latest session is still at work
--                 (initializing, running, paused, retrying, completing).
--   4. degraded - consecutive_failures of 1 or 2; or the latest auth_status (within the hour)
--                 is expiring; or the latest health check (within the hour) was unreachable, or
--                 two or more checks in the hour were; or the 24 h success rate is below 90 %
--                 while at least 2 of the 5 latest ended sessions did not succeed (still
--                 unstable: a recovered integration, or one ordinary partial run, is not).
--   5. healthy  - none of the above.

with as_of as (
    select as_of from {{ ref('int_as_of') }}
),

integrations as (
    select * from {{ ref('dim_integrations') }}
),

session_signals as (
    select * from {{ ref('int_integration_sessions_as_of') }}
),

check_signals as (
    select * from {{ ref('int_integration_checks_as_of') }}
),

open_errors as (
    select * from {{ ref('int_integration_open_errors_as_of') }}
),

known_integrations as (
    select integration_id from session_signals
    union
    select integration_id from check_signals
),

signals as (
    select
        known_integrations.integration_id,
        integrations.provider,
        as_of.as_of,
        session_signals.* exclude (integration_id),
        check_signals.* exclude (integration_id),
        open_errors.open_error_categories,
        coalesce(session_signals.terminal_sessions, 0) = 0
            and coalesce(check_signals.health_checks, 0) = 0 as has_no_signal,
        coalesce(check_signals.last_health_check_at > as_of.as_of - interval 1 hour, false) as check_is_recent,
        coalesce(check_signals.last_auth_status_at > as_of.as_of - interval 1 hour, false) as auth_is_recent,
        coalesce(
            date_diff('microsecond', session_signals.last_session_started_at, as_of.as_of) / 1e6
                > 2 * session_signals.usual_cadence_seconds,
            false
        ) as is_overdue,
        coalesce(
            session_signals.latest_session_status in ('initializing', 'running', 'paused', 'retrying', 'completing'),
            false
        ) as latest_session_at_work
    from known_integrations
    cross join as_of
    left join integrations on known_integrations.integration_id = integrations.integration_id
    left join session_signals on known_integrations.integration_id = session_signals.integration_id
    left join check_signals on known_integrations.integration_id = check_signals.integration_id
    left join open_errors on known_integrations.integration_id = open_errors.integration_id
),

rules as (
    select
        *,
        case
            when has_no_signal
                then {'status': 'unknown', 'reason': 'no ended session and no health check yet'}
            when consecutive_failures >= 3
                then {'status': 'down', 'reason': 'the last ' || consecutive_failures || ' sessions failed'}
            when check_is_recent and latest_checks_unreachable >= 2
                then {'status': 'down', 'reason': 'the last ' || latest_checks_unreachable || ' health checks were unreachable'}
            when auth_is_recent and last_auth_status in ('expired', 'invalid')
                then {'status': 'down', 'reason': 'credentials ' || last_auth_status}
            when is_overdue and not latest_session_at_work
                then {'status': 'stale', 'reason': 'no session started for more than twice the usual cadence'}
            when consecutive_failures between 1 and 2
                then {'status': 'degraded', 'reason': 'the latest session failed (' || consecutive_failures || ' in a row)'}
            when auth_is_recent and last_auth_status = 'expiring'
                then {'status': 'degraded', 'reason': 'credentials expiring'}
            when check_is_recent and not last_health_check_reachable
                then {'status': 'degraded', 'reason': 'the latest health check was unreachable'}
            when unreachable_checks_1h >= 2
                then {'status': 'degraded', 'reason': unreachable_checks_1h || ' health checks unreachable in the last hour'}
            when success_rate_24h < 0.9 and unsuccessful_in_last_5 >= 2
                then {'status': 'degraded', 'reason': 'success rate below 90 % over 24 h and not yet recovered'}
            else {'status': 'healthy', 'reason': 'all signals normal'}
        end as verdict
    from signals
),

final as (
    select
        integration_id,
        provider,
        as_of,
        verdict.status as status,
        verdict.reason as status_reason,
        success_rate_24h,
        success_rate_7d,
        success_rate_30d,
        availability_24h,
        availability_7d,
        availability_30d,
        coalesce(consecutive_failures, 0) as consecutive_failures,
        last_successful_sync_at,
        sessions_ended_24h,
        coalesce(sessions_started, 0) as sessions_started,
        last_session_started_at,
        latest_session_status,
        usual_cadence_seconds,
        last_health_check_at,
        last_health_check_reachable,
        coalesce(latest_checks_unreachable, 0) as latest_checks_unreachable,
        coalesce(unreachable_checks_1h, 0) as unreachable_checks_1h,
        last_auth_status,
        last_auth_status_at,
        coalesce(open_error_categories, []::varchar[]) as open_error_categories
    from rules
)

select * from final
