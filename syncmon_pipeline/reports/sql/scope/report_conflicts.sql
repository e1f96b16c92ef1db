CREATE OR REPLACE TEMP TABLE report_conflicts AS
SELECT c.*, timezone($tz, timezone('UTC', c.occurred_at)) AS local_at
FROM marts.fct_sync_conflicts AS c
WHERE c.occurred_at >= $start AND c.occurred_at < $end
  AND (len($integrations::VARCHAR[]) = 0 OR list_contains($integrations::VARCHAR[], c.integration_id))
  AND (len($entity_types::VARCHAR[]) = 0 OR list_contains($entity_types::VARCHAR[], c.entity_type));
