-- The stand-in when the snapshot predates this audit table (no alert evaluated, no retention run yet).
CREATE OR REPLACE TEMP TABLE report_notifications (
    channel VARCHAR, transition VARCHAR, status VARCHAR, created_at TIMESTAMP, delivered_at TIMESTAMP, attempts INTEGER
);
