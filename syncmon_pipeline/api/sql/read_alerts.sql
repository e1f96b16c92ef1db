-- Alerts, one keyset page. $by_severity: most severe first, then newest; otherwise newest first.
-- The cursor (the after_* parameters) is the last row's (sort_rank, started_at, alert_id). Empty lists and NULLs
-- are filters not applied.
WITH ranked AS (
    SELECT *,
           CASE WHEN NOT $by_severity THEN 0
                WHEN severity = 'critical' THEN 1 WHEN severity = 'error' THEN 2
                WHEN severity = 'warning' THEN 3 WHEN severity = 'info' THEN 4 ELSE 5 END AS sort_rank
    FROM alerts.alerts
    WHERE (len($statuses) = 0 OR list_contains($statuses, status))
      AND (len($severities) = 0 OR list_contains($severities, severity))
      AND (len($alert_types) = 0 OR list_contains($alert_types, alert_type))
      AND ($integration_id IS NULL OR integration_id = $integration_id)
      AND ($started_after::TIMESTAMP IS NULL OR started_at >= $started_after::TIMESTAMP)
      AND ($started_before::TIMESTAMP IS NULL OR started_at < $started_before::TIMESTAMP)
)
SELECT * FROM ranked
WHERE $after_id IS NULL
   OR sort_rank > $after_rank
   OR (sort_rank = $after_rank AND started_at < $after_at::TIMESTAMP)
   OR (sort_rank = $after_rank AND started_at = $after_at::TIMESTAMP AND alert_id < $after_id)
ORDER BY sort_rank, started_at DESC, alert_id DESC
LIMIT $limit;
