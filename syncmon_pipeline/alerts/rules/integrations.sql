-- The integrations the rules look at, with their provider (per-provider overrides key on it).
-- Read from the facts every ingest refreshes, not dim_integrations (rebuilt by the analytics job
-- every few minutes): a new integration that fails on its first sessions must page within a minute.
SELECT integration_id, arg_max(provider, last_seen) AS provider
FROM (
    SELECT integration_id, provider, max(last_event_at) AS last_seen FROM marts.fct_sync_sessions GROUP BY ALL
    UNION ALL
    SELECT integration_id, provider, max(checked_at) AS last_seen FROM marts.fct_health_checks GROUP BY ALL
)
GROUP BY integration_id
ORDER BY integration_id;
