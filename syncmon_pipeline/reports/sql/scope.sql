-- The rows one report reads, cut to its period and filters once; every section query reads these.
-- $start/$end: naive UTC bounds; $integrations/$entity_types: empty list = all; $tz: the report's zone.
-- local_at: the session start in the report time zone, for buckets, hours of day and weekdays.
CREATE OR REPLACE TEMP TABLE report_sessions AS
SELECT *, timezone($tz, timezone('UTC', coalesce(started_at, created_at))) AS local_at
FROM marts.fct_sync_sessions
WHERE coalesce(started_at, created_at) >= $start AND coalesce(started_at, created_at) < $end
  AND (len($integrations::VARCHAR[]) = 0 OR list_contains($integrations::VARCHAR[], integration_id))
  AND (len($entity_types::VARCHAR[]) = 0 OR list_has_any(entity_types, $entity_types::VARCHAR[]));

CREATE OR REPLACE TEMP TABLE report_errors AS
SELECT e.*, timezone($tz, timezone('UTC', e.occurred_at)) AS local_at
FROM marts.fct_sync_errors AS e
WHERE e.occurred_at >= $start AND e.occurred_at < $end
  AND (len($integrations::VARCHAR[]) = 0 OR list_contains($integrations::VARCHAR[], e.integration_id))
  AND (len($entity_types::VARCHAR[]) = 0 OR list_contains($entity_types::VARCHAR[], e.entity_type));

CREATE OR REPLACE TEMP TABLE report_warnings AS
SELECT w.*
FROM marts.fct_sync_warnings AS w
WHERE w.occurred_at >= $start AND w.occurred_at < $end
  AND (len($integrations::VARCHAR[]) = 0 OR list_contains($integrations::VARCHAR[], w.integration_id))
  AND (len($entity_types::VARCHAR[]) = 0 OR list_contains($entity_types::VARCHAR[], w.entity_type));

CREATE OR REPLACE TEMP TABLE report_conflicts AS
SELECT c.*, timezone($tz, timezone('UTC', c.occurred_at)) AS local_at
FROM marts.fct_sync_conflicts AS c
WHERE c.occurred_at >= $start AND c.occurred_at < $end
  AND (len($integrations::VARCHAR[]) = 0 OR list_contains($integrations::VARCHAR[], c.integration_id))
  AND (len($entity_types::VARCHAR[]) = 0 OR list_contains($entity_types::VARCHAR[], c.entity_type));

CREATE OR REPLACE TEMP TABLE report_metrics AS
SELECT m.*
FROM marts.fct_session_metrics AS m
SEMI JOIN report_sessions AS s ON s.session_id = m.session_id;

CREATE OR REPLACE TEMP TABLE report_health_checks AS
SELECT h.*
FROM marts.fct_health_checks AS h
WHERE h.checked_at >= $start AND h.checked_at < $end
  AND (len($integrations::VARCHAR[]) = 0 OR list_contains($integrations::VARCHAR[], h.integration_id));
