-- One session's status events in order (only when the snapshot publishes the status history).
SELECT occurred_at, status, previous_status, stage, reason, duration_seconds
FROM intermediate.int_session_status_history
WHERE integration_id = $integration_id AND session_id = $session_id
ORDER BY status_seq
LIMIT $limit;
