-- conflict_spike: far more conflicts than usual. Holds when at least `min_sessions` sessions that
-- ended within `window_minutes` met `conflicts_per_session` conflicts or more each (counting such
-- sessions rather than averaging, so quiet runs with nothing to write do not dilute the spike).
-- Conflict-count anomalies of the integration in the window are cited as evidence.
-- A session is (integration_id, session_id): session ids are unique per integration only.
WITH params AS (
    SELECT integration_id, any_value(provider) AS provider,
           max(value) FILTER (WHERE name = 'conflicts_per_session') AS conflicts_per_session,
           max(value) FILTER (WHERE name = 'min_sessions') AS min_sessions,
           max(value) FILTER (WHERE name = 'window_minutes') AS window_minutes,
           to_microseconds(CAST(max(value) FILTER (WHERE name = 'window_minutes') * 60e6 AS BIGINT)) AS win
    FROM _alert_params WHERE rule = 'conflict_spike' GROUP BY integration_id
),
bounds AS (SELECT min(tick) AS first_tick, max(tick) AS last_tick FROM _alert_ticks),
grid AS (SELECT t.tick, p.*, t.tick - p.win AS since FROM _alert_ticks AS t CROSS JOIN params AS p),
ended AS (
    SELECT s.integration_id, s.ended_at AS ts, s.session_id
    FROM marts.fct_sync_sessions AS s
    JOIN params AS p ON p.integration_id = s.integration_id
    CROSS JOIN bounds AS b
    WHERE s.ended_at > b.first_tick - p.win AND s.ended_at <= b.last_tick
),
session_conflicts AS (
    -- conflicts met up to the session's end (nothing recorded after a tick can count at it)
    SELECT c.integration_id, c.session_id, count(*) AS conflicts
    FROM marts.fct_sync_conflicts AS c
    JOIN ended AS s ON s.integration_id = c.integration_id AND s.session_id = c.session_id AND c.occurred_at <= s.ts
    GROUP BY c.integration_id, c.session_id
),
sessions AS (
    SELECT s.*, coalesce(c.conflicts, 0) AS conflict_count, coalesce(c.conflicts, 0) >= p.conflicts_per_session AS spiking
    FROM ended AS s
    JOIN params AS p ON p.integration_id = s.integration_id
    LEFT JOIN session_conflicts AS c ON c.integration_id = s.integration_id AND c.session_id = s.session_id
),
running AS (
    SELECT integration_id, ts, sum(count(*)) OVER w AS sessions, sum(count(*) FILTER (WHERE spiking)) OVER w AS spiking,
           sum(sum(conflict_count)) OVER w AS conflicts
    FROM sessions GROUP BY integration_id, ts
    WINDOW w AS (PARTITION BY integration_id ORDER BY ts ROWS UNBOUNDED PRECEDING)
),
counted AS (
    SELECT g.*,
           coalesce(rn.sessions, 0) - coalesce(ro.sessions, 0) AS sessions,
           coalesce(rn.spiking, 0) - coalesce(ro.spiking, 0) AS spiking,
           coalesce(rn.conflicts, 0) - coalesce(ro.conflicts, 0) AS conflicts
    FROM grid AS g
    ASOF LEFT JOIN running AS rn ON rn.integration_id = g.integration_id AND rn.ts <= g.tick
    ASOF LEFT JOIN running AS ro ON ro.integration_id = g.integration_id AND ro.ts <= g.since
),
hits AS (
    SELECT * FROM counted WHERE spiking > 0 AND spiking >= min_sessions
),
evidence AS (
    SELECT h.integration_id, h.tick, min(s.ts) AS first_at, list(s.session_id ORDER BY s.ts DESC) AS session_ids,
           max(s.conflict_count) AS most_in_one_session
    FROM hits AS h
    JOIN sessions AS s ON s.integration_id = h.integration_id AND s.ts > h.since AND s.ts <= h.tick
        AND s.spiking
    GROUP BY h.integration_id, h.tick
),
anomalies AS (
    SELECT h.integration_id, h.tick,
           list({'metric': a.metric, 'bucket_start': a.bucket_start, 'value': a.value,
                 'expected': round(a.expected, 3), 'score': round(a.score, 3)} ORDER BY a.bucket_start DESC) AS rows
    FROM hits AS h
    JOIN _alert_anomalies AS a ON a.integration_id = h.integration_id AND a.metric = 'conflict_count'
        AND a.direction = 'spike' AND a.bucket_start + INTERVAL 1 HOUR <= h.tick
        AND a.bucket_start + INTERVAL 1 HOUR > h.since
    GROUP BY h.integration_id, h.tick
)
SELECT h.integration_id, h.provider, h.tick, e.first_at AS started_at,
       h.spiking::DOUBLE AS value, h.min_sessions AS threshold,
       printf('%d of %d sessions that ended in the last %d min met %d conflicts or more (%d conflicts in all)',
              h.spiking, h.sessions, h.window_minutes::BIGINT, h.conflicts_per_session::BIGINT, h.conflicts) AS summary,
       to_json({
           'session_ids': e.session_ids,
           'figures': {'sessions_with_many_conflicts': h.spiking, 'sessions': h.sessions, 'conflicts': h.conflicts,
                       'conflicts_per_session': round(h.conflicts / h.sessions, 2),
                       'most_in_one_session': e.most_in_one_session, 'window_minutes': h.window_minutes},
           'anomalies': coalesce(a.rows, [])
       })::VARCHAR AS evidence
FROM hits AS h
JOIN evidence AS e ON e.integration_id = h.integration_id AND e.tick = h.tick
LEFT JOIN anomalies AS a ON a.integration_id = h.integration_id AND a.tick = h.tick
