-- The hourly series the detector watches, for complete buckets after each series' last scored one.
WITH scored AS (
    SELECT integration_id, max(last_bucket) AS last_bucket FROM anomaly.detector_state GROUP BY integration_id
)
SELECT h.integration_id, h.bucket_start,
       h.duration_seconds_p95 AS p95_duration_seconds,
       h.sessions_failed / nullif(h.sessions_ended, 0) AS failure_rate,
       h.errors_total::DOUBLE AS error_count,
       h.records_processed::DOUBLE AS records_processed,
       h.throughput_rps,
       h.api_latency_ms_avg AS api_latency_ms,
       h.health_check_latency_ms_avg AS health_check_latency_ms,
       h.records_failed::DOUBLE AS records_failed,
       h.conflicts::DOUBLE AS conflict_count
FROM marts.mart_sync_timeseries_hourly AS h
LEFT JOIN scored USING (integration_id)
WHERE h.integration_id <> '__all__'
  AND h.bucket_start + INTERVAL 1 HOUR <= $complete_before
  AND (scored.last_bucket IS NULL OR h.bucket_start > scored.last_bucket)
ORDER BY h.integration_id, h.bucket_start;
