-- The stand-in when the snapshot predates this audit table (no alert evaluated, no retention run yet).
CREATE OR REPLACE TEMP TABLE report_archives (
    archived_at TIMESTAMP, source_table VARCHAR, cutoff TIMESTAMP, rows BIGINT, first_occurred_at TIMESTAMP,
    last_occurred_at TIMESTAMP, bytes BIGINT, path VARCHAR
);
