SELECT triggered_by, sync_type, direction, count(*) AS sessions, coalesce(sum(records_processed), 0) AS records_processed
FROM report_sessions
GROUP BY 1, 2, 3
ORDER BY sessions DESC, triggered_by, sync_type, direction;
