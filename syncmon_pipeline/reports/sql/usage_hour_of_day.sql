SELECT h.hour, count(s.session_id) AS sessions, coalesce(sum(s.records_processed), 0) AS records_processed
FROM range(24) AS h(hour)
LEFT JOIN report_sessions AS s ON hour(s.local_at) = h.hour
GROUP BY 1
ORDER BY 1;
