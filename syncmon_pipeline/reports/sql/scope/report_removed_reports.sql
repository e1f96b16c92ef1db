CREATE OR REPLACE TEMP TABLE report_removed_reports AS
SELECT removed_at, report_type, period_label, period_end
FROM retention.removed_reports
WHERE removed_at < $end;
