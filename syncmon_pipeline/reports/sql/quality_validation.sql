-- The validation problems that recur: by code and entity type, with the latest (redacted) message.
SELECT error_code, entity_type, count(*) AS errors, count(DISTINCT integration_id) AS integrations,
       arg_max(message, (occurred_at, event_id)) AS latest_message
FROM report_errors
WHERE category = 'validation'
GROUP BY 1, 2
ORDER BY errors DESC, error_code, entity_type
LIMIT 50;
