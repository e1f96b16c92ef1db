SELECT 'marts.fct_sync_sessions' AS source, count(*) AS rows FROM report_sessions
UNION ALL SELECT 'marts.fct_sync_errors', count(*) FROM report_errors
UNION ALL SELECT 'marts.fct_sync_warnings', count(*) FROM report_warnings
UNION ALL SELECT 'marts.fct_sync_conflicts', count(*) FROM report_conflicts
UNION ALL SELECT 'marts.fct_session_metrics', count(*) FROM report_metrics
UNION ALL SELECT 'marts.fct_health_checks', count(*) FROM report_health_checks
UNION ALL SELECT 'alerts.alerts', count(*) FROM report_alerts
UNION ALL SELECT 'alerts.notifications', count(*) FROM report_notifications
UNION ALL SELECT 'retention.archives', count(*) FROM report_archives;
