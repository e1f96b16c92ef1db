-- sync_failure: sessions keep failing. Holds when at least `consecutive_failures` of the last
-- `last_sessions` finished sessions failed, counting only sessions that ended within
-- `lookback_minutes` (with last_sessions equal to consecutive_failures, the failures must be in a
-- row). Allowing one good run among the last few keeps an integration that fails nine times in ten
-- from resolving and re-firing on every lucky run, and catches it sooner.
-- Sessions are numbered per integration in the order they ended, with a running count of failures:
-- ASOF lookups at the tick and the lookback's start, one equality lookup `last_sessions` runs back.
WITH params AS (
    SELECT integration_id, any_value(provider) AS provider,
           max(value) FILTER (WHERE name = 'consecutive_failures') AS failures_needed,
           max(value) FILTER (WHERE name = 'last_sessions') AS last_sessions,
           max(value) FILTER (WHERE name = 'lookback_minutes') AS lookback_minutes,
           to_microseconds(CAST(max(value) FILTER (WHERE name = 'lookback_minutes') * 60e6 AS BIGINT)) AS lookback
    FROM _alert_params WHERE rule = 'sync_failure' GROUP BY integration_id
),
bounds AS (SELECT min(tick) AS first_tick, max(tick) AS last_tick FROM _alert_ticks),
grid AS (SELECT t.tick, p.*, t.tick - p.lookback AS since FROM _alert_ticks AS t CROSS JOIN params AS p),
running AS (
    SELECT s.integration_id, s.session_id, s.ended_at AS ts, s.status = 'failed' AS failed,
           s.last_error_category, s.status_reason,
           row_number() OVER w AS seq,
           sum((s.status = 'failed')::INTEGER) OVER w AS cum
    FROM marts.fct_sync_sessions AS s
    JOIN params AS p ON p.integration_id = s.integration_id
    CROSS JOIN bounds AS b
    WHERE s.ended_at > b.first_tick - p.lookback AND s.ended_at <= b.last_tick
    WINDOW w AS (PARTITION BY s.integration_id ORDER BY s.ended_at, s.session_id ROWS UNBOUNDED PRECEDING)
),
latest AS (
    SELECT g.*, rn.seq AS last_seq, rn.cum,
           greatest(coalesce(rn.seq, 0) - CAST(greatest(g.last_sessions, g.failures_needed) AS BIGINT),
                    coalesce(ro.seq, 0)) AS lower_seq
    FROM grid AS g
    ASOF LEFT JOIN running AS rn ON rn.integration_id = g.integration_id AND rn.ts <= g.tick
    ASOF LEFT JOIN running AS ro ON ro.integration_id = g.integration_id AND ro.ts <= g.since
),
hits AS (
    SELECT l.*, l.cum - coalesce(lo.cum, 0) AS failures, l.last_seq - l.lower_seq AS considered
    FROM latest AS l
    LEFT JOIN running AS lo ON lo.integration_id = l.integration_id AND lo.seq = l.lower_seq
    WHERE l.last_seq IS NOT NULL AND l.cum - coalesce(lo.cum, 0) > 0
      AND l.cum - coalesce(lo.cum, 0) >= l.failures_needed
),
evidence AS (
    SELECT h.integration_id, h.tick,
           min(r.ts) AS first_at,
           list(r.session_id ORDER BY r.ts DESC) AS session_ids,
           arg_max(r.last_error_category, r.ts) AS last_category,
           arg_max(r.status_reason, r.ts) AS last_reason,
           list(DISTINCT r.last_error_category) FILTER (WHERE r.last_error_category IS NOT NULL) AS categories
    FROM hits AS h
    JOIN running AS r ON r.integration_id = h.integration_id AND r.seq > h.lower_seq AND r.seq <= h.last_seq
        AND r.failed
    GROUP BY h.integration_id, h.tick
)
SELECT h.integration_id, h.provider, h.tick, e.first_at AS started_at,
       h.failures::DOUBLE AS value, h.failures_needed AS threshold,
       printf('%d of the last %d finished sessions failed (latest failure: %s)', h.failures, h.considered,
              coalesce(e.last_category || ' error', 'no error reported')) AS summary,
       to_json({
           'session_ids': e.session_ids,
           'figures': {'failed_sessions': h.failures, 'sessions_considered': h.considered,
                       'lookback_minutes': h.lookback_minutes, 'error_categories': e.categories,
                       'latest_reason': e.last_reason}
       })::VARCHAR AS evidence
FROM hits AS h JOIN evidence AS e ON e.integration_id = h.integration_id AND e.tick = h.tick
