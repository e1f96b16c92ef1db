-- One session's conflicts, oldest first (at most $limit).
SELECT occurred_at, entity_type, entity_id, field_name, strategy, is_resolved
FROM marts.fct_sync_conflicts
WHERE integration_id = $integration_id AND session_id = $session_id
ORDER BY occurred_at, event_id
LIMIT $limit;
