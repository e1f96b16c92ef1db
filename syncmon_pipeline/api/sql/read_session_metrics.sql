-- One session's metrics reports, oldest first (at most $limit).
SELECT occurred_at, api_calls, api_errors, api_latency_ms_avg, api_latency_ms_p95, throughput_rps, cache_hits,
       cache_misses, cpu_pct, memory_mb, rate_limit_remaining
FROM marts.fct_session_metrics
WHERE integration_id = $integration_id AND session_id = $session_id
ORDER BY occurred_at, event_id
LIMIT $limit;
