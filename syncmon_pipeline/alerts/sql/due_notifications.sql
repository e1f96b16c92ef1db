SELECT notification_id, channel, target, transition, sequence, integration_id, alert_ids, fingerprints,
       message, created_at
FROM alerts.notifications
WHERE status = 'queued' AND next_attempt_at <= $now
ORDER BY next_attempt_at, created_at, notification_id;
