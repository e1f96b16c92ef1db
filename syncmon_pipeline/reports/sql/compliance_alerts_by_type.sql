SELECT alert_type, severity, count(*) AS alerts,
       count(*) FILTER (WHERE acknowledged_at IS NOT NULL) AS acknowledged
FROM report_alerts
GROUP BY 1, 2
ORDER BY alerts DESC, alert_type, severity;
