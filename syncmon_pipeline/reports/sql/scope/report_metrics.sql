-- Metrics of the period's sessions. A session's metrics come after its start, so the metric time
-- narrows the rows before they are matched to the sessions (sessions last far less than 7 days).
-- A session is (integration_id, session_id): session ids are unique per integration only.
CREATE OR REPLACE TEMP TABLE report_metrics AS
SELECT m.session_id, m.integration_id, m.api_calls, m.api_errors, m.api_latency_ms_avg, m.api_latency_ms_p95,
       m.throughput_rps, m.cpu_pct, m.memory_mb
FROM marts.fct_session_metrics AS m
WHERE m.occurred_at >= $start AND m.occurred_at < $end + INTERVAL 7 DAY
  AND (m.integration_id, m.session_id) IN (SELECT integration_id, session_id FROM report_sessions);
