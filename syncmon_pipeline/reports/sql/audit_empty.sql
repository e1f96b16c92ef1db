-- Stand-ins when the snapshot predates the audit tables (no alert evaluated, no retention run yet).
CREATE TEMP TABLE IF NOT EXISTS report_alerts (
    alert_id VARCHAR, alert_type VARCHAR, severity VARCHAR, integration_id VARCHAR, status VARCHAR,
    fired_at TIMESTAMP, acknowledged_at TIMESTAMP, acknowledged_by VARCHAR, resolved_at TIMESTAMP,
    resolved_by VARCHAR, escalation_count INTEGER, summary VARCHAR
);
CREATE TEMP TABLE IF NOT EXISTS report_notifications (
    channel VARCHAR, transition VARCHAR, status VARCHAR, created_at TIMESTAMP, delivered_at TIMESTAMP, attempts INTEGER
);
CREATE TEMP TABLE IF NOT EXISTS report_archives (
    archived_at TIMESTAMP, source_table VARCHAR, cutoff TIMESTAMP, rows BIGINT, first_occurred_at TIMESTAMP,
    last_occurred_at TIMESTAMP, bytes BIGINT, path VARCHAR
);
CREATE TEMP TABLE IF NOT EXISTS report_removed_reports (
    removed_at TIMESTAMP, report_type VARCHAR, period_label VARCHAR, period_end TIMESTAMP
);
