-- The measures of every ended session not scored yet, oldest first per integration. A session is
-- scored once, when it has ended: after the newest point its integration's series hold (ended_at, then
-- session_id), so a session that lands later but ended earlier is not scored (streams only move on).
WITH scored AS (
    SELECT integration_id, max((last_ended_at, last_session_id)) AS mark
    FROM anomaly.session_detector_state GROUP BY integration_id
),
-- a pause (a provider's maintenance window) is not the synchronizer being slow: duration and
-- throughput count the time the session ran
paused AS (
    SELECT integration_id, session_id, sum(duration_seconds) AS paused_seconds
    FROM intermediate.int_session_status_history
    WHERE status = 'paused'
    GROUP BY integration_id, session_id
),
metrics AS (
    SELECT integration_id, session_id, avg(api_latency_ms_avg) AS api_latency_ms,
           max(cpu_pct) AS cpu_pct, max(memory_mb) AS memory_mb
    FROM marts.fct_session_metrics GROUP BY integration_id, session_id
)
SELECT s.integration_id, s.session_id, coalesce(s.sync_type, 'unknown') AS sync_type, s.ended_at,
       greatest(s.duration_seconds - coalesce(p.paused_seconds, 0), 0)::DOUBLE AS duration_seconds,
       m.api_latency_ms,
       s.records_processed / nullif(s.duration_seconds - coalesce(p.paused_seconds, 0), 0) AS throughput_rps,
       s.records_processed::DOUBLE AS records_processed,
       s.records_failed / nullif(s.records_processed, 0) AS failed_record_share,
       m.cpu_pct, m.memory_mb
FROM marts.fct_sync_sessions AS s
LEFT JOIN metrics AS m USING (integration_id, session_id)
LEFT JOIN paused AS p USING (integration_id, session_id)
LEFT JOIN scored AS sc USING (integration_id)
WHERE s.ended_at IS NOT NULL AND s.ended_at <= $ended_before
  -- a failed or cancelled run is sync_failure's business: its duration and throughput say nothing
  AND s.outcome IN ('succeeded', 'partial')
  AND (sc.mark IS NULL OR (s.ended_at, s.session_id) > sc.mark)
ORDER BY s.integration_id, s.ended_at, s.session_id;
