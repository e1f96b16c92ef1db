-- Redaction markers that ingest left in free text within the period, by where they were found and kind.
WITH texts AS (
    SELECT 'error messages' AS found_in, message AS text FROM report_errors
    UNION ALL SELECT 'warning messages', message FROM report_warnings
    UNION ALL SELECT 'session status reasons', status_reason FROM report_sessions
    UNION ALL SELECT 'health check messages', message FROM report_health_checks
), markers AS (
    SELECT found_in, unnest(regexp_extract_all(text, '\[REDACTED[A-Z_]*\]')) AS marker FROM texts WHERE text LIKE '%[REDACTED%'
)
SELECT found_in, CASE marker WHEN '[REDACTED_EMAIL]' THEN 'e-mail address' ELSE 'secret or token' END AS kind,
       count(*) AS redactions
FROM markers
GROUP BY 1, 2
ORDER BY redactions DESC, found_in, kind;
