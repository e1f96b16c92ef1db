-- Synthetic analyst snapshot, step 8: anomaly.anomaly_scores - six metrics per integration and
-- completed hour, each hour scored against the integration's other hours of that metric (leave one
-- out, so that one outlier cannot hide itself). Band = expected +- 3 standard deviations; anomaly =
-- outside the band; score in [0, 1) crosses 0.7 at the band. Means and spreads come from exact
-- integer sums of the values rounded to 1e-6, so they do not depend on the order of aggregation.

INSERT INTO anomaly.anomaly_scores BY NAME
WITH hours AS (
    SELECT *
    FROM marts.mart_sync_timeseries_hourly
    WHERE integration_id <> '__all__' AND bucket_end <= $end::TIMESTAMP
),
observed AS (
    UNPIVOT (
        SELECT
            integration_id,
            bucket_start,
            records_processed::DOUBLE AS records_processed,
            errors_total::DOUBLE AS error_count,
            sessions_failed / nullif(sessions_ended - sessions_cancelled, 0) AS failure_rate,
            duration_seconds_p95 AS p95_duration_seconds,
            api_latency_ms_avg AS api_latency_ms,
            conflicts::DOUBLE AS conflict_count
        FROM hours
    )
    ON records_processed, error_count, failure_rate, p95_duration_seconds, api_latency_ms, conflict_count
    INTO NAME metric VALUE value
),
scaled AS (
    SELECT *, round(value * 1e6)::HUGEINT AS micro
    FROM observed
    WHERE value IS NOT NULL
),
baseline AS (
    SELECT
        integration_id,
        metric,
        count(*) AS n,
        sum(micro) AS s1,
        sum(micro * micro) AS s2
    FROM scaled
    GROUP BY integration_id, metric
),
others AS (
    SELECT o.*, b.n - 1 AS n, b.s1 - o.micro AS s1, b.s2 - o.micro * o.micro AS s2
    FROM scaled AS o
    JOIN baseline AS b USING (integration_id, metric)
    WHERE b.n > 2
),
scored AS (
    SELECT
        integration_id,
        metric,
        bucket_start,
        value,
        s1 / n / 1e6 AS expected,
        greatest(sqrt(greatest((s2 - s1 * s1 // n)::DOUBLE, 0.0) / (n - 1)) / 1e6, 3e-9) AS spread
    FROM others
)
SELECT
    integration_id,
    metric,
    bucket_start,
    value,
    expected,
    expected - 3 * spread AS lower_band,
    expected + 3 * spread AS upper_band,
    1 - exp(-0.4 * abs(value - expected) / spread) AS score,
    value < expected - 3 * spread OR value > expected + 3 * spread AS is_anomaly,
    CASE WHEN value >= expected THEN 'spike' ELSE 'drop' END AS direction,
    'anomaly-likelihood-v2' AS method,
    $end::TIMESTAMP - INTERVAL 25 SECOND AS scored_at
FROM scored
ORDER BY integration_id, metric, bucket_start;
