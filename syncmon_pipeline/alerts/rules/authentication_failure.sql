-- authentication_failure: credentials are expired or rejected. Holds when, within `window_minutes`,
-- health checks reporting auth_status expired/invalid plus authentication errors number at least
-- `failures`. Window counts are differences of running totals looked up with ASOF joins at the tick
-- and at the window's start: two joins per tick instead of comparing every tick with every event.
WITH params AS (
    SELECT integration_id, any_value(provider) AS provider,
           max(value) FILTER (WHERE name = 'failures') AS failures,
           max(value) FILTER (WHERE name = 'window_minutes') AS window_minutes,
           to_microseconds(CAST(max(value) FILTER (WHERE name = 'window_minutes') * 60e6 AS BIGINT)) AS win
    FROM _alert_params WHERE rule = 'authentication_failure' GROUP BY integration_id
),
bounds AS (SELECT min(tick) AS first_tick, max(tick) AS last_tick FROM _alert_ticks),
grid AS (SELECT t.tick, p.*, t.tick - p.win AS since FROM _alert_ticks AS t CROSS JOIN params AS p),
signals AS (
    SELECT c.integration_id, c.checked_at AS ts, NULL::VARCHAR AS session_id, c.auth_status AS detail
    FROM marts.fct_health_checks AS c
    JOIN params AS p ON p.integration_id = c.integration_id
    CROSS JOIN bounds AS b
    WHERE c.auth_status IN ('expired', 'invalid') AND c.checked_at > b.first_tick - p.win AND c.checked_at <= b.last_tick
    UNION ALL
    SELECT e.integration_id, e.occurred_at, e.session_id, e.error_code
    FROM marts.fct_sync_errors AS e
    JOIN params AS p ON p.integration_id = e.integration_id
    CROSS JOIN bounds AS b
    WHERE e.category = 'authentication' AND e.occurred_at > b.first_tick - p.win AND e.occurred_at <= b.last_tick
),
running AS (
    SELECT integration_id, ts, sum(count(*)) OVER (PARTITION BY integration_id ORDER BY ts ROWS UNBOUNDED PRECEDING) AS n
    FROM signals GROUP BY integration_id, ts
),
counted AS (
    SELECT g.*, coalesce(rn.n, 0) - coalesce(ro.n, 0) AS signals
    FROM grid AS g
    ASOF LEFT JOIN running AS rn ON rn.integration_id = g.integration_id AND rn.ts <= g.tick
    ASOF LEFT JOIN running AS ro ON ro.integration_id = g.integration_id AND ro.ts <= g.since
),
hits AS (SELECT * FROM counted WHERE signals > 0 AND signals >= failures),
evidence AS (
    SELECT h.integration_id, h.tick, min(s.ts) AS first_at,
           list(s.session_id ORDER BY s.ts DESC) FILTER (WHERE s.session_id IS NOT NULL) AS session_ids,
           count(*) FILTER (WHERE s.session_id IS NULL) AS bad_checks,
           count(*) FILTER (WHERE s.session_id IS NOT NULL) AS auth_errors,
           arg_max(s.detail, s.ts) FILTER (WHERE s.session_id IS NULL) AS last_auth_status
    FROM hits AS h
    JOIN signals AS s ON s.integration_id = h.integration_id AND s.ts > h.since AND s.ts <= h.tick
    GROUP BY h.integration_id, h.tick
)
SELECT h.integration_id, h.provider, h.tick, e.first_at AS started_at,
       h.signals::DOUBLE AS value, h.failures AS threshold,
       printf('%d health checks with credentials %s and %d authentication errors in the last %d min',
              e.bad_checks, coalesce(e.last_auth_status, 'rejected'), e.auth_errors, h.window_minutes::BIGINT) AS summary,
       to_json({
           'session_ids': coalesce(e.session_ids, []::VARCHAR[]),
           'figures': {'auth_health_checks': e.bad_checks, 'authentication_errors': e.auth_errors,
                       'last_auth_status': e.last_auth_status, 'window_minutes': h.window_minutes}
       })::VARCHAR AS evidence
FROM hits AS h JOIN evidence AS e ON e.integration_id = h.integration_id AND e.tick = h.tick
