-- Synthetic analyst snapshot, step 1: the pseudo-random helpers and the published tables.
--
-- Randomness is a pure function of (seed, key, salt): a 32-bit integer hash (murmur3's finaliser,
-- in plain integer arithmetic) so the output does not depend on DuckDB's own hash(), which may
-- change between releases. `seed` is already mixed to 32 bits by the caller. Each draw uses its
-- own salt (numbered per file) so that draws of one row are independent.
-- The helpers are TEMP macros: they live in this connection only, never in the written file.

CREATE OR REPLACE TEMP MACRO syn_m1(h) AS (xor(h, h >> 16) * 2246822507::UBIGINT) & 4294967295::UBIGINT;
CREATE OR REPLACE TEMP MACRO syn_m2(h) AS (xor(h, h >> 13) * 3266489909::UBIGINT) & 4294967295::UBIGINT;
-- 0 <= syn_hash < 2^32, keys below ~3e9
CREATE OR REPLACE TEMP MACRO syn_hash(seed, k, salt) AS
    (xor(syn_m2(syn_m1(((k * 2654435761 + salt * 2246822519 + seed) & 4294967295)::UBIGINT)),
         syn_m2(syn_m1(((k * 2654435761 + salt * 2246822519 + seed) & 4294967295)::UBIGINT)) >> 16))::BIGINT;
-- uniform in [0, 1)
CREATE OR REPLACE TEMP MACRO syn_u(seed, k, salt) AS syn_hash(seed, k, salt) / 4294967296.0;
-- an element of a list, uniformly
CREATE OR REPLACE TEMP MACRO syn_pick(h, xs) AS xs[1 + h % len(xs)];
-- a deterministic UUID (md5 is the same everywhere)
CREATE OR REPLACE TEMP MACRO syn_uuid(seed, tag, k) AS md5_number(tag || ':' || seed || ':' || k)::UUID;
-- seconds (fractional) as an interval, rounded to the microsecond
CREATE OR REPLACE TEMP MACRO syn_secs(x) AS to_microseconds(round(x * 1e6)::BIGINT);
-- an ISO 8601 UTC instant as Python's datetime.isoformat() writes an aware one
CREATE OR REPLACE TEMP MACRO syn_iso(ts) AS
    CASE WHEN ts IS NULL THEN NULL
         WHEN microsecond(ts) % 1000000 = 0 THEN strftime(ts, '%Y-%m-%dT%H:%M:%S') || '+00:00'
         ELSE strftime(ts, '%Y-%m-%dT%H:%M:%S.%f') || '+00:00' END;
-- str() of an aware UTC datetime, as syncmon_pipeline.alerts.model.stable_id sees it
CREATE OR REPLACE TEMP MACRO syn_pystr(ts) AS
    CASE WHEN microsecond(ts) % 1000000 = 0 THEN strftime(ts, '%Y-%m-%d %H:%M:%S') || '+00:00'
         ELSE strftime(ts, '%Y-%m-%d %H:%M:%S.%f') || '+00:00' END;

CREATE SCHEMA marts;
CREATE SCHEMA anomaly;
CREATE SCHEMA alerts;
CREATE SCHEMA retention;

-- The published tables, column for column as the real snapshot has them (CREATE TABLE AS copies:
-- no keys, no NOT NULL).
CREATE TABLE marts.dim_integrations (
    integration_id VARCHAR, provider VARCHAR, first_seen_at TIMESTAMP, last_seen_at TIMESTAMP,
    usual_cadence_seconds DOUBLE, entity_types VARCHAR[], sessions_total BIGINT, scheduled_sessions BIGINT,
    first_session_started_at TIMESTAMP, last_session_started_at TIMESTAMP, health_checks_total BIGINT
);

CREATE TABLE marts.fct_sync_sessions (
    session_id VARCHAR, integration_id VARCHAR, provider VARCHAR, sync_type VARCHAR, direction VARCHAR,
    triggered_by VARCHAR, retry_of VARCHAR, entity_types VARCHAR[], status VARCHAR, status_stage VARCHAR,
    status_reason VARCHAR, is_terminal BOOLEAN, outcome VARCHAR, created_at TIMESTAMP, started_at TIMESTAMP,
    ended_at TIMESTAMP, first_event_at TIMESTAMP, last_event_at TIMESTAMP, duration_seconds DOUBLE,
    records_processed BIGINT, records_created BIGINT, records_updated BIGINT, records_deleted BIGINT,
    records_skipped BIGINT, records_failed BIGINT, error_count BIGINT, warning_count BIGINT, conflict_count BIGINT,
    last_error_category VARCHAR, last_error_message VARCHAR, last_error_at TIMESTAMP, last_ingested_at TIMESTAMP
);

