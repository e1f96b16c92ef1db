SELECT archived_at, source_table, cutoff, rows, first_occurred_at, last_occurred_at, bytes, path
FROM report_archives
ORDER BY archived_at DESC
LIMIT 200;
