-- One session's warnings, oldest first (at most $limit).
SELECT occurred_at, warning_code, message, entity_type, entity_id
FROM marts.fct_sync_warnings
WHERE integration_id = $integration_id AND session_id = $session_id
ORDER BY occurred_at, event_id
LIMIT $limit;
