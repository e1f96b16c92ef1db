-- The fleet, hour by hour, over the 48 hours up to the data's as-of time.
SELECT bucket_start AS bucket, sum(sessions_ended) AS sessions_ended,
       sum(sessions_completed) / nullif(sum(sessions_completed + sessions_partially_completed + sessions_failed), 0) AS success_rate,
       max(duration_seconds_p95) AS duration_p95_worst, avg(duration_seconds_avg) AS duration_avg,
       sum(records_processed) AS records_processed, sum(errors_total) AS errors
FROM marts.mart_sync_timeseries_hourly
WHERE bucket_start >= $as_of - INTERVAL 48 HOUR AND bucket_start <= $as_of
GROUP BY 1
ORDER BY 1;
