UPDATE alerts.delivery_attempts
SET finished_at = $finished_at, outcome = $outcome, http_status = $http_status, error = $error,
    next_retry_at = $next_retry_at
WHERE notification_id = $notification_id AND attempt = $attempt;

UPDATE alerts.notifications
SET status = $status, next_attempt_at = $next_retry_at, delivered_at = $delivered_at, last_error = $error
WHERE notification_id = $notification_id;
