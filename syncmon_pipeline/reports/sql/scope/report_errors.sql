CREATE OR REPLACE TEMP TABLE report_errors AS
SELECT e.*, timezone($tz, timezone('UTC', e.occurred_at)) AS local_at
FROM marts.fct_sync_errors AS e
WHERE e.occurred_at >= $start AND e.occurred_at < $end
  AND (len($integrations::VARCHAR[]) = 0 OR list_contains($integrations::VARCHAR[], e.integration_id))
  AND (len($entity_types::VARCHAR[]) = 0 OR list_contains($entity_types::VARCHAR[], e.entity_type));
