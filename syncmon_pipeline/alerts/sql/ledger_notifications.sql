SELECT notification_id, channel, target, transition, sequence, integration_id, alert_ids, fingerprints,
       message, created_at, queued_at, status, attempts, next_attempt_at, delivered_at, last_error
FROM alerts.notifications
WHERE $alert_id IS NULL OR list_contains(alert_ids, $alert_id)
ORDER BY created_at, notification_id;
