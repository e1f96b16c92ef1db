-- The stand-in when the snapshot predates this audit table (no alert evaluated, no retention run yet).
CREATE OR REPLACE TEMP TABLE report_removed_reports (
    removed_at TIMESTAMP, report_type VARCHAR, period_label VARCHAR, period_end TIMESTAMP
);
