-- The dashboard's firing alerts (reports/sql/dashboard_alerts.sql) with their id and fingerprint, so the
-- live page can apply the alert changefeed to them.
SELECT alert_id, fingerprint, severity, alert_type, integration_id, status, fired_at, acknowledged_by, summary
FROM alerts.alerts
WHERE status IN ('firing', 'acknowledged')
ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'error' THEN 1 WHEN 'warning' THEN 2 ELSE 3 END, fired_at DESC,
         alert_id;
