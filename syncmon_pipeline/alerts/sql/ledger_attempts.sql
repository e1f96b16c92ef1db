SELECT notification_id, attempt, channel, target, started_at, finished_at, outcome, http_status, error,
       next_retry_at
FROM alerts.delivery_attempts
WHERE list_contains($notification_ids, notification_id)
ORDER BY notification_id, attempt;
