CREATE OR REPLACE TEMP TABLE report_archives AS
SELECT archived_at, source_table, cutoff, rows, first_occurred_at, last_occurred_at, bytes, path
FROM retention.archives
WHERE archived_at < $end;
