-- Every delivery attempt of the notifications about one alert.
SELECT a.notification_id, a.attempt, a.started_at, a.finished_at, a.outcome, a.http_status, a.error, a.next_retry_at
FROM alerts.delivery_attempts AS a
WHERE a.notification_id IN (SELECT notification_id FROM alerts.notifications WHERE list_contains(alert_ids, $alert_id))
ORDER BY a.notification_id, a.attempt;
