-- The busiest (weekday, hour) slots, with their share of all sessions in the period.
SELECT ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'][isodow(local_at)] AS weekday,
       hour(local_at) AS hour, count(*) AS sessions,
       count(*) / sum(count(*)) OVER () AS share_of_sessions
FROM report_sessions
GROUP BY isodow(local_at), hour(local_at)
ORDER BY sessions DESC, isodow(local_at), hour
LIMIT 10;
