SELECT date_trunc($bucket, local_at) AS bucket, category, count(*) AS errors
FROM report_errors
GROUP BY 1, 2
ORDER BY 1, 2;
