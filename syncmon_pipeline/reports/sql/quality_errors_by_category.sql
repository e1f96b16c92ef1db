SELECT category, severity, count(*) AS errors,
       count(*) FILTER (WHERE is_retryable) / count(*) AS retryable_share,
       count(DISTINCT session_id) AS sessions_affected,
       count(DISTINCT integration_id) AS integrations,
       mode(error_code) AS top_code
FROM report_errors
GROUP BY 1, 2
ORDER BY errors DESC, category, severity;
