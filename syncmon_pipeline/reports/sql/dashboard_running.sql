-- Sessions running now: not finished, and heard from within 6 hours of the data's as-of time.
SELECT integration_id, provider, status, status_stage AS stage, coalesce(started_at, created_at) AS started_at,
       last_event_at, date_diff('second', coalesce(started_at, created_at), $as_of) AS running_seconds,
       records_processed, error_count
FROM marts.fct_sync_sessions
WHERE NOT is_terminal AND last_event_at > $as_of - INTERVAL 6 HOUR
ORDER BY started_at, integration_id;
