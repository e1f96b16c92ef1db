INSERT INTO reports.delivery_attempts VALUES ($delivery_id, $attempt, $started_at, $finished_at, $outcome, $error);
UPDATE reports.deliveries
SET attempts = $attempt, last_attempt_at = $finished_at, last_error = $error,
    status = CASE WHEN $outcome = 'delivered' THEN 'delivered' ELSE status END,
    delivered_at = CASE WHEN $outcome = 'delivered' THEN $finished_at ELSE delivered_at END
WHERE delivery_id = $delivery_id;
