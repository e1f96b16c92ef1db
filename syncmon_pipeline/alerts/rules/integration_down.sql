-- integration_down: the external system is unreachable. Holds when the last `consecutive_unreachable`
-- health checks found it unreachable, or the last `consecutive_network_failures` finished sessions
-- failed on a network error; in both cases counting only what happened within `lookback_minutes`.
-- Same technique as sync_failure: runs numbered per integration, two ASOF lookups per tick.
WITH params AS (
    SELECT integration_id, any_value(provider) AS provider,
           max(value) FILTER (WHERE name = 'consecutive_unreachable') AS consecutive_unreachable,
           max(value) FILTER (WHERE name = 'consecutive_network_failures') AS consecutive_network_failures,
           max(value) FILTER (WHERE name = 'lookback_minutes') AS lookback_minutes,
           to_microseconds(CAST(max(value) FILTER (WHERE name = 'lookback_minutes') * 60e6 AS BIGINT)) AS lookback
    FROM _alert_params WHERE rule = 'integration_down' GROUP BY integration_id
),
bounds AS (SELECT min(tick) AS first_tick, max(tick) AS last_tick FROM _alert_ticks),
grid AS (
    SELECT t.tick, p.*, t.tick - p.lookback AS since FROM _alert_ticks AS t CROSS JOIN params AS p
),
checks AS (
    SELECT c.integration_id, c.checked_at AS ts, NOT c.is_reachable AS bad, c.message,
           row_number() OVER (PARTITION BY c.integration_id ORDER BY c.checked_at, c.event_id) AS seq
    FROM marts.fct_health_checks AS c
    JOIN params AS p ON p.integration_id = c.integration_id
    CROSS JOIN bounds AS b
    WHERE c.checked_at > b.first_tick - p.lookback AND c.checked_at <= b.last_tick
),
sessions AS (
    SELECT s.integration_id, s.ended_at AS ts, s.session_id,
           s.status = 'failed' AND s.last_error_category = 'network' AS bad, s.status_reason AS message,
           row_number() OVER (PARTITION BY s.integration_id ORDER BY s.ended_at, s.session_id) AS seq
    FROM marts.fct_sync_sessions AS s
    JOIN params AS p ON p.integration_id = s.integration_id
    CROSS JOIN bounds AS b
    WHERE s.ended_at > b.first_tick - p.lookback AND s.ended_at <= b.last_tick
),
check_runs AS (
    SELECT *, seq - max(CASE WHEN bad THEN 0 ELSE seq END)
                  OVER (PARTITION BY integration_id ORDER BY seq ROWS UNBOUNDED PRECEDING) AS run_length
    FROM checks
),
session_runs AS (
    SELECT *, seq - max(CASE WHEN bad THEN 0 ELSE seq END)
                  OVER (PARTITION BY integration_id ORDER BY seq ROWS UNBOUNDED PRECEDING) AS run_length
    FROM sessions
),
latest AS (
    SELECT g.*,
           cn.seq AS check_seq,
           CASE WHEN cn.bad THEN least(cn.run_length, cn.seq - coalesce(co.seq, 0)) ELSE 0 END AS unreachable,
           sn.seq AS session_seq,
           CASE WHEN sn.bad THEN least(sn.run_length, sn.seq - coalesce(so.seq, 0)) ELSE 0 END AS network_failures
    FROM grid AS g
    ASOF LEFT JOIN check_runs AS cn ON cn.integration_id = g.integration_id AND cn.ts <= g.tick
    ASOF LEFT JOIN check_runs AS co ON co.integration_id = g.integration_id AND co.ts <= g.since
    ASOF LEFT JOIN session_runs AS sn ON sn.integration_id = g.integration_id AND sn.ts <= g.tick
    ASOF LEFT JOIN session_runs AS so ON so.integration_id = g.integration_id AND so.ts <= g.since
),
hits AS (
    SELECT *,
           unreachable >= consecutive_unreachable AS by_checks,
           network_failures >= consecutive_network_failures AS by_sessions
    FROM latest
    WHERE unreachable >= consecutive_unreachable OR network_failures >= consecutive_network_failures
),
check_evidence AS (
    SELECT h.integration_id, h.tick, min(c.ts) AS first_at, max(c.ts) AS last_at,
           arg_max(c.message, c.ts) AS last_message
    FROM hits AS h
    JOIN check_runs AS c ON c.integration_id = h.integration_id
        AND c.seq > h.check_seq - h.unreachable AND c.seq <= h.check_seq
    GROUP BY h.integration_id, h.tick
),
session_evidence AS (
    SELECT h.integration_id, h.tick, min(s.ts) AS first_at,
           list(s.session_id ORDER BY s.ts DESC)[1:20] AS session_ids,
           arg_max(s.message, s.ts) AS last_reason
    FROM hits AS h
    JOIN session_runs AS s ON s.integration_id = h.integration_id
        AND s.seq > h.session_seq - h.network_failures AND s.seq <= h.session_seq
    GROUP BY h.integration_id, h.tick
)
SELECT h.integration_id, h.provider, h.tick,
       least(ce.first_at, se.first_at) AS started_at,
       CASE WHEN h.by_checks THEN h.unreachable ELSE h.network_failures END::DOUBLE AS value,
       CASE WHEN h.by_checks THEN h.consecutive_unreachable ELSE h.consecutive_network_failures END AS threshold,
       CASE
           WHEN h.by_checks AND h.network_failures > 0
               THEN printf('the last %d health checks found it unreachable; the last %d sessions failed on network errors',
                           h.unreachable, h.network_failures)
           WHEN h.by_checks THEN printf('the last %d health checks found it unreachable', h.unreachable)
           ELSE printf('the last %d sessions failed on network errors', h.network_failures)
       END AS summary,
       to_json({
           'session_ids': coalesce(se.session_ids, []::VARCHAR[]),
           'figures': {'unreachable_checks_in_a_row': h.unreachable,
                       'network_failures_in_a_row': h.network_failures,
                       'lookback_minutes': h.lookback_minutes,
                       'first_unreachable_check_at': ce.first_at, 'last_unreachable_check_at': ce.last_at,
                       'last_check_message': ce.last_message, 'latest_failure_reason': se.last_reason}
       })::VARCHAR AS evidence
FROM hits AS h
LEFT JOIN check_evidence AS ce ON ce.integration_id = h.integration_id AND ce.tick = h.tick
LEFT JOIN session_evidence AS se ON se.integration_id = h.integration_id AND se.tick = h.tick
