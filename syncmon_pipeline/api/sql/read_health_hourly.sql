-- One integration's hourly buckets in [$start, $end).
SELECT bucket_start, bucket_end, sessions_started, sessions_ended, sessions_completed, sessions_failed, success_rate,
       duration_seconds_avg, duration_seconds_p95, records_processed, records_failed, errors_total, conflicts,
       api_latency_ms_avg, api_latency_ms_p95, throughput_rps, health_checks, health_checks_unreachable,
       health_check_latency_ms_avg
FROM marts.mart_sync_timeseries_hourly
WHERE integration_id = $integration_id AND bucket_start >= $start AND bucket_start < $end
ORDER BY bucket_start;
