-- Every notification about one alert, oldest first; the title from the queued message, never its body.
SELECT notification_id, channel, target, transition, sequence, json_extract_string(message, '$.title') AS title,
       status, attempts, created_at, queued_at, next_attempt_at, delivered_at, last_error, alert_ids
FROM alerts.notifications
WHERE list_contains(alert_ids, $alert_id)
ORDER BY created_at, notification_id;
