-- Sessions newest first (by start, or creation for one not started yet), one keyset page: the
-- cursor (the after_* parameters) is the last row's (sort_at, integration_id, session_id). NULL filters (empty
-- lists) are not applied. $current keeps the sessions running now, as on the dashboard: not
-- finished, and heard from within 6 hours of the data's as-of time.
WITH as_of AS (
    SELECT coalesce((SELECT max(as_of) FROM marts.mart_integration_health),
                    (SELECT max(last_event_at) FROM marts.fct_sync_sessions)) AS as_of
), sessions AS (
    SELECT s.*,
           coalesce(s.started_at, s.created_at, s.first_event_at, s.last_event_at, TIMESTAMP '1970-01-01') AS sort_at,
           CASE WHEN NOT s.is_terminal THEN
               date_diff('millisecond', coalesce(s.started_at, s.created_at, s.first_event_at), as_of.as_of) / 1000.0
           END AS running_seconds
    FROM marts.fct_sync_sessions AS s, as_of
    WHERE ($session_id IS NULL OR s.session_id = $session_id)
      AND ($integration_id IS NULL OR s.integration_id = $integration_id)
      AND ($provider IS NULL OR s.provider = $provider)
      AND (len($statuses) = 0 OR list_contains($statuses, s.status))
      AND ($sync_type IS NULL OR s.sync_type = $sync_type)
      AND ($outcome IS NULL OR s.outcome = $outcome)
      AND (NOT $current OR (NOT s.is_terminal AND s.last_event_at > as_of.as_of - INTERVAL 6 HOUR))
)
SELECT * FROM sessions
WHERE ($started_after::TIMESTAMP IS NULL OR sort_at >= $started_after::TIMESTAMP)
  AND ($started_before::TIMESTAMP IS NULL OR sort_at < $started_before::TIMESTAMP)
  AND ($after_at::TIMESTAMP IS NULL
       OR sort_at < $after_at::TIMESTAMP
       OR (sort_at = $after_at::TIMESTAMP AND integration_id < $after_integration)
       OR (sort_at = $after_at::TIMESTAMP AND integration_id = $after_integration AND session_id < $after_session))
ORDER BY sort_at DESC, integration_id DESC, session_id DESC
LIMIT $limit;
