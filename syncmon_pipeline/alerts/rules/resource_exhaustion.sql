-- resource_exhaustion: the synchronizer runs out of CPU. Holds when at least `min_sessions` session
-- metrics reported within `window_minutes` show cpu_pct at or above `cpu_pct` (counting hot sessions
-- rather than averaging, so the alert does not wait for the window to forget the healthy runs).
-- Memory is cited, not tested: a nightly full sync legitimately needs several times its usual memory.
WITH params AS (
    SELECT integration_id, any_value(provider) AS provider,
           max(value) FILTER (WHERE name = 'cpu_pct') AS cpu_pct,
           max(value) FILTER (WHERE name = 'min_sessions') AS min_sessions,
           max(value) FILTER (WHERE name = 'window_minutes') AS window_minutes,
           to_microseconds(CAST(max(value) FILTER (WHERE name = 'window_minutes') * 60e6 AS BIGINT)) AS win
    FROM _alert_params WHERE rule = 'resource_exhaustion' GROUP BY integration_id
),
bounds AS (SELECT min(tick) AS first_tick, max(tick) AS last_tick FROM _alert_ticks),
grid AS (SELECT t.tick, p.*, t.tick - p.win AS since FROM _alert_ticks AS t CROSS JOIN params AS p),
samples AS (
    SELECT m.integration_id, m.occurred_at AS ts, m.session_id, m.cpu_pct, m.memory_mb, m.cpu_pct >= p.cpu_pct AS hot
    FROM marts.fct_session_metrics AS m
    JOIN params AS p ON p.integration_id = m.integration_id
    CROSS JOIN bounds AS b
    WHERE m.cpu_pct IS NOT NULL AND m.occurred_at > b.first_tick - p.win AND m.occurred_at <= b.last_tick
),
running AS (
    SELECT integration_id, ts, sum(count(*)) OVER w AS samples, sum(count(*) FILTER (WHERE hot)) OVER w AS hot
    FROM samples GROUP BY integration_id, ts
    WINDOW w AS (PARTITION BY integration_id ORDER BY ts ROWS UNBOUNDED PRECEDING)
),
counted AS (
    SELECT g.*,
           coalesce(rn.samples, 0) - coalesce(ro.samples, 0) AS samples,
           coalesce(rn.hot, 0) - coalesce(ro.hot, 0) AS hot
    FROM grid AS g
    ASOF LEFT JOIN running AS rn ON rn.integration_id = g.integration_id AND rn.ts <= g.tick
    ASOF LEFT JOIN running AS ro ON ro.integration_id = g.integration_id AND ro.ts <= g.since
),
hits AS (
    SELECT * FROM counted WHERE hot > 0 AND hot >= min_sessions
),
evidence AS (
    SELECT h.integration_id, h.tick, list(s.session_id ORDER BY s.ts DESC) FILTER (WHERE s.hot) AS session_ids,
           min(s.ts) FILTER (WHERE s.hot) AS first_at, avg(s.cpu_pct) FILTER (WHERE s.hot) AS hot_cpu,
           max(s.cpu_pct) AS max_cpu, avg(s.cpu_pct) AS mean_cpu,
           round(avg(s.memory_mb), 1) AS mean_memory, max(s.memory_mb) AS max_memory
    FROM hits AS h
    JOIN samples AS s ON s.integration_id = h.integration_id AND s.ts > h.since AND s.ts <= h.tick
    GROUP BY h.integration_id, h.tick
)
SELECT h.integration_id, h.provider, h.tick, e.first_at AS started_at,
       h.hot::DOUBLE AS value, h.min_sessions AS threshold,
       -- memory is optional in the contract: a missing figure reads n/a (printf of a NULL is NULL)
       printf('%d of %d sessions in the last %d min ran at %.0f %% CPU or more (mean %.1f %%, memory up to %s)',
              h.hot, h.samples, h.window_minutes::BIGINT, h.cpu_pct, e.hot_cpu,
              coalesce(printf('%.0f MB', e.max_memory), 'n/a')) AS summary,
       to_json({
           'session_ids': e.session_ids,
           'figures': {'hot_sessions': h.hot, 'sessions': h.samples, 'mean_cpu_pct': round(e.mean_cpu, 1),
                       'max_cpu_pct': e.max_cpu, 'cpu_pct_threshold': h.cpu_pct,
                       'mean_memory_mb': e.mean_memory, 'max_memory_mb': e.max_memory,
                       'window_minutes': h.window_minutes}
       })::VARCHAR AS evidence
FROM hits AS h JOIN evidence AS e ON e.integration_id = h.integration_id AND e.tick = h.tick
