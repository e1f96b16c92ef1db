SELECT channel, status, count(*) AS notifications, max(attempts) AS max_attempts
FROM report_notifications
GROUP BY 1, 2
ORDER BY 1, 2;
