-- The stand-in when the snapshot predates this audit table (no alert evaluated, no retention run yet).
CREATE OR REPLACE TEMP TABLE report_alerts (
    alert_id VARCHAR, alert_type VARCHAR, severity VARCHAR, integration_id VARCHAR, status VARCHAR,
    fired_at TIMESTAMP, acknowledged_at TIMESTAMP, acknowledged_by VARCHAR, resolved_at TIMESTAMP,
    resolved_by VARCHAR, escalation_count INTEGER, summary VARCHAR
);
