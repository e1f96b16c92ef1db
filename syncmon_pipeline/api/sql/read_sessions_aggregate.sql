-- Figures over every session the filters of read_sessions.sql match (same filters, no page).
WITH as_of AS (
    SELECT coalesce((SELECT max(as_of) FROM marts.mart_integration_health),
                    (SELECT max(last_event_at) FROM marts.fct_sync_sessions)) AS as_of
), matched AS (
    SELECT s.*
    FROM marts.fct_sync_sessions AS s, as_of
    WHERE ($integration_id IS NULL OR s.integration_id = $integration_id)
      AND ($provider IS NULL OR s.provider = $provider)
      AND (len($statuses) = 0 OR list_contains($statuses, s.status))
      AND ($sync_type IS NULL OR s.sync_type = $sync_type)
      AND ($outcome IS NULL OR s.outcome = $outcome)
      AND (NOT $current OR (NOT s.is_terminal AND s.last_event_at > as_of.as_of - INTERVAL 6 HOUR))
      AND ($started_after::TIMESTAMP IS NULL
           OR coalesce(s.started_at, s.created_at, s.first_event_at, s.last_event_at, TIMESTAMP '1970-01-01')
              >= $started_after::TIMESTAMP)
      AND ($started_before::TIMESTAMP IS NULL
           OR coalesce(s.started_at, s.created_at, s.first_event_at, s.last_event_at, TIMESTAMP '1970-01-01')
              < $started_before::TIMESTAMP)
)
SELECT count(*) AS sessions,
       histogram(status) AS by_status,
       histogram(outcome) FILTER (WHERE is_terminal) AS by_outcome,
       count(*) FILTER (WHERE is_terminal AND outcome = 'succeeded')
           / nullif(count(*) FILTER (WHERE is_terminal AND outcome IS DISTINCT FROM 'cancelled'), 0) AS success_rate,
       avg(duration_seconds) FILTER (WHERE is_terminal) AS avg_duration_seconds,
       quantile_cont(duration_seconds, 0.95) FILTER (WHERE is_terminal) AS p95_duration_seconds
FROM matched;
