-- Alerts that were firing at some point of the period (fired before its end, not resolved before its start).
CREATE OR REPLACE TEMP TABLE report_alerts AS
SELECT alert_id, alert_type, severity, integration_id, status, fired_at, acknowledged_at, acknowledged_by,
       resolved_at, resolved_by, escalation_count, summary
FROM alerts.alerts
WHERE fired_at IS NOT NULL AND fired_at < $end AND (resolved_at IS NULL OR resolved_at >= $start)
  AND (len($integrations::VARCHAR[]) = 0 OR list_contains($integrations::VARCHAR[], integration_id)
       OR integration_id LIKE 'pipeline:%');
