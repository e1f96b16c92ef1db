-- Fleet-wide overview figures as of the instant mart_integration_health describes.
WITH as_of AS (
    SELECT coalesce(max(as_of), (SELECT max(last_event_at) FROM marts.fct_sync_sessions)) AS as_of
    FROM marts.mart_integration_health
), sessions AS (
    SELECT s.* FROM marts.fct_sync_sessions AS s, as_of WHERE s.first_event_at <= as_of.as_of
), recent AS (
    SELECT s.* FROM sessions AS s, as_of WHERE s.is_terminal AND s.ended_at > as_of.as_of - INTERVAL 24 HOUR
)
SELECT
    (SELECT as_of FROM as_of) AS as_of,
    (SELECT count(*) FROM sessions AS s, as_of
        WHERE NOT s.is_terminal AND s.last_event_at > as_of.as_of - INTERVAL 6 HOUR) AS active_syncs,
    (SELECT count(*) FILTER (WHERE outcome = 'succeeded') / nullif(count(*) FILTER (WHERE outcome <> 'cancelled'), 0)
        FROM recent) AS completion_rate_24h,
    (SELECT avg(duration_seconds) FROM recent) AS avg_duration_seconds_24h,
    (SELECT avg(availability_24h) FROM marts.mart_integration_health) AS uptime_24h,
    (SELECT count(*) FROM marts.mart_integration_health) AS integrations_total,
    (SELECT count(*) FILTER (WHERE status = 'healthy') FROM marts.mart_integration_health) AS integrations_healthy,
    (SELECT count(*) FILTER (WHERE status = 'degraded') FROM marts.mart_integration_health) AS integrations_degraded,
    (SELECT count(*) FILTER (WHERE status = 'down') FROM marts.mart_integration_health) AS integrations_down,
    (SELECT count(*) FILTER (WHERE status = 'stale') FROM marts.mart_integration_health) AS integrations_stale,
    (SELECT count(*) FILTER (WHERE status = 'unknown') FROM marts.mart_integration_health) AS integrations_unknown;
