SELECT date_trunc($bucket, local_at) AS bucket, provider, count(*) AS sessions
FROM report_sessions
GROUP BY 1, 2
ORDER BY 1, 2;
