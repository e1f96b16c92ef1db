-- Fleet figures per bucket ($bucket: 'hour' or 'day', in the report time zone).
WITH sessions AS (
    SELECT date_trunc($bucket, local_at) AS bucket, count(*) AS sessions,
           quantile_cont(duration_seconds, 0.5) AS duration_p50, quantile_cont(duration_seconds, 0.95) AS duration_p95,
           coalesce(sum(records_processed), 0) AS records_processed
    FROM report_sessions GROUP BY 1
), metrics AS (
    SELECT date_trunc($bucket, s.local_at) AS bucket, avg(m.api_latency_ms_avg) AS api_latency_avg,
           avg(m.api_latency_ms_p95) AS api_latency_p95, avg(m.throughput_rps) AS throughput_avg
    FROM report_metrics AS m JOIN report_sessions AS s USING (integration_id, session_id) GROUP BY 1
)
SELECT s.bucket, s.sessions, s.duration_p50, s.duration_p95, s.records_processed,
       m.api_latency_avg, m.api_latency_p95, m.throughput_avg
FROM sessions AS s LEFT JOIN metrics AS m USING (bucket)
ORDER BY s.bucket;
