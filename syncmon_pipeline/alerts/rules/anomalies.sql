-- Anomaly rows the rules may cite: flagged buckets that were complete by the last tick (a bucket is
-- scored only once its hour is over, so bucket_start + 1 hour is the earliest time it is known).
INSERT INTO _alert_anomalies
SELECT integration_id, metric, bucket_start, value, expected, score, direction
FROM anomaly.anomaly_scores
WHERE is_anomaly
  AND bucket_start + INTERVAL 1 HOUR <= (SELECT max(tick) FROM _alert_ticks);