CREATE TABLE marts.fct_sync_errors (
    event_id UUID, session_id VARCHAR, integration_id VARCHAR, provider VARCHAR, occurred_at TIMESTAMP,
    category VARCHAR, severity VARCHAR, error_code VARCHAR, message VARCHAR, entity_type VARCHAR,
    entity_id VARCHAR, is_retryable BOOLEAN, retry_count BIGINT, ingested_at TIMESTAMP
);

CREATE TABLE marts.fct_sync_warnings (
    event_id UUID, session_id VARCHAR, integration_id VARCHAR, provider VARCHAR, occurred_at TIMESTAMP,
    warning_code VARCHAR, message VARCHAR, entity_type VARCHAR, entity_id VARCHAR, ingested_at TIMESTAMP
);

CREATE TABLE marts.fct_sync_conflicts (
    event_id UUID, session_id VARCHAR, integration_id VARCHAR, provider VARCHAR, occurred_at TIMESTAMP,
    entity_type VARCHAR, entity_id VARCHAR, field_name VARCHAR, strategy VARCHAR, is_resolved BOOLEAN,
    ingested_at TIMESTAMP
);

CREATE TABLE marts.fct_session_metrics (
    event_id UUID, session_id VARCHAR, integration_id VARCHAR, provider VARCHAR, occurred_at TIMESTAMP,
    api_calls BIGINT, api_errors BIGINT, api_latency_ms_avg DOUBLE, api_latency_ms_p95 DOUBLE,
    throughput_rps DOUBLE, cache_hits BIGINT, cache_misses BIGINT, cpu_pct DOUBLE, memory_mb DOUBLE,
    rate_limit_remaining BIGINT, ingested_at TIMESTAMP
);

CREATE TABLE marts.fct_health_checks (
    event_id UUID, integration_id VARCHAR, provider VARCHAR, checked_at TIMESTAMP, is_reachable BOOLEAN,
    latency_ms DOUBLE, auth_status VARCHAR, rate_limit_remaining BIGINT, message VARCHAR, ingested_at TIMESTAMP
);

CREATE TABLE marts.mart_entity_metrics (
    integration_id VARCHAR, provider VARCHAR, entity_type VARCHAR, sessions_reporting BIGINT,
    records_processed BIGINT, records_created BIGINT, records_updated BIGINT, records_deleted BIGINT,
    records_skipped BIGINT, records_failed BIGINT, records_failed_rate DOUBLE, errors BIGINT,
    validation_errors BIGINT, conflicts BIGINT, conflicts_unresolved BIGINT, last_reported_at TIMESTAMP,
    last_ingested_at TIMESTAMP
);

CREATE TABLE marts.mart_integration_health (
    integration_id VARCHAR, provider VARCHAR, as_of TIMESTAMP, status VARCHAR, status_reason VARCHAR,
    success_rate_24h DOUBLE, success_rate_7d DOUBLE, success_rate_30d DOUBLE, availability_24h DOUBLE,
    availability_7d DOUBLE, availability_30d DOUBLE, consecutive_failures BIGINT,
    last_successful_sync_at TIMESTAMP, sessions_ended_24h BIGINT, sessions_started BIGINT,
    last_session_started_at TIMESTAMP, latest_session_status VARCHAR, usual_cadence_seconds DOUBLE,
    last_health_check_at TIMESTAMP, last_health_check_reachable BOOLEAN, latest_checks_unreachable BIGINT,
    unreachable_checks_1h BIGINT, last_auth_status VARCHAR, last_auth_status_at TIMESTAMP,
    open_error_categories VARCHAR[]
);

CREATE TABLE marts.mart_sync_timeseries_hourly (
    integration_id VARCHAR, bucket_start TIMESTAMP, bucket_end TIMESTAMP, sessions_started BIGINT,
    sessions_ended BIGINT, sessions_completed BIGINT, sessions_partially_completed BIGINT, sessions_failed BIGINT,
    sessions_cancelled BIGINT, success_rate DOUBLE, duration_seconds_avg DOUBLE, duration_seconds_p95 DOUBLE,
    records_processed BIGINT, records_failed BIGINT, errors_network BIGINT, errors_authentication BIGINT,
    errors_rate_limit BIGINT, errors_validation BIGINT, errors_conflict BIGINT, errors_system BIGINT,
    errors_total BIGINT, conflicts BIGINT, conflicts_unresolved BIGINT, api_calls BIGINT,
    api_latency_ms_avg DOUBLE, api_latency_ms_p95 DOUBLE, throughput_rps DOUBLE, health_checks BIGINT,
    health_checks_unreachable BIGINT, health_check_latency_ms_avg DOUBLE, last_ingested_at TIMESTAMP
);

