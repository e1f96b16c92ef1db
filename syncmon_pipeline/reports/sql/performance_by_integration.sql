-- Per integration; the p95 duration of the period's first half against its second half ($mid) is the trend.
WITH sessions AS (
    SELECT integration_id, any_value(provider) AS provider, count(*) AS sessions,
           count(*) FILTER (WHERE outcome = 'succeeded') / nullif(count(*) FILTER (WHERE is_terminal AND outcome <> 'cancelled'), 0) AS success_rate,
           avg(duration_seconds) AS duration_avg,
           quantile_cont(duration_seconds, 0.95) AS duration_p95,
           quantile_cont(duration_seconds, 0.95) FILTER (WHERE coalesce(started_at, created_at) < $mid) AS p95_first_half,
           quantile_cont(duration_seconds, 0.95) FILTER (WHERE coalesce(started_at, created_at) >= $mid) AS p95_second_half,
           coalesce(sum(records_processed), 0) AS records_processed
    FROM report_sessions GROUP BY 1
), metrics AS (
    SELECT integration_id, avg(throughput_rps) AS throughput_avg, sum(api_calls) AS api_calls,
           sum(api_errors) / nullif(sum(api_calls), 0) AS api_error_rate,
           avg(api_latency_ms_avg) AS latency_avg, quantile_cont(api_latency_ms_p95, 0.95) AS latency_p95,
           avg(cpu_pct) AS cpu_avg, quantile_cont(cpu_pct, 0.95) AS cpu_p95,
           avg(memory_mb) AS memory_avg, max(memory_mb) AS memory_max
    FROM report_metrics GROUP BY 1
)
SELECT s.integration_id, s.provider, s.sessions, s.success_rate, s.duration_avg, s.duration_p95,
       s.p95_first_half, s.p95_second_half,
       s.p95_second_half / nullif(s.p95_first_half, 0) - 1 AS p95_change,
       s.records_processed, m.throughput_avg, coalesce(m.api_calls, 0) AS api_calls, m.api_error_rate,
       m.latency_avg, m.latency_p95, m.cpu_avg, m.cpu_p95, m.memory_avg, m.memory_max
FROM sessions AS s LEFT JOIN metrics AS m USING (integration_id)
ORDER BY s.integration_id;
