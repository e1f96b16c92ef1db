-- Integrations with their health row (if any), by id, one keyset page: $after is the last id of the
-- previous page. A filter that is NULL is not applied.
SELECT d.integration_id, d.provider, d.first_seen_at, d.last_seen_at, d.usual_cadence_seconds, d.entity_types,
       d.sessions_total, d.health_checks_total, d.last_session_started_at,
       h.integration_id IS NOT NULL AS has_health,
       h.status, h.status_reason, h.as_of, h.success_rate_24h, h.success_rate_7d, h.success_rate_30d,
       h.availability_24h, h.availability_7d, h.availability_30d, h.consecutive_failures,
       h.last_successful_sync_at, h.sessions_ended_24h, h.latest_session_status, h.last_health_check_at,
       h.last_health_check_reachable, h.last_auth_status, h.open_error_categories
FROM marts.dim_integrations AS d
LEFT JOIN marts.mart_integration_health AS h ON h.integration_id = d.integration_id
WHERE ($integration_id IS NULL OR d.integration_id = $integration_id)
  AND ($provider IS NULL OR d.provider = $provider)
  AND ($status IS NULL OR h.status = $status)
  AND ($after IS NULL OR d.integration_id > $after)
ORDER BY d.integration_id
LIMIT $limit;
