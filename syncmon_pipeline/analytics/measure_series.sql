-- Every measure per bucket of $interval between $start (inclusive) and $end (exclusive),
-- for one integration or, when $integration_id is NULL, the whole fleet. Empty buckets are
-- present: counts are 0, rates and averages NULL. Outcomes count at the session's end.
WITH buckets AS (
    SELECT generate_series AS bucket_start
    FROM generate_series($start::TIMESTAMP, $end::TIMESTAMP - $interval::INTERVAL, $interval::INTERVAL)
), in_scope_sessions AS (
    SELECT * FROM marts.fct_sync_sessions
    WHERE ($integration_id IS NULL OR integration_id = $integration_id)
), started AS (
    SELECT time_bucket($interval::INTERVAL, started_at, $start::TIMESTAMP) AS bucket_start, count(*) AS sessions_started
    FROM in_scope_sessions WHERE started_at >= $start AND started_at < $end GROUP BY ALL
), ended AS (
    SELECT time_bucket($interval::INTERVAL, ended_at, $start::TIMESTAMP) AS bucket_start,
           count(*) FILTER (WHERE outcome = 'succeeded') AS sessions_completed,
           count(*) FILTER (WHERE outcome = 'failed') AS sessions_failed,
           count(*) FILTER (WHERE outcome = 'succeeded') / nullif(count(*) FILTER (WHERE outcome <> 'cancelled'), 0)
               AS success_rate,
           avg(duration_seconds) AS duration_seconds_avg,
           quantile_cont(duration_seconds, 0.95) AS duration_seconds_p95,
           sum(records_processed) AS records_processed,
           sum(records_failed) AS records_failed
    FROM in_scope_sessions WHERE is_terminal AND ended_at >= $start AND ended_at < $end GROUP BY ALL
), errors AS (
    SELECT time_bucket($interval::INTERVAL, occurred_at, $start::TIMESTAMP) AS bucket_start,
           count(*) AS errors_total,
           count(*) FILTER (WHERE category = 'network') AS errors_network,
           count(*) FILTER (WHERE category = 'authentication') AS errors_authentication,
           count(*) FILTER (WHERE category = 'rate_limit') AS errors_rate_limit,
           count(*) FILTER (WHERE category = 'validation') AS errors_validation,
           count(*) FILTER (WHERE category = 'conflict') AS errors_conflict,
           count(*) FILTER (WHERE category = 'system') AS errors_system
    FROM marts.fct_sync_errors
    WHERE occurred_at >= $start AND occurred_at < $end AND ($integration_id IS NULL OR integration_id = $integration_id)
    GROUP BY ALL
), conflicts AS (
    SELECT time_bucket($interval::INTERVAL, occurred_at, $start::TIMESTAMP) AS bucket_start, count(*) AS conflicts
    FROM marts.fct_sync_conflicts
    WHERE occurred_at >= $start AND occurred_at < $end AND ($integration_id IS NULL OR integration_id = $integration_id)
    GROUP BY ALL
), metrics AS (
    SELECT time_bucket($interval::INTERVAL, occurred_at, $start::TIMESTAMP) AS bucket_start,
           avg(api_latency_ms_avg) AS api_latency_ms_avg,
           max(api_latency_ms_p95) AS api_latency_ms_p95,
           avg(throughput_rps) AS throughput_rps
    FROM marts.fct_session_metrics
    WHERE occurred_at >= $start AND occurred_at < $end AND ($integration_id IS NULL OR integration_id = $integration_id)
    GROUP BY ALL
), checks AS (
    SELECT time_bucket($interval::INTERVAL, checked_at, $start::TIMESTAMP) AS bucket_start,
           avg(latency_ms) AS health_check_latency_ms_avg,
           count(*) FILTER (WHERE NOT is_reachable) AS health_checks_unreachable
    FROM marts.fct_health_checks
    WHERE checked_at >= $start AND checked_at < $end AND ($integration_id IS NULL OR integration_id = $integration_id)
    GROUP BY ALL
)
SELECT buckets.bucket_start,
       coalesce(sessions_started, 0) AS sessions_started,
       coalesce(sessions_completed, 0) AS sessions_completed,
       coalesce(sessions_failed, 0) AS sessions_failed,
       success_rate, duration_seconds_avg, duration_seconds_p95,
       coalesce(records_processed, 0) AS records_processed,
       coalesce(records_failed, 0) AS records_failed,
       coalesce(errors_total, 0) AS errors_total,
       coalesce(errors_network, 0) AS errors_network,
       coalesce(errors_authentication, 0) AS errors_authentication,
       coalesce(errors_rate_limit, 0) AS errors_rate_limit,
       coalesce(errors_validation, 0) AS errors_validation,
       coalesce(errors_conflict, 0) AS errors_conflict,
       coalesce(errors_system, 0) AS errors_system,
       coalesce(conflicts, 0) AS conflicts,
       api_latency_ms_avg, api_latency_ms_p95, throughput_rps,
       health_check_latency_ms_avg,
       coalesce(health_checks_unreachable, 0) AS health_checks_unreachable
FROM buckets
LEFT JOIN started USING (bucket_start)
LEFT JOIN ended USING (bucket_start)
LEFT JOIN errors USING (bucket_start)
LEFT JOIN conflicts USING (bucket_start)
LEFT JOIN metrics USING (bucket_start)
LEFT JOIN checks USING (bucket_start)
ORDER BY buckets.bucket_start;
