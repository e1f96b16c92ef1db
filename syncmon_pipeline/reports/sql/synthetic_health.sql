-- Synthetic analyst snapshot, step 6: health checks (one per integration per 15 minutes),
-- dim_integrations and mart_integration_health, computed from the generated facts with the rules of
-- the dbt models (dim_integrations, int_integration_*_as_of, mart_integration_health). Salts 400-449.

INSERT INTO marts.fct_health_checks BY NAME
WITH slots AS (
    SELECT j, unnest(range(($days * 96)::BIGINT)) AS slot FROM syn_integrations
),
drawn AS (
    SELECT
        i.j, i.integration_id, i.provider, i.role, i.host, i.rate_limit, i.base_latency_ms, i.span_s, i.incident_s,
        s.slot,
        i.j * 1000000 + s.slot AS hk,
        least(i.span_s - 1, s.slot * 900.0 + i.check_offset_s
              + (syn_u($seed, i.j * 1000000 + s.slot, 400) - 0.5) * 120) AS checked_s,
        syn_hash($seed, i.j * 1000000 + s.slot, 401) AS h1,
        syn_u($seed, i.j * 1000000 + s.slot, 402) AS u1
    FROM slots AS s
    JOIN syn_integrations AS i ON i.j = s.j
),
states AS (
    SELECT
        *,
        CASE
            WHEN role = 'down_network' AND checked_s > span_s - incident_s THEN false
            WHEN role NOT IN ('down_network', 'down_auth') AND checked_s > span_s - 3600 THEN true
            ELSE h1 % 1000 >= 7
        END AS is_reachable,
        CASE
            WHEN role = 'down_auth' AND checked_s > span_s - incident_s THEN ['invalid', 'expired'][1 + h1 % 2]
            WHEN role = 'degraded_auth' AND checked_s > span_s - 7200 THEN 'expiring'
            WHEN role NOT IN ('down_network', 'down_auth') AND checked_s > span_s - 3600 THEN 'valid'
            WHEN (h1 // 1000) % 1000 < 12 THEN 'expiring'
            WHEN (h1 // 1000) % 1000 < 24 THEN 'expired'
            WHEN (h1 // 1000) % 1000 < 32 THEN 'invalid'
            ELSE 'valid'
        END AS auth_drawn,
        floor(rate_limit * u1)::BIGINT AS remaining
    FROM drawn
)
SELECT
    syn_uuid($seed, 'h', hk) AS event_id,
    integration_id,
    provider,
    $start::TIMESTAMP + syn_secs(greatest(0.0, checked_s)) AS checked_at,
    is_reachable,
    CASE WHEN is_reachable THEN round(base_latency_ms * 0.6 * (0.4 + 1.2 * u1), 1) END AS latency_ms,
    CASE WHEN is_reachable THEN auth_drawn END AS auth_status,
    CASE WHEN is_reachable THEN remaining END AS rate_limit_remaining,
    CASE
        WHEN NOT is_reachable THEN [
            'connect ETIMEDOUT ' || host || ':443',
            'GET https://[REDACTED]@' || host || '/health -> connection refused',
            '503 Service Unavailable from ' || host][1 + (h1 // 1000000) % 3]
        WHEN auth_drawn = 'expired' THEN 'token expired (Authorization: [REDACTED]'
        WHEN auth_drawn = 'invalid' THEN 'credentials for [REDACTED_EMAIL] rejected'
        WHEN auth_drawn = 'expiring' THEN 'OAuth client secret expires in less than 24 hours'
        WHEN remaining < rate_limit * 0.05 THEN 'rate limit nearly exhausted'
    END AS message,
    least($end::TIMESTAMP, $start::TIMESTAMP + syn_secs(greatest(0.0, checked_s) + 2 + 30 * u1)) AS ingested_at
FROM states
ORDER BY checked_at, event_id;

-- Schedule-triggered starts and the gap since the previous one (int_scheduled_session_starts).
CREATE TEMP TABLE syn_scheduled AS
SELECT
    integration_id,
    started_at,
    date_diff('microsecond',
              lag(started_at) OVER (PARTITION BY integration_id ORDER BY started_at, session_id),
              started_at) / 1e6 AS gap_seconds
FROM marts.fct_sync_sessions
WHERE triggered_by = 'schedule';

INSERT INTO marts.dim_integrations BY NAME
WITH session_summary AS (
    SELECT
        integration_id,
        count(*) AS sessions_total,
        min(first_event_at) AS first_event_at,
        max(last_event_at) AS last_event_at,
        min(started_at) AS first_session_started_at,
        max(started_at) AS last_session_started_at
    FROM marts.fct_sync_sessions
    GROUP BY integration_id
),
check_summary AS (
    SELECT integration_id, count(*) AS health_checks_total, min(checked_at) AS first_at, max(checked_at) AS last_at
    FROM marts.fct_health_checks
    GROUP BY integration_id
),
cadence AS (
    SELECT integration_id, count(*) AS scheduled_sessions, median(gap_seconds) AS usual_cadence_seconds
    FROM syn_scheduled
    GROUP BY integration_id
)
SELECT
    i.integration_id,
    i.provider,
    least(ss.first_event_at, cs.first_at) AS first_seen_at,
    greatest(ss.last_event_at, cs.last_at) AS last_seen_at,
    cd.usual_cadence_seconds,
    CASE WHEN ss.sessions_total > 0 THEN list_sort(i.entity_types) ELSE []::VARCHAR[] END AS entity_types,
    coalesce(ss.sessions_total, 0) AS sessions_total,
    coalesce(cd.scheduled_sessions, 0) AS scheduled_sessions,
    ss.first_session_started_at,
    ss.last_session_started_at,
    coalesce(cs.health_checks_total, 0) AS health_checks_total
FROM syn_integrations AS i
LEFT JOIN session_summary AS ss ON ss.integration_id = i.integration_id
LEFT JOIN check_summary AS cs ON cs.integration_id = i.integration_id
LEFT JOIN cadence AS cd ON cd.integration_id = i.integration_id
ORDER BY i.integration_id;

-- The health of every integration at as_of = the latest event time (as the dbt default).
-- The bounds (CTE bounds) repeat the dbt vars health_* of dbt_models/dbt_project.yml; a test
-- (tests/test_health_rules.py) checks that they agree.
INSERT INTO marts.mart_integration_health BY NAME
WITH as_of AS (
    SELECT greatest(
        (SELECT max(last_event_at) FROM marts.fct_sync_sessions),
        (SELECT max(checked_at) FROM marts.fct_health_checks)
    ) AS as_of
),
ended AS (
    SELECT s.integration_id, s.session_id, s.ended_at, s.outcome, a.as_of
    FROM marts.fct_sync_sessions AS s, as_of AS a
    WHERE s.is_terminal AND s.outcome <> 'cancelled'
),
outcomes AS (
    SELECT
        integration_id,
        max(ended_at) FILTER (WHERE outcome = 'succeeded') AS last_successful_sync_at,
        max(ended_at) FILTER (WHERE outcome IN ('succeeded', 'partial')) AS last_unfailed_sync_at,
        count(*) AS sessions_ended,
        list_count(list_filter(max_by(outcome, (ended_at, session_id), 5), lambda o: o <> 'succeeded'))
            AS unsuccessful_in_last_5,
        count(*) FILTER (WHERE ended_at > as_of - INTERVAL 24 HOUR) AS ended_24h,
        count(*) FILTER (WHERE ended_at > as_of - INTERVAL 7 DAY) AS ended_7d,
        count(*) FILTER (WHERE ended_at > as_of - INTERVAL 30 DAY) AS ended_30d,
        count(*) FILTER (WHERE ended_at > as_of - INTERVAL 24 HOUR AND outcome = 'succeeded') AS succeeded_24h,
        count(*) FILTER (WHERE ended_at > as_of - INTERVAL 7 DAY AND outcome = 'succeeded') AS succeeded_7d,
        count(*) FILTER (WHERE ended_at > as_of - INTERVAL 30 DAY AND outcome = 'succeeded') AS succeeded_30d
    FROM ended
    GROUP BY integration_id
),
failure_streaks AS (
    SELECT e.integration_id, count(*) AS consecutive_failures
    FROM ended AS e
    LEFT JOIN outcomes AS o ON o.integration_id = e.integration_id
    WHERE e.outcome = 'failed' AND e.ended_at > coalesce(o.last_unfailed_sync_at, TIMESTAMP '1970-01-01')
    GROUP BY e.integration_id
),
latest_sessions AS (
    SELECT
        integration_id,
        count(*) AS sessions_started,
        count(*) FILTER (WHERE is_terminal) AS terminal_sessions,
        max(started_at) AS last_session_started_at,
        arg_max(status, (started_at, session_id)) AS latest_session_status
    FROM marts.fct_sync_sessions
    GROUP BY integration_id
),
cadence AS (
    SELECT c.integration_id, median(c.gap_seconds) AS usual_cadence_seconds
    FROM syn_scheduled AS c, as_of AS a
    WHERE c.started_at <= a.as_of AND c.started_at > a.as_of - INTERVAL 30 DAY
    GROUP BY c.integration_id
),
checks AS (
    SELECT h.*, a.as_of
    FROM marts.fct_health_checks AS h, as_of AS a
),
latest_reachable AS (
    SELECT integration_id, max((checked_at, event_id)) AS reachable_key
    FROM checks
    WHERE is_reachable
    GROUP BY integration_id
),
check_summary AS (
    SELECT
        c.integration_id,
        count(*) AS health_checks,
        max(c.checked_at) AS last_health_check_at,
        arg_max(c.is_reachable, (c.checked_at, c.event_id)) AS last_health_check_reachable,
        count(*) FILTER (WHERE lr.reachable_key IS NULL OR (c.checked_at, c.event_id) > lr.reachable_key)
            AS latest_checks_unreachable,
        arg_max(c.auth_status, (c.checked_at, c.event_id)) FILTER (WHERE c.auth_status IS NOT NULL) AS last_auth_status,
        max(c.checked_at) FILTER (WHERE c.auth_status IS NOT NULL) AS last_auth_status_at,
        count(*) FILTER (WHERE NOT c.is_reachable AND c.checked_at > c.as_of - INTERVAL 1 HOUR) AS unreachable_checks_1h,
        count(*) FILTER (WHERE c.checked_at > c.as_of - INTERVAL 24 HOUR) AS checks_24h,
        count(*) FILTER (WHERE c.checked_at > c.as_of - INTERVAL 7 DAY) AS checks_7d,
        count(*) FILTER (WHERE c.checked_at > c.as_of - INTERVAL 30 DAY) AS checks_30d,
        count(*) FILTER (WHERE c.is_reachable AND c.checked_at > c.as_of - INTERVAL 24 HOUR) AS reachable_24h,
        count(*) FILTER (WHERE c.is_reachable AND c.checked_at > c.as_of - INTERVAL 7 DAY) AS reachable_7d,
        count(*) FILTER (WHERE c.is_reachable AND c.checked_at > c.as_of - INTERVAL 30 DAY) AS reachable_30d
    FROM checks AS c
    LEFT JOIN latest_reachable AS lr ON lr.integration_id = c.integration_id
    GROUP BY c.integration_id
),
open_errors AS (
    SELECT e.integration_id, list_sort(list_distinct(list(e.category))) AS open_error_categories
    FROM marts.fct_sync_errors AS e
    CROSS JOIN as_of AS a
    LEFT JOIN outcomes AS o ON o.integration_id = e.integration_id
    WHERE e.occurred_at <= a.as_of AND e.occurred_at > a.as_of - INTERVAL 30 DAY
        AND e.occurred_at > coalesce(o.last_successful_sync_at, TIMESTAMP '1970-01-01')
    GROUP BY e.integration_id
),
signals AS (
    SELECT
        i.integration_id,
        i.provider,
        a.as_of,
        ls.sessions_started,
        ls.terminal_sessions,
        ls.last_session_started_at,
        ls.latest_session_status,
        o.last_successful_sync_at,
        coalesce(fs.consecutive_failures, 0) AS consecutive_failures,
        coalesce(o.unsuccessful_in_last_5, 0) AS unsuccessful_in_last_5,
        least(5, coalesce(o.sessions_ended, 0)) AS latest_ended,
        coalesce(o.ended_24h, 0) AS sessions_ended_24h,
        o.succeeded_24h / nullif(o.ended_24h, 0) AS success_rate_24h,
        o.succeeded_7d / nullif(o.ended_7d, 0) AS success_rate_7d,
        o.succeeded_30d / nullif(o.ended_30d, 0) AS success_rate_30d,
        cd.usual_cadence_seconds,
        cs.health_checks,
        cs.last_health_check_at,
        cs.last_health_check_reachable,
        cs.latest_checks_unreachable,
        cs.last_auth_status,
        cs.last_auth_status_at,
        cs.unreachable_checks_1h,
        cs.reachable_24h / nullif(cs.checks_24h, 0) AS availability_24h,
        cs.reachable_7d / nullif(cs.checks_7d, 0) AS availability_7d,
        cs.reachable_30d / nullif(cs.checks_30d, 0) AS availability_30d,
        oe.open_error_categories,
        coalesce(ls.terminal_sessions, 0) = 0 AND coalesce(cs.health_checks, 0) = 0 AS has_no_signal,
        coalesce(cs.last_health_check_at > a.as_of - INTERVAL 1 HOUR, false) AS check_is_recent,
        coalesce(cs.last_auth_status_at > a.as_of - INTERVAL 1 HOUR, false) AS auth_is_recent,
        coalesce(date_diff('microsecond', ls.last_session_started_at, a.as_of) / 1e6 > 2 * cd.usual_cadence_seconds,
                 false) AS is_overdue,
        coalesce(ls.latest_session_status IN ('initializing', 'running', 'paused', 'retrying', 'completing'),
                 false) AS latest_session_at_work
    FROM syn_integrations AS i
    CROSS JOIN as_of AS a
    LEFT JOIN latest_sessions AS ls ON ls.integration_id = i.integration_id
    LEFT JOIN outcomes AS o ON o.integration_id = i.integration_id
    LEFT JOIN failure_streaks AS fs ON fs.integration_id = i.integration_id
    LEFT JOIN cadence AS cd ON cd.integration_id = i.integration_id
    LEFT JOIN check_summary AS cs ON cs.integration_id = i.integration_id
    LEFT JOIN open_errors AS oe ON oe.integration_id = i.integration_id
),
bounds AS (
    SELECT
        0.90::DOUBLE AS success_rate_target,
        0.95::DOUBLE AS availability_target,
        2::BIGINT AS unstable_in_last_5,
        0.50::DOUBLE AS success_rate_floor,
        10::BIGINT AS floor_min_sessions
),
figures AS (
    SELECT
        s.*,
        b.*,
        s.latest_ended - s.unsuccessful_in_last_5 AS latest_succeeded,
        coalesce(s.success_rate_24h < b.success_rate_target, false) AS low_success_24h,
        coalesce(s.success_rate_7d < b.success_rate_target, false) AS low_success_7d,
        coalesce(s.success_rate_30d < b.success_rate_target, false) AS low_success_30d,
        coalesce(s.availability_24h < b.availability_target, false) AS low_availability_24h,
        coalesce(s.availability_7d < b.availability_target, false) AS low_availability_7d,
        coalesce(s.availability_30d < b.availability_target, false) AS low_availability_30d,
        coalesce(floor(100 * s.success_rate_24h + 1e-9)::BIGINT || ' %', 'n/a') AS success_24h_text,
        coalesce(floor(100 * s.success_rate_7d + 1e-9)::BIGINT || ' %', 'n/a') AS success_7d_text,
        coalesce(floor(100 * s.success_rate_30d + 1e-9)::BIGINT || ' %', 'n/a') AS success_30d_text,
        coalesce(floor(100 * s.availability_24h + 1e-9)::BIGINT || ' %', 'n/a') AS availability_24h_text,
        coalesce(floor(100 * s.availability_7d + 1e-9)::BIGINT || ' %', 'n/a') AS availability_7d_text,
        coalesce(floor(100 * s.availability_30d + 1e-9)::BIGINT || ' %', 'n/a') AS availability_30d_text,
        floor(100 * b.success_rate_target + 1e-9)::BIGINT || ' %' AS success_target_text,
        floor(100 * b.availability_target + 1e-9)::BIGINT || ' %' AS availability_target_text,
        floor(100 * b.success_rate_floor + 1e-9)::BIGINT || ' %' AS success_floor_text,
        s.sessions_ended_24h || CASE WHEN s.sessions_ended_24h = 1 THEN ' session' ELSE ' sessions' END
            AS sessions_24h_text,
        CASE WHEN s.latest_ended = 1 THEN 'the latest session' ELSE 'the latest ' || s.latest_ended || ' sessions' END
            AS latest_text
    FROM signals AS s
    CROSS JOIN bounds AS b
),
phrases AS (
    SELECT
        *,
        CASE
            WHEN latest_succeeded = latest_ended THEN latest_text || ' succeeded'
            ELSE latest_succeeded || ' of ' || latest_text || ' succeeded'
        END AS latest_succeeded_text,
        CASE
            WHEN latest_succeeded = 0 AND latest_ended = 1 THEN 'the latest session did not succeed'
            WHEN latest_succeeded = 0 THEN 'none of ' || latest_text || ' succeeded'
            ELSE (latest_ended - latest_succeeded) || ' of ' || latest_text || ' did not succeed'
        END AS latest_unsuccessful_text,
        concat_ws('; ',
            CASE WHEN low_success_24h THEN
                '24 h success rate ' || success_24h_text || ' over ' || sessions_24h_text
                || ' (target ' || success_target_text || ')' END,
            CASE WHEN low_success_7d THEN
                '7 d success rate ' || success_7d_text || ' (target ' || success_target_text || ')' END,
            CASE WHEN low_success_30d THEN
                '30 d success rate ' || success_30d_text || ' (target ' || success_target_text || ')' END,
            CASE WHEN low_availability_24h THEN
                '24 h availability ' || availability_24h_text || ' (target ' || availability_target_text || ')' END,
            CASE WHEN low_availability_7d THEN
                '7 d availability ' || availability_7d_text || ' (target ' || availability_target_text || ')' END,
            CASE WHEN low_availability_30d THEN
                '30 d availability ' || availability_30d_text || ' (target ' || availability_target_text || ')' END,
            CASE WHEN consecutive_failures > 0 THEN
                'the latest session failed (' || consecutive_failures || ' in a row)' END,
            CASE WHEN coalesce(NOT last_health_check_reachable, false) THEN
                'the latest health check was unreachable (' || coalesce(latest_checks_unreachable, 0)
                || ' in a row, none within the hour)' END,
            CASE WHEN coalesce(unreachable_checks_1h, 0) > 0 THEN
                unreachable_checks_1h || CASE WHEN unreachable_checks_1h = 1 THEN ' health check' ELSE ' health checks' END
                || ' unreachable in the last hour' END,
            CASE WHEN coalesce(last_auth_status <> 'valid', false) THEN
                'credentials last reported ' || last_auth_status || ' (no report within the hour)' END,
            CASE WHEN coalesce(len(open_error_categories), 0) > 0 THEN
                'open errors since the last success: ' || array_to_string(open_error_categories, ', ') END
        ) AS out_of_range_text,
        nullif(concat_ws(' and ',
            CASE WHEN (low_success_24h OR low_success_7d OR low_success_30d) AND latest_succeeded > 0
                THEN latest_succeeded_text END,
            CASE WHEN (low_availability_24h OR low_availability_7d OR low_availability_30d
                       OR coalesce(unreachable_checks_1h, 0) > 0)
                      AND coalesce(last_health_check_reachable, false)
                THEN 'the latest health check was reachable' END
        ), '') AS recovered_text
    FROM figures
),
rules AS (
    SELECT
        *,
        CASE
            WHEN has_no_signal
                THEN {'status': 'unknown', 'reason': 'no ended session and no health check yet'}
            WHEN consecutive_failures >= 3
                THEN {'status': 'down', 'reason': 'the last ' || consecutive_failures || ' sessions failed'}
            WHEN check_is_recent AND latest_checks_unreachable >= 2
                THEN {'status': 'down',
                      'reason': 'the last ' || latest_checks_unreachable || ' health checks were unreachable'}
            WHEN auth_is_recent AND last_auth_status IN ('expired', 'invalid')
                THEN {'status': 'down', 'reason': 'credentials ' || last_auth_status}
            WHEN is_overdue AND NOT latest_session_at_work
                THEN {'status': 'stale', 'reason': 'no session started for more than twice the usual cadence'}
            WHEN consecutive_failures BETWEEN 1 AND 2
                THEN {'status': 'degraded', 'reason': 'the latest session failed (' || consecutive_failures || ' in a row)'}
            WHEN auth_is_recent AND last_auth_status = 'expiring'
                THEN {'status': 'degraded', 'reason': 'credentials expiring'}
            WHEN check_is_recent AND NOT last_health_check_reachable
                THEN {'status': 'degraded', 'reason': 'the latest health check was unreachable'}
            WHEN unreachable_checks_1h >= 2
                THEN {'status': 'degraded', 'reason': unreachable_checks_1h || ' health checks unreachable in the last hour'}
            WHEN low_success_24h AND unsuccessful_in_last_5 >= least(unstable_in_last_5, latest_ended)
                THEN {'status': 'degraded', 'reason':
                    'not yet recovered: 24 h success rate ' || success_24h_text || ' over ' || sessions_24h_text
                    || ' (target ' || success_target_text || ') and ' || latest_unsuccessful_text}
            WHEN success_rate_24h < success_rate_floor AND sessions_ended_24h >= floor_min_sessions
                THEN {'status': 'degraded', 'reason':
                    'not yet recovered: 24 h success rate ' || success_24h_text || ' over ' || sessions_24h_text
                    || ', below the ' || success_floor_text || ' floor, although ' || latest_succeeded_text}
            WHEN out_of_range_text = ''
                THEN {'status': 'healthy', 'reason': 'all signals normal'}
            WHEN recovered_text IS NOT NULL
                THEN {'status': 'healthy', 'reason': 'recovered: ' || recovered_text || '; ' || out_of_range_text}
            ELSE {'status': 'healthy', 'reason': 'healthy, but ' || out_of_range_text}
        END AS verdict
    FROM phrases
)
SELECT
    integration_id,
    provider,
    as_of,
    verdict.status AS status,
    verdict.reason AS status_reason,
    success_rate_24h,
    success_rate_7d,
    success_rate_30d,
    availability_24h,
    availability_7d,
    availability_30d,
    consecutive_failures,
    last_successful_sync_at,
    sessions_ended_24h,
    coalesce(sessions_started, 0) AS sessions_started,
    last_session_started_at,
    latest_session_status,
    usual_cadence_seconds,
    last_health_check_at,
    last_health_check_reachable,
    coalesce(latest_checks_unreachable, 0) AS latest_checks_unreachable,
    coalesce(unreachable_checks_1h, 0) AS unreachable_checks_1h,
    last_auth_status,
    last_auth_status_at,
    coalesce(open_error_categories, []::VARCHAR[]) AS open_error_categories
FROM rules
ORDER BY integration_id;

-- Hostile text: a spreadsheet formula as one integration's status reason (the first one in trouble).
UPDATE marts.mart_integration_health SET status_reason = '=HYPERLINK("http://evil","details")'
WHERE $hostile AND integration_id = (
    SELECT integration_id FROM marts.mart_integration_health
    ORDER BY status = 'healthy', integration_id LIMIT 1
);
