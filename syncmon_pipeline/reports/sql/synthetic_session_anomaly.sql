-- Synthetic analyst snapshot, step 8b: anomaly.session_anomaly_scores - two measures of every session
-- that ended (succeeded or partial), duration and API latency, each scored against its integration's
-- median and median absolute deviation (order-free aggregates, so the file is the same every time).
-- Band = median +- 4.5 robust standard deviations; anomaly = above the band (a spike is what hurts).
INSERT INTO anomaly.session_anomaly_scores BY NAME
WITH observed AS (
    UNPIVOT (
        SELECT s.integration_id, s.session_id, s.sync_type, s.ended_at,
               s.duration_seconds::DOUBLE AS duration_seconds, m.api_latency_ms_avg AS api_latency_ms
        FROM marts.fct_sync_sessions AS s
        JOIN marts.fct_session_metrics AS m USING (integration_id, session_id)
        WHERE s.ended_at IS NOT NULL AND s.ended_at <= $end::TIMESTAMP AND s.outcome IN ('succeeded', 'partial')
    )
    ON duration_seconds, api_latency_ms
    INTO NAME measure VALUE value
),
centre AS (
    SELECT integration_id, measure, median(value) AS expected FROM observed GROUP BY integration_id, measure
),
spread AS (
    SELECT o.integration_id, o.measure, any_value(c.expected) AS expected,
           greatest(1.4826 * median(abs(o.value - c.expected)), 1e-6) AS spread
    FROM observed AS o JOIN centre AS c USING (integration_id, measure)
    GROUP BY o.integration_id, o.measure
)
SELECT
    o.integration_id,
    o.session_id,
    o.sync_type,
    o.measure,
    o.ended_at,
    o.value,
    s.expected,
    s.expected - 4.5 * s.spread AS lower_band,
    s.expected + 4.5 * s.spread AS upper_band,
    1 - exp(-0.15 * abs(o.value - s.expected) / s.spread) AS score,
    o.value > s.expected + 4.5 * s.spread AS is_anomaly,
    CASE WHEN o.value >= s.expected THEN 'spike' ELSE 'drop' END AS direction,
    'performance_degradation' AS alert_type,
    date_diff('second', min(o.ended_at) OVER (PARTITION BY o.integration_id, o.sync_type, o.measure), o.ended_at)
        / 86400.0 AS history_days,
    'session-likelihood-v1' AS method,
    $end::TIMESTAMP - INTERVAL 25 SECOND AS scored_at
FROM observed AS o
JOIN spread AS s USING (integration_id, measure)
ORDER BY o.integration_id, o.measure, o.ended_at, o.session_id;
