-- One session's errors, oldest first (at most $limit).
SELECT occurred_at, category, severity, error_code, message, entity_type, entity_id, is_retryable, retry_count
FROM marts.fct_sync_errors
WHERE integration_id = $integration_id AND session_id = $session_id
ORDER BY occurred_at, event_id
LIMIT $limit;
