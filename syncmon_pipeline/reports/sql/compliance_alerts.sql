SELECT alert_id, alert_type, severity, integration_id, status, fired_at, acknowledged_at, acknowledged_by,
       resolved_at, resolved_by,
       date_diff('second', fired_at, acknowledged_at) / 60.0 AS minutes_to_ack,
       escalation_count, summary
FROM report_alerts
ORDER BY fired_at DESC, alert_id
LIMIT 500;
