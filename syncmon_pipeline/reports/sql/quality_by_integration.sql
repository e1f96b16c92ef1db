-- Quality score (0-100, higher is better): 100 minus up to 50 for failed records (full penalty at 5 %),
-- up to 30 for errors (full at 20 per 1,000 records) and up to 20 for unresolved conflicts (full at half).
WITH sessions AS (
    SELECT integration_id, any_value(provider) AS provider, count(*) AS sessions,
           coalesce(sum(records_processed), 0) AS records_processed, coalesce(sum(records_failed), 0) AS records_failed
    FROM report_sessions GROUP BY 1
), errors AS (
    SELECT integration_id, count(*) AS errors FROM report_errors GROUP BY 1
), warnings AS (
    SELECT integration_id, count(*) AS warnings FROM report_warnings GROUP BY 1
), conflicts AS (
    SELECT integration_id, count(*) AS conflicts, count(*) FILTER (WHERE NOT is_resolved) AS unresolved
    FROM report_conflicts GROUP BY 1
), figures AS (
    SELECT s.integration_id, s.provider, s.sessions, s.records_processed, s.records_failed,
           s.records_failed / nullif(s.records_processed, 0) AS failed_rate,
           coalesce(e.errors, 0) AS errors,
           1000.0 * coalesce(e.errors, 0) / nullif(s.records_processed, 0) AS errors_per_1k,
           coalesce(c.conflicts, 0) AS conflicts, coalesce(c.unresolved, 0) AS unresolved,
           coalesce(w.warnings, 0) AS warnings
    FROM sessions AS s
    LEFT JOIN errors AS e USING (integration_id)
    LEFT JOIN conflicts AS c USING (integration_id)
    LEFT JOIN warnings AS w USING (integration_id)
)
SELECT *,
       round(100
             - 50 * least(1, coalesce(failed_rate, 0) / 0.05)
             - 30 * least(1, coalesce(errors_per_1k, CASE WHEN errors > 0 THEN 20 ELSE 0 END) / 20)
             - 20 * least(1, coalesce(unresolved / nullif(conflicts, 0), 0) / 0.5), 1) AS quality_score
FROM figures
ORDER BY quality_score, integration_id;
