SELECT severity, alert_type, integration_id, status, fired_at, acknowledged_by, summary
FROM alerts.alerts
WHERE status IN ('firing', 'acknowledged')
ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'error' THEN 1 WHEN 'warning' THEN 2 ELSE 3 END, fired_at DESC;
