INSERT INTO retention.removed_reports (removed_at, report_type, period_label, path, period_end)
VALUES ($removed_at, $report_type, $period_label, $path, $period_end);
