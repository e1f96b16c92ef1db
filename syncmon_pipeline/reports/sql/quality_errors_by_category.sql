WITH codes AS (
    SELECT category, severity, error_code, count(*) AS n FROM report_errors GROUP BY ALL
)
SELECT e.category, e.severity, count(*) AS errors,
       count(*) FILTER (WHERE e.is_retryable) / count(*) AS retryable_share,
       count(DISTINCT (e.integration_id, e.session_id)) AS sessions_affected,  -- session ids are per integration
       count(DISTINCT e.integration_id) AS integrations,
       (SELECT arg_max(c.error_code, (c.n, c.error_code)) FROM codes AS c
        WHERE c.category = e.category AND c.severity = e.severity) AS top_code  -- ties: the last code by name
FROM report_errors AS e
GROUP BY 1, 2
ORDER BY errors DESC, category, severity;
