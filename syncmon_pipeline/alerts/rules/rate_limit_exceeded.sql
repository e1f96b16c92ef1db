-- rate_limit_exceeded: the external API throttles the synchronizer. Holds when, within
-- `window_minutes`, sessions reported at least `rate_limit_errors` rate_limit errors, or at least
-- `low_quota_checks` health checks found `low_quota_remaining` API calls or fewer left in the quota
-- (the health checks are what shows throttling on integrations that sync once a day).
-- Window counts: running totals looked up with ASOF joins at the tick and at the window's start.
WITH params AS (
    SELECT integration_id, any_value(provider) AS provider,
           max(value) FILTER (WHERE name = 'rate_limit_errors') AS rate_limit_errors,
           max(value) FILTER (WHERE name = 'low_quota_checks') AS low_quota_checks,
           max(value) FILTER (WHERE name = 'low_quota_remaining') AS low_quota_remaining,
           max(value) FILTER (WHERE name = 'window_minutes') AS window_minutes,
           to_microseconds(CAST(max(value) FILTER (WHERE name = 'window_minutes') * 60e6 AS BIGINT)) AS win
    FROM _alert_params WHERE rule = 'rate_limit_exceeded' GROUP BY integration_id
),
bounds AS (SELECT min(tick) AS first_tick, max(tick) AS last_tick FROM _alert_ticks),
grid AS (SELECT t.tick, p.*, t.tick - p.win AS since FROM _alert_ticks AS t CROSS JOIN params AS p),
signals AS (
    SELECT e.integration_id, e.occurred_at AS ts, e.session_id, 1 AS error, 0 AS low_check, NULL::BIGINT AS remaining
    FROM marts.fct_sync_errors AS e
    JOIN params AS p ON p.integration_id = e.integration_id
    CROSS JOIN bounds AS b
    WHERE e.category = 'rate_limit' AND e.occurred_at > b.first_tick - p.win AND e.occurred_at <= b.last_tick
    UNION ALL
    SELECT c.integration_id, c.checked_at, NULL, 0, 1, c.rate_limit_remaining
    FROM marts.fct_health_checks AS c
    JOIN params AS p ON p.integration_id = c.integration_id
    CROSS JOIN bounds AS b
    WHERE c.rate_limit_remaining <= p.low_quota_remaining
      AND c.checked_at > b.first_tick - p.win AND c.checked_at <= b.last_tick
),
running AS (
    SELECT integration_id, ts,
           sum(sum(error)) OVER w AS errors, sum(sum(low_check)) OVER w AS low_checks
    FROM signals GROUP BY integration_id, ts
    WINDOW w AS (PARTITION BY integration_id ORDER BY ts ROWS UNBOUNDED PRECEDING)
),
counted AS (
    SELECT g.*, coalesce(rn.errors, 0) - coalesce(ro.errors, 0) AS errors,
           coalesce(rn.low_checks, 0) - coalesce(ro.low_checks, 0) AS low_checks
    FROM grid AS g
    ASOF LEFT JOIN running AS rn ON rn.integration_id = g.integration_id AND rn.ts <= g.tick
    ASOF LEFT JOIN running AS ro ON ro.integration_id = g.integration_id AND ro.ts <= g.since
),
hits AS (
    SELECT *, errors > 0 AND errors >= rate_limit_errors AS by_errors
    FROM counted
    WHERE (errors > 0 AND errors >= rate_limit_errors) OR (low_checks > 0 AND low_checks >= low_quota_checks)
),
evidence AS (
    SELECT h.integration_id, h.tick, min(s.ts) AS first_at,
           list(s.session_id ORDER BY s.ts DESC) FILTER (WHERE s.session_id IS NOT NULL) AS session_ids,
           min(s.remaining) AS lowest_remaining
    FROM hits AS h
    JOIN signals AS s ON s.integration_id = h.integration_id AND s.ts > h.since AND s.ts <= h.tick
    GROUP BY h.integration_id, h.tick
)
SELECT h.integration_id, h.provider, h.tick, e.first_at AS started_at,
       CASE WHEN h.by_errors THEN h.errors ELSE h.low_checks END::DOUBLE AS value,
       CASE WHEN h.by_errors THEN h.rate_limit_errors ELSE h.low_quota_checks END AS threshold,
       printf('%d rate_limit errors and %d health checks with at most %d calls left in the last %d min',
              h.errors, h.low_checks, h.low_quota_remaining::BIGINT, h.window_minutes::BIGINT) AS summary,
       to_json({
           'session_ids': coalesce(e.session_ids, []::VARCHAR[]),
           'figures': {'rate_limit_errors': h.errors, 'low_quota_checks': h.low_checks,
                       'lowest_remaining': e.lowest_remaining, 'window_minutes': h.window_minutes}
       })::VARCHAR AS evidence
FROM hits AS h JOIN evidence AS e ON e.integration_id = h.integration_id AND e.tick = h.tick
