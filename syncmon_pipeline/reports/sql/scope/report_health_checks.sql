CREATE OR REPLACE TEMP TABLE report_health_checks AS
SELECT h.integration_id, h.checked_at, h.is_reachable, h.message
FROM marts.fct_health_checks AS h
WHERE h.checked_at >= $start AND h.checked_at < $end
  AND (len($integrations::VARCHAR[]) = 0 OR list_contains($integrations::VARCHAR[], h.integration_id));
