-- sync_failure: the last `consecutive_failures` finished sessions all failed, the latest within
-- `lookback_minutes` (failures older than the lookback do not count towards the run).
-- Sessions are numbered per integration in the order they ended and each carries the length of the
-- run of failures ending with it, so each tick needs two ASOF lookups (the latest session ended by
-- the tick, and the latest ended by the start of the lookback), not a scan of its window.
WITH params AS (
    SELECT integration_id, any_value(provider) AS provider,
           max(value) FILTER (WHERE name = 'consecutive_failures') AS consecutive_failures,
           max(value) FILTER (WHERE name = 'lookback_minutes') AS lookback_minutes,
           to_microseconds(CAST(max(value) FILTER (WHERE name = 'lookback_minutes') * 60e6 AS BIGINT)) AS lookback
    FROM _alert_params WHERE rule = 'sync_failure' GROUP BY integration_id
),
bounds AS (SELECT min(tick) AS first_tick, max(tick) AS last_tick FROM _alert_ticks),
grid AS (
    SELECT t.tick, p.*, t.tick - p.lookback AS since FROM _alert_ticks AS t CROSS JOIN params AS p
),
ended AS (
    SELECT s.integration_id, s.session_id, s.ended_at, s.status = 'failed' AS failed,
           s.last_error_category, s.status_reason,
           row_number() OVER (PARTITION BY s.integration_id ORDER BY s.ended_at, s.session_id) AS seq
    FROM marts.fct_sync_sessions AS s
    JOIN params AS p ON p.integration_id = s.integration_id
    CROSS JOIN bounds AS b
    WHERE s.ended_at > b.first_tick - p.lookback AND s.ended_at <= b.last_tick
),
runs AS (
    SELECT *,
           seq - max(CASE WHEN failed THEN 0 ELSE seq END)
               OVER (PARTITION BY integration_id ORDER BY seq ROWS UNBOUNDED PRECEDING) AS run_length
    FROM ended
),
latest AS (
    SELECT g.*, n.seq AS last_seq, coalesce(n.failed, false) AS last_failed, n.run_length,
           coalesce(o.seq, 0) AS seq_before
    FROM grid AS g
    ASOF LEFT JOIN runs AS n ON n.integration_id = g.integration_id AND n.ended_at <= g.tick
    ASOF LEFT JOIN runs AS o ON o.integration_id = g.integration_id AND o.ended_at <= g.since
),
hits AS (
    SELECT *, least(run_length, last_seq - seq_before) AS failures
    FROM latest
    WHERE last_failed AND least(run_length, last_seq - seq_before) >= consecutive_failures
),
evidence AS (
    SELECT h.integration_id, h.tick,
           min(r.ended_at) AS first_at,
           list(r.session_id ORDER BY r.ended_at DESC)[1:20] AS session_ids,
           arg_max(r.last_error_category, r.ended_at) AS last_category,
           arg_max(r.status_reason, r.ended_at) AS last_reason,
           list(DISTINCT r.last_error_category) FILTER (WHERE r.last_error_category IS NOT NULL) AS categories
    FROM hits AS h
    JOIN runs AS r ON r.integration_id = h.integration_id AND r.seq > h.last_seq - h.failures AND r.seq <= h.last_seq
    GROUP BY h.integration_id, h.tick
)
SELECT h.integration_id, h.provider, h.tick, e.first_at AS started_at,
       h.failures::DOUBLE AS value, h.consecutive_failures AS threshold,
       printf('the last %d finished sessions failed (latest: %s)', h.failures,
              coalesce(e.last_category || ' error', 'no error reported')) AS summary,
       to_json({
           'session_ids': e.session_ids,
           'figures': {'failures_in_a_row': h.failures, 'lookback_minutes': h.lookback_minutes,
                       'error_categories': e.categories, 'latest_reason': e.last_reason}
       })::VARCHAR AS evidence
FROM hits AS h JOIN evidence AS e ON e.integration_id = h.integration_id AND e.tick = h.tick
