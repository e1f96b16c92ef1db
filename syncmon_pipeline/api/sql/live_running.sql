-- The dashboard's "Running now" rows (reports/sql/dashboard_running.sql) with the session key, so the
-- live page can update and remove them as session events stream in.
SELECT session_id, integration_id, provider, status, status_stage AS stage,
       coalesce(started_at, created_at) AS started_at, last_event_at,
       date_diff('second', coalesce(started_at, created_at), $as_of) AS running_seconds,
       records_processed, error_count
FROM marts.fct_sync_sessions
WHERE NOT is_terminal AND last_event_at > $as_of - INTERVAL 6 HOUR
ORDER BY started_at, integration_id, session_id;
