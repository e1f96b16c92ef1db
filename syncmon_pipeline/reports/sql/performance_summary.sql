SELECT
    count(*) AS sessions,
    count(*) FILTER (WHERE outcome = 'succeeded') / nullif(count(*) FILTER (WHERE is_terminal AND outcome <> 'cancelled'), 0) AS success_rate,
    quantile_cont(duration_seconds, 0.5) AS duration_p50,
    quantile_cont(duration_seconds, 0.95) AS duration_p95,
    coalesce(sum(records_processed), 0) AS records_processed,
    (SELECT avg(throughput_rps) FROM report_metrics) AS throughput_avg,
    (SELECT avg(api_latency_ms_p95) FROM report_metrics) AS api_latency_p95_avg,
    (SELECT sum(api_errors) / nullif(sum(api_calls), 0) FROM report_metrics) AS api_error_rate
FROM report_sessions;
