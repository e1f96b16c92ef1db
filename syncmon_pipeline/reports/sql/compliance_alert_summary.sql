SELECT count(*) AS alerts,
       count(*) FILTER (WHERE acknowledged_at IS NOT NULL) AS acknowledged,
       count(*) FILTER (WHERE resolved_at IS NOT NULL) AS resolved,
       count(*) FILTER (WHERE status IN ('firing', 'pending') AND acknowledged_at IS NULL) AS open_unacknowledged,
       median(date_diff('second', fired_at, acknowledged_at) / 60.0) AS median_minutes_to_ack,
       (SELECT count(*) FROM report_notifications) AS notifications,
       (SELECT count(*) FILTER (WHERE status = 'delivered') FROM report_notifications) AS notifications_delivered,
       (SELECT coalesce(sum(rows), 0) FROM report_archives) AS rows_archived,
       (SELECT count(*) FROM report_removed_reports) AS reports_removed,
       (SELECT min(coalesce(started_at, created_at)) FROM marts.fct_sync_sessions) AS oldest_session_kept
FROM report_alerts;
