SELECT integration_id, provider, status, status_reason, success_rate_24h, availability_24h, consecutive_failures,
       last_successful_sync_at, latest_session_status, last_auth_status
FROM marts.mart_integration_health
ORDER BY CASE status WHEN 'down' THEN 0 WHEN 'degraded' THEN 1 WHEN 'stale' THEN 2 WHEN 'unknown' THEN 3 ELSE 4 END,
         integration_id;
