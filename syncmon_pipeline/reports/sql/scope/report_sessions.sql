-- The period's sessions (by start), cut to the report's integrations and entity types.
-- local_at: the start in the report time zone, for buckets, hours of day and weekdays.
CREATE OR REPLACE TEMP TABLE report_sessions AS
SELECT session_id, integration_id, provider, sync_type, direction, triggered_by, entity_types, status, status_reason,
       is_terminal, outcome, created_at, started_at, ended_at, duration_seconds, records_processed, records_created,
       records_updated, records_deleted, records_failed, error_count,
       timezone($tz, timezone('UTC', coalesce(started_at, created_at))) AS local_at
FROM marts.fct_sync_sessions
WHERE coalesce(started_at, created_at) >= $start AND coalesce(started_at, created_at) < $end
  AND (len($integrations::VARCHAR[]) = 0 OR list_contains($integrations::VARCHAR[], integration_id))
  AND (len($entity_types::VARCHAR[]) = 0 OR list_has_any(entity_types, $entity_types::VARCHAR[]));
