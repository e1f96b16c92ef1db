-- The error codes seen most often in the period, with the latest (redacted) message of each.
WITH severities AS (
    SELECT error_code, category, severity, count(*) AS n FROM report_errors GROUP BY ALL
), top_severity AS (
    SELECT error_code, category, arg_max(severity, (n, severity)) AS severity FROM severities GROUP BY ALL
)
SELECT e.error_code, e.category, any_value(t.severity) AS severity, count(*) AS errors,
       count(DISTINCT e.integration_id) AS integrations, max(e.occurred_at) AS last_seen_at,
       arg_max(e.message, (e.occurred_at, e.event_id)) AS latest_message
FROM report_errors AS e JOIN top_severity AS t USING (error_code, category)
GROUP BY 1, 2
ORDER BY errors DESC, error_code, category
LIMIT 25;
