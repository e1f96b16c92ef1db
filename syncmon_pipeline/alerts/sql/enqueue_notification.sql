-- A notification id already in the ledger is left alone: replaying an engine decision never re-sends.
INSERT INTO alerts.notifications (
    notification_id, channel, target, transition, sequence, integration_id, alert_ids, fingerprints,
    message, created_at, queued_at, status, attempts, next_attempt_at, delivered_at, last_error
) VALUES (
    $notification_id, $channel, $target, $transition, $sequence, $integration_id, $alert_ids, $fingerprints,
    $message, $created_at, $now, 'queued', 0, $now, NULL, NULL
) ON CONFLICT DO NOTHING;
