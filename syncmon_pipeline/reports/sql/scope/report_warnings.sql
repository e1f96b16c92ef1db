CREATE OR REPLACE TEMP TABLE report_warnings AS
SELECT w.*
FROM marts.fct_sync_warnings AS w
WHERE w.occurred_at >= $start AND w.occurred_at < $end
  AND (len($integrations::VARCHAR[]) = 0 OR list_contains($integrations::VARCHAR[], w.integration_id))
  AND (len($entity_types::VARCHAR[]) = 0 OR list_contains($entity_types::VARCHAR[], w.entity_type));