CREATE TABLE marts.mart_sync_timeseries_daily AS FROM marts.mart_sync_timeseries_hourly LIMIT 0;

CREATE TABLE anomaly.anomaly_scores (
    integration_id VARCHAR, metric VARCHAR, bucket_start TIMESTAMP, value DOUBLE, expected DOUBLE,
    lower_band DOUBLE, upper_band DOUBLE, score DOUBLE, is_anomaly BOOLEAN, direction VARCHAR, method VARCHAR,
    scored_at TIMESTAMP
);

-- anomaly.session_anomaly_scores: syncmon_pipeline/anomaly/session_tables.sql (no report reads it)
CREATE TABLE anomaly.session_anomaly_scores (
    integration_id VARCHAR, session_id VARCHAR, sync_type VARCHAR, measure VARCHAR, ended_at TIMESTAMP, value DOUBLE,
    expected DOUBLE, lower_band DOUBLE, upper_band DOUBLE, score DOUBLE, is_anomaly BOOLEAN, direction VARCHAR,
    alert_type VARCHAR, history_days DOUBLE, method VARCHAR, scored_at TIMESTAMP
);

-- alerts.*: syncmon_pipeline/alerts/sql/store_tables.sql and ledger_tables.sql, as copied into the snapshot
CREATE TABLE alerts.alerts (
    alert_id VARCHAR, fingerprint VARCHAR, rule VARCHAR, alert_type VARCHAR, severity VARCHAR,
    integration_id VARCHAR, provider VARCHAR, labels JSON, status VARCHAR, started_at TIMESTAMP,
    pending_since TIMESTAMP, fired_at TIMESTAMP, acknowledged_at TIMESTAMP, acknowledged_by VARCHAR,
    resolved_at TIMESTAMP, resolved_by VARCHAR, last_observed_at TIMESTAMP, value DOUBLE, threshold DOUBLE,
    summary VARCHAR, evidence JSON, escalated_at TIMESTAMP, escalation_count INTEGER, silenced_by VARCHAR,
    inhibited_by VARCHAR, updated_at TIMESTAMP
);

CREATE TABLE alerts.silences (
    silence_id VARCHAR, matchers JSON, starts_at TIMESTAMP, ends_at TIMESTAMP, author VARCHAR, comment VARCHAR,
    created_at TIMESTAMP, expired_at TIMESTAMP
);

CREATE TABLE alerts.pipeline_failures (
    run_id VARCHAR, job_name VARCHAR, failed_at TIMESTAMP, message VARCHAR, resolved_at TIMESTAMP
);

CREATE TABLE alerts.notifications (
    notification_id VARCHAR, channel VARCHAR, target VARCHAR, transition VARCHAR, sequence INTEGER,
    integration_id VARCHAR, alert_ids VARCHAR[], fingerprints VARCHAR[], message JSON, created_at TIMESTAMP,
    queued_at TIMESTAMP, status VARCHAR, attempts INTEGER, next_attempt_at TIMESTAMP, delivered_at TIMESTAMP,
    last_error VARCHAR
);

CREATE TABLE alerts.delivery_attempts (
    notification_id VARCHAR, attempt INTEGER, channel VARCHAR, target VARCHAR, started_at TIMESTAMP,
    finished_at TIMESTAMP, outcome VARCHAR, http_status INTEGER, error VARCHAR, next_retry_at TIMESTAMP
);

CREATE TABLE retention.archives (
    archive_id VARCHAR, archived_at TIMESTAMP, source_table VARCHAR, cutoff TIMESTAMP, path VARCHAR, rows BIGINT,
    first_occurred_at TIMESTAMP, last_occurred_at TIMESTAMP, bytes BIGINT, sha256 VARCHAR
);

CREATE TABLE retention.removed_reports (
    removed_at TIMESTAMP, report_type VARCHAR, period_label VARCHAR, path VARCHAR, period_end TIMESTAMP
);
