-- Health of every integration at one instant, as_of (dbt var `as_of`, ISO 8601 UTC; by default the
-- latest occurred_at among the raw events, so replays are deterministic). Only events with
-- occurred_at <= as_of are used; the as_of column says which instant a row describes.
--
-- Status rules, in order; the first that matches wins (status_reason names it). The bounds are dbt
-- vars (dbt_project.yml, health_*): success target 90 %, availability target 95 %, unstable 2 of
-- the latest 5, floor 50 % over at least 10 sessions.
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
--                 two or more checks in the hour were;
--                 or (not yet recovered) the 24 h success rate is below the target while at least
--                 2 of the 5 latest ended sessions did not succeed (all of them when fewer ended);
--                 or (the floor) the 24 h success rate is below 50 % over at least 10 sessions
--                 ended in the 24 h, even when the latest sessions succeeded: a few good runs after
--                 a day of mostly failures do not make it healthy yet.
--   5. healthy  - none of the above. The reason is 'all signals normal' only when every figure
--                 of the row is in its normal range: success_rate_24h / 7d / 30d null or >= the
--                 success target, availability_24h / 7d / 30d null or >= the availability target,
--                 consecutive_failures 0, no unreachable health check in the last hour, the latest
--                 health check (if any) reachable, last_auth_status null or valid, and no open
--                 error. Otherwise the reason lists every figure out of range, with its value
--                 and target, after what recovered ('recovered: the latest 5 sessions succeeded;
--                 24 h success rate 61 % over 46 sessions (target 90 %)'), or after 'healthy,
--                 but' when nothing recent makes up for it (open errors, old credentials report).
--
-- Rates in reasons are whole percents rounded down (a rate below a bound never reads as the bound);
-- a null figure is never quoted (its clause is left out), so status_reason is never null.

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

ended_sessions as (
    -- how many sessions ended (cancelled left out): the size of the "5 latest" sample
    select integration_id, count(*) as sessions_ended
    from {{ ref('int_session_state_as_of') }}
    where is_terminal and outcome <> 'cancelled'
    group by integration_id
),

bounds as (
    -- the bounds of the rules, from dbt_project.yml (vars health_*)
    select
        {{ var('health_success_rate_target') }}::double as success_rate_target,
        {{ var('health_availability_target') }}::double as availability_target,
        {{ var('health_unstable_in_last_5') }}::bigint as unstable_in_last_5,
        {{ var('health_success_rate_floor') }}::double as success_rate_floor,
        {{ var('health_floor_min_sessions') }}::bigint as floor_min_sessions
),

-- Every integration seen by as_of gets a row, also one known only from events that do not make a
-- session yet (progress or metrics without a status): it is "unknown", never missing.
known_integrations as (
    select integration_id from session_signals
    union
    select integration_id from check_signals
    union
    select integrations.integration_id from integrations cross join as_of
    where integrations.first_seen_at <= as_of.as_of
),

signals as (
    select
        known_integrations.integration_id,
        integrations.provider,
        as_of.as_of,
        session_signals.* exclude (integration_id),
        check_signals.* exclude (integration_id),
        open_errors.open_error_categories,
        least(5, coalesce(ended_sessions.sessions_ended, 0)) as latest_ended,
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
    left join ended_sessions on known_integrations.integration_id = ended_sessions.integration_id
),

figures as (
    -- which figures are out of their normal range (a null figure never is), and the figures as text
    select
        signals.*,
        bounds.*,
        latest_ended - coalesce(unsuccessful_in_last_5, 0) as latest_succeeded,
        coalesce(success_rate_24h < success_rate_target, false) as low_success_24h,
        coalesce(success_rate_7d < success_rate_target, false) as low_success_7d,
        coalesce(success_rate_30d < success_rate_target, false) as low_success_30d,
        coalesce(availability_24h < availability_target, false) as low_availability_24h,
        coalesce(availability_7d < availability_target, false) as low_availability_7d,
        coalesce(availability_30d < availability_target, false) as low_availability_30d,
        -- whole percents rounded down (the epsilon absorbs binary noise: 0.29 * 100 = 28.999...)
        coalesce(floor(100 * success_rate_24h + 1e-9)::bigint || ' %', 'n/a') as success_24h_text,
        coalesce(floor(100 * success_rate_7d + 1e-9)::bigint || ' %', 'n/a') as success_7d_text,
        coalesce(floor(100 * success_rate_30d + 1e-9)::bigint || ' %', 'n/a') as success_30d_text,
        coalesce(floor(100 * availability_24h + 1e-9)::bigint || ' %', 'n/a') as availability_24h_text,
        coalesce(floor(100 * availability_7d + 1e-9)::bigint || ' %', 'n/a') as availability_7d_text,
        coalesce(floor(100 * availability_30d + 1e-9)::bigint || ' %', 'n/a') as availability_30d_text,
        floor(100 * success_rate_target + 1e-9)::bigint || ' %' as success_target_text,
        floor(100 * availability_target + 1e-9)::bigint || ' %' as availability_target_text,
        floor(100 * success_rate_floor + 1e-9)::bigint || ' %' as success_floor_text,
        coalesce(sessions_ended_24h, 0)
            || case when coalesce(sessions_ended_24h, 0) = 1 then ' session' else ' sessions' end as sessions_24h_text,
        case when latest_ended = 1 then 'the latest session' else 'the latest ' || latest_ended || ' sessions' end
            as latest_text
    from signals
    cross join bounds
),

phrases as (
    select
        *,
        -- the 5 latest ended sessions, in words
        case
            when latest_succeeded = latest_ended then latest_text || ' succeeded'
            else latest_succeeded || ' of ' || latest_text || ' succeeded'
        end as latest_succeeded_text,
        case
            when latest_succeeded = 0 and latest_ended = 1 then 'the latest session did not succeed'
            when latest_succeeded = 0 then 'none of ' || latest_text || ' succeeded'
            else (latest_ended - latest_succeeded) || ' of ' || latest_text || ' did not succeed'
        end as latest_unsuccessful_text,
        -- every figure out of its normal range, quoted (null when in range; concat_ws skips nulls)
        concat_ws('; ',
            case when low_success_24h then
                '24 h success rate ' || success_24h_text || ' over ' || sessions_24h_text
                || ' (target ' || success_target_text || ')' end,
            case when low_success_7d then
                '7 d success rate ' || success_7d_text || ' (target ' || success_target_text || ')' end,
            case when low_success_30d then
                '30 d success rate ' || success_30d_text || ' (target ' || success_target_text || ')' end,
            case when low_availability_24h then
                '24 h availability ' || availability_24h_text || ' (target ' || availability_target_text || ')' end,
            case when low_availability_7d then
                '7 d availability ' || availability_7d_text || ' (target ' || availability_target_text || ')' end,
            case when low_availability_30d then
                '30 d availability ' || availability_30d_text || ' (target ' || availability_target_text || ')' end,
            case when coalesce(consecutive_failures, 0) > 0 then
                'the latest session failed (' || consecutive_failures || ' in a row)' end,
            case when coalesce(not last_health_check_reachable, false) then
                'the latest health check was unreachable (' || coalesce(latest_checks_unreachable, 0)
                || ' in a row, none within the hour)' end,
            case when coalesce(unreachable_checks_1h, 0) > 0 then
                unreachable_checks_1h || case when unreachable_checks_1h = 1 then ' health check' else ' health checks' end
                || ' unreachable in the last hour' end,
            case when coalesce(last_auth_status <> 'valid', false) then
                'credentials last reported ' || last_auth_status || ' (no report within the hour)' end,
            case when coalesce(len(open_error_categories), 0) > 0 then
                'open errors since the last success: ' || array_to_string(open_error_categories, ', ') end
        ) as out_of_range_text,
        -- what recovered, when a figure shows past trouble
        nullif(concat_ws(' and ',
            case when (low_success_24h or low_success_7d or low_success_30d) and latest_succeeded > 0
                then latest_succeeded_text end,
            case when (low_availability_24h or low_availability_7d or low_availability_30d
                       or coalesce(unreachable_checks_1h, 0) > 0)
                      and coalesce(last_health_check_reachable, false)
                then 'the latest health check was reachable' end
        ), '') as recovered_text
    from figures
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
            when low_success_24h and unsuccessful_in_last_5 >= least(unstable_in_last_5, latest_ended)
                then {'status': 'degraded', 'reason':
                    'not yet recovered: 24 h success rate ' || success_24h_text || ' over ' || sessions_24h_text
                    || ' (target ' || success_target_text || ') and ' || latest_unsuccessful_text}
            when success_rate_24h < success_rate_floor and sessions_ended_24h >= floor_min_sessions
                then {'status': 'degraded', 'reason':
                    'not yet recovered: 24 h success rate ' || success_24h_text || ' over ' || sessions_24h_text
                    || ', below the ' || success_floor_text || ' floor, although ' || latest_succeeded_text}
            when out_of_range_text = ''
                then {'status': 'healthy', 'reason': 'all signals normal'}
            when recovered_text is not null
                then {'status': 'healthy', 'reason': 'recovered: ' || recovered_text || '; ' || out_of_range_text}
            else {'status': 'healthy', 'reason': 'healthy, but ' || out_of_range_text}
        end as verdict
    from phrases
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
