INSERT INTO alerts.delivery_attempts (notification_id, attempt, channel, target, started_at)
VALUES ($notification_id, $attempt, $channel, $target, $started_at);
