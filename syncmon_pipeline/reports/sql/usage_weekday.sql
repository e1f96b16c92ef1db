SELECT d.isodow, ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'][d.isodow] AS weekday,
       count(s.session_id) AS sessions, coalesce(sum(s.records_processed), 0) AS records_processed
FROM range(1, 8) AS d(isodow)
LEFT JOIN report_sessions AS s ON isodow(s.local_at) = d.isodow
GROUP BY 1
ORDER BY 1;
