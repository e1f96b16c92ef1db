-- performance_degradation: sessions or API calls are much slower than usual. Holds when, within
-- `window_minutes`, the mean API latency of sessions or the mean health-check latency (at least
-- `min_samples` of either) is `latency_ratio` times its baseline: the median of the integration's
-- daily medians over the 7 days before the tick's day, so it uses only the past and is not moved by
-- the degradation itself. Latency facts land with every ingest, so this fires within minutes.
-- Anomaly rows (latency and duration spikes, throughput drops scoring `anomaly_score` or more, of
-- hours that were over by the tick) are cited as evidence, not used as a trigger: the detector
-- scores hours late, and after an outage's 30 s timeouts its expectation needs hours to settle.
WITH params AS (
    SELECT integration_id, any_value(provider) AS provider,
           max(value) FILTER (WHERE name = 'latency_ratio') AS latency_ratio,
           max(value) FILTER (WHERE name = 'min_samples') AS min_samples,
           max(value) FILTER (WHERE name = 'anomaly_score') AS anomaly_score,
           max(value) FILTER (WHERE name = 'window_minutes') AS window_minutes,
           to_microseconds(CAST(max(value) FILTER (WHERE name = 'window_minutes') * 60e6 AS BIGINT)) AS win
    FROM _alert_params WHERE rule = 'performance_degradation' GROUP BY integration_id
),
bounds AS (SELECT min(tick) AS first_tick, max(tick) AS last_tick FROM _alert_ticks),
grid AS (SELECT t.tick, p.*, t.tick - p.win AS since FROM _alert_ticks AS t CROSS JOIN params AS p),
samples AS (
    -- source 's': the mean API latency of a session that ended without failing (an outage's 30 s
    -- connection timeouts are integration_down's business), at its end; source 'h': a health check
    SELECT s.integration_id, s.ended_at AS ts, 's' AS source, s.session_id, avg(m.api_latency_ms_avg) AS latency
    FROM marts.fct_sync_sessions AS s
    JOIN params AS p ON p.integration_id = s.integration_id
    CROSS JOIN bounds AS b
    JOIN marts.fct_session_metrics AS m
        ON m.integration_id = s.integration_id AND m.session_id = s.session_id AND m.occurred_at <= s.ended_at
    WHERE s.status <> 'failed' AND m.api_latency_ms_avg IS NOT NULL
      AND s.ended_at >= date_trunc('day', b.first_tick - p.win) - INTERVAL 7 DAYS AND s.ended_at <= b.last_tick
    GROUP BY s.integration_id, s.ended_at, s.session_id
    UNION ALL
    SELECT c.integration_id, c.checked_at, 'h', NULL, c.latency_ms
    FROM marts.fct_health_checks AS c
    JOIN params AS p ON p.integration_id = c.integration_id
    CROSS JOIN bounds AS b
    WHERE c.latency_ms IS NOT NULL
      AND c.checked_at >= date_trunc('day', b.first_tick - p.win) - INTERVAL 7 DAYS AND c.checked_at <= b.last_tick
),
daily AS (
    SELECT integration_id, source, date_trunc('day', ts) AS day, median(latency) AS latency
    FROM samples GROUP BY ALL
),
baselines AS (
    SELECT integration_id, source, day,
           median(latency) OVER (PARTITION BY integration_id, source ORDER BY day
                                 RANGE BETWEEN INTERVAL 7 DAYS PRECEDING AND INTERVAL 1 DAY PRECEDING) AS baseline
    FROM daily
),
running AS (
    SELECT integration_id, source, ts, sum(count(*)) OVER w AS n, sum(sum(latency)) OVER w AS latency
    FROM samples GROUP BY integration_id, source, ts
    WINDOW w AS (PARTITION BY integration_id, source ORDER BY ts ROWS UNBOUNDED PRECEDING)
),
per_source AS (
    SELECT g.*, src.source,
           coalesce(rn.n, 0) - coalesce(ro.n, 0) AS n,
           (coalesce(rn.latency, 0) - coalesce(ro.latency, 0)) / nullif(coalesce(rn.n, 0) - coalesce(ro.n, 0), 0) AS mean_latency,
           bl.baseline
    FROM grid AS g
    CROSS JOIN (VALUES ('s'), ('h')) AS src(source)
    ASOF LEFT JOIN running AS rn ON rn.integration_id = g.integration_id AND rn.source = src.source AND rn.ts <= g.tick
    ASOF LEFT JOIN running AS ro ON ro.integration_id = g.integration_id AND ro.source = src.source AND ro.ts <= g.since
    LEFT JOIN baselines AS bl ON bl.integration_id = g.integration_id AND bl.source = src.source
        AND bl.day = date_trunc('day', g.tick)
),
ratios AS (
    SELECT integration_id, tick, any_value(provider) AS provider, any_value(since) AS since,
           any_value(latency_ratio) AS latency_ratio, any_value(anomaly_score) AS anomaly_score,
           any_value(window_minutes) AS window_minutes,
           max(mean_latency / baseline) FILTER (WHERE source = 's' AND n >= min_samples) AS session_ratio,
           max(mean_latency / baseline) FILTER (WHERE source = 'h' AND n >= min_samples) AS check_ratio,
           max(mean_latency) FILTER (WHERE source = 's') AS session_latency,
           max(baseline) FILTER (WHERE source = 's') AS session_baseline,
           max(mean_latency) FILTER (WHERE source = 'h') AS check_latency,
           max(baseline) FILTER (WHERE source = 'h') AS check_baseline
    FROM per_source GROUP BY integration_id, tick
),
degraded AS (
    SELECT *, greatest(session_ratio, check_ratio) AS ratio
    FROM ratios
    WHERE greatest(session_ratio, check_ratio) >= latency_ratio
),
anomalies AS (
    -- anomalies of hours that were over by the tick and ended within the window
    SELECT d.integration_id, d.tick,
           list({'metric': a.metric, 'bucket_start': a.bucket_start, 'value': round(a.value, 3),
                 'expected': round(a.expected, 3), 'score': round(a.score, 3), 'direction': a.direction}
                ORDER BY a.bucket_start DESC, a.metric) AS rows
    FROM degraded AS d
    JOIN _alert_anomalies AS a ON a.integration_id = d.integration_id AND a.score >= d.anomaly_score
        AND a.bucket_start + INTERVAL 1 HOUR <= d.tick AND a.bucket_start + INTERVAL 1 HOUR > d.since
        AND ((a.metric IN ('api_latency_ms', 'health_check_latency_ms', 'p95_duration_seconds') AND a.direction = 'spike')
             OR (a.metric = 'throughput_rps' AND a.direction = 'drop'))
    GROUP BY d.integration_id, d.tick
),
hits AS (
    SELECT d.*, a.rows AS anomaly_rows
    FROM degraded AS d LEFT JOIN anomalies AS a ON a.integration_id = d.integration_id AND a.tick = d.tick
),
evidence AS (
    SELECT h.integration_id, h.tick,
           min(s.ts) FILTER (WHERE s.latency >= h.latency_ratio * bl.baseline) AS first_at,
           list(s.session_id ORDER BY s.ts DESC)
               FILTER (WHERE s.source = 's' AND s.latency >= h.latency_ratio * bl.baseline) AS session_ids
    FROM hits AS h
    JOIN samples AS s ON s.integration_id = h.integration_id AND s.ts > h.since AND s.ts <= h.tick
    LEFT JOIN baselines AS bl ON bl.integration_id = s.integration_id AND bl.source = s.source
        AND bl.day = date_trunc('day', h.tick)
    GROUP BY h.integration_id, h.tick
)
SELECT h.integration_id, h.provider, h.tick, coalesce(e.first_at, h.since) AS started_at,
       h.ratio AS value, h.latency_ratio AS threshold,
       printf('latency %.1fx its 7-day baseline in the last %d min (API calls %s, health checks %s)',
              h.ratio, h.window_minutes::BIGINT,
              coalesce(round(h.session_ratio, 1)::VARCHAR || 'x', 'n/a'),
              coalesce(round(h.check_ratio, 1)::VARCHAR || 'x', 'n/a')) AS summary,
       to_json({
           'session_ids': coalesce(e.session_ids, []::VARCHAR[]),
           'figures': {'latency_ratio': round(h.ratio, 2), 'session_latency_ratio': round(h.session_ratio, 2),
                       'health_check_latency_ratio': round(h.check_ratio, 2),
                       'api_latency_ms': round(h.session_latency, 1), 'api_latency_baseline_ms': round(h.session_baseline, 1),
                       'health_check_latency_ms': round(h.check_latency, 1),
                       'health_check_latency_baseline_ms': round(h.check_baseline, 1),
                       'window_minutes': h.window_minutes},
           'anomalies': coalesce(h.anomaly_rows, [])
       })::VARCHAR AS evidence
FROM hits AS h LEFT JOIN evidence AS e ON e.integration_id = h.integration_id AND e.tick = h.tick
