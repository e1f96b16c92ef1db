-- Its channel just failed in this run: wait with the failed one instead of hammering a channel that is down.
UPDATE alerts.notifications
SET next_attempt_at = greatest(next_attempt_at, $next_attempt_at)
WHERE notification_id = $notification_id AND status = 'queued';
