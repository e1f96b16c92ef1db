-- Synthetic analyst snapshot, step 7: the hourly and daily time series and mart_entity_metrics,
-- aggregated from the generated facts like the dbt macro sync_timeseries and mart_entity_metrics.
--
-- One row per integration and bucket between its first and last sighting, plus '__all__' rows for
-- the fleet. Averages are computed from exact integer sums (durations in microseconds, latencies in
-- tenths of a millisecond, throughput in hundredths) so that parallel aggregation cannot change the
-- last bits of a DOUBLE between two runs.
-- Records are bucketed by the time the session last reported progress (its end, or its last event
-- while running): every entity of a session reports at that time.

CREATE OR REPLACE TEMP MACRO syn_timeseries(grain) AS TABLE
WITH spans AS (
    SELECT integration_id, first_seen_at, last_seen_at FROM marts.dim_integrations
    UNION ALL
    SELECT '__all__', min(first_seen_at), max(last_seen_at) FROM marts.dim_integrations HAVING count(*) > 0
),
buckets AS (
    SELECT
        integration_id,
        unnest(generate_series(date_trunc(grain, first_seen_at), date_trunc(grain, last_seen_at),
                               CASE grain WHEN 'hour' THEN INTERVAL 1 HOUR ELSE INTERVAL 1 DAY END)) AS bucket_start
    FROM spans
),
started AS (
    SELECT
        CASE WHEN grouping(integration_id) = 1 THEN '__all__' ELSE integration_id END AS integration_id,
        date_trunc(grain, started_at) AS bucket_start,
        count(*) AS sessions_started,
        max(last_ingested_at) AS last_ingested_at
    FROM marts.fct_sync_sessions
    GROUP BY GROUPING SETS ((integration_id, date_trunc(grain, started_at)), (date_trunc(grain, started_at)))
),
ended AS (
    SELECT
        CASE WHEN grouping(integration_id) = 1 THEN '__all__' ELSE integration_id END AS integration_id,
        date_trunc(grain, ended_at) AS bucket_start,
        count(*) AS sessions_ended,
        count(*) FILTER (WHERE outcome = 'succeeded') AS sessions_completed,
        count(*) FILTER (WHERE outcome = 'partial') AS sessions_partially_completed,
        count(*) FILTER (WHERE outcome = 'failed') AS sessions_failed,
        count(*) FILTER (WHERE outcome = 'cancelled') AS sessions_cancelled,
        sum(date_diff('microsecond', started_at, ended_at)) / count(*) / 1e6 AS duration_seconds_avg,
        quantile_cont(duration_seconds, 0.95) AS duration_seconds_p95,
        max(last_ingested_at) AS last_ingested_at
    FROM marts.fct_sync_sessions
    WHERE is_terminal
    GROUP BY GROUPING SETS ((integration_id, date_trunc(grain, ended_at)), (date_trunc(grain, ended_at)))
),
records AS (
    SELECT
        CASE WHEN grouping(integration_id) = 1 THEN '__all__' ELSE integration_id END AS integration_id,
        date_trunc(grain, last_event_at) AS bucket_start,
        sum(records_processed)::BIGINT AS records_processed,
        sum(records_failed)::BIGINT AS records_failed,
        max(last_ingested_at) AS last_ingested_at
    FROM marts.fct_sync_sessions
    WHERE records_processed > 0 OR records_failed > 0
    GROUP BY GROUPING SETS ((integration_id, date_trunc(grain, last_event_at)), (date_trunc(grain, last_event_at)))
),
errors AS (
    SELECT
        CASE WHEN grouping(integration_id) = 1 THEN '__all__' ELSE integration_id END AS integration_id,
        date_trunc(grain, occurred_at) AS bucket_start,
        count(*) FILTER (WHERE category = 'network') AS errors_network,
        count(*) FILTER (WHERE category = 'authentication') AS errors_authentication,
        count(*) FILTER (WHERE category = 'rate_limit') AS errors_rate_limit,
        count(*) FILTER (WHERE category = 'validation') AS errors_validation,
        count(*) FILTER (WHERE category = 'conflict') AS errors_conflict,
        count(*) FILTER (WHERE category = 'system') AS errors_system,
        count(*) AS errors_total,
        max(ingested_at) AS last_ingested_at
    FROM marts.fct_sync_errors
    GROUP BY GROUPING SETS ((integration_id, date_trunc(grain, occurred_at)), (date_trunc(grain, occurred_at)))
),
conflicts AS (
    SELECT
        CASE WHEN grouping(integration_id) = 1 THEN '__all__' ELSE integration_id END AS integration_id,
        date_trunc(grain, occurred_at) AS bucket_start,
        count(*) AS conflicts,
        count(*) FILTER (WHERE NOT is_resolved) AS conflicts_unresolved,
        max(ingested_at) AS last_ingested_at
    FROM marts.fct_sync_conflicts
    GROUP BY GROUPING SETS ((integration_id, date_trunc(grain, occurred_at)), (date_trunc(grain, occurred_at)))
),
metrics AS (
    SELECT
        CASE WHEN grouping(integration_id) = 1 THEN '__all__' ELSE integration_id END AS integration_id,
        date_trunc(grain, occurred_at) AS bucket_start,
        sum(api_calls)::BIGINT AS api_calls,
        -- call-weighted mean of the sessions' averages (latencies have one decimal: exact in tenths)
        coalesce(
            sum(round(api_latency_ms_avg * 10)::HUGEINT * api_calls) FILTER (WHERE api_calls > 0)
                / nullif(sum(api_calls) FILTER (WHERE api_calls > 0), 0) / 10.0,
            sum(round(api_latency_ms_avg * 10)::HUGEINT) / count(api_latency_ms_avg) / 10.0
        ) AS api_latency_ms_avg,
        quantile_cont(api_latency_ms_p95, 0.95) AS api_latency_ms_p95,
        sum(round(throughput_rps * 100)::HUGEINT) / count(throughput_rps) / 100.0 AS throughput_rps,
        max(ingested_at) AS last_ingested_at
    FROM marts.fct_session_metrics
    GROUP BY GROUPING SETS ((integration_id, date_trunc(grain, occurred_at)), (date_trunc(grain, occurred_at)))
),
checks AS (
    SELECT
        CASE WHEN grouping(integration_id) = 1 THEN '__all__' ELSE integration_id END AS integration_id,
        date_trunc(grain, checked_at) AS bucket_start,
        count(*) AS health_checks,
        count(*) FILTER (WHERE NOT is_reachable) AS health_checks_unreachable,
        sum(round(latency_ms * 10)::HUGEINT) / nullif(count(latency_ms), 0) / 10.0 AS health_check_latency_ms_avg,
        max(ingested_at) AS last_ingested_at
    FROM marts.fct_health_checks
    GROUP BY GROUPING SETS ((integration_id, date_trunc(grain, checked_at)), (date_trunc(grain, checked_at)))
)
SELECT
    b.integration_id,
    b.bucket_start,
    b.bucket_start + CASE grain WHEN 'hour' THEN INTERVAL 1 HOUR ELSE INTERVAL 1 DAY END AS bucket_end,
    coalesce(st.sessions_started, 0) AS sessions_started,
    coalesce(en.sessions_ended, 0) AS sessions_ended,
    coalesce(en.sessions_completed, 0) AS sessions_completed,
    coalesce(en.sessions_partially_completed, 0) AS sessions_partially_completed,
    coalesce(en.sessions_failed, 0) AS sessions_failed,
    coalesce(en.sessions_cancelled, 0) AS sessions_cancelled,
    en.sessions_completed / nullif(en.sessions_ended - en.sessions_cancelled, 0) AS success_rate,
    en.duration_seconds_avg,
    en.duration_seconds_p95,
    coalesce(rc.records_processed, 0) AS records_processed,
    coalesce(rc.records_failed, 0) AS records_failed,
    coalesce(er.errors_network, 0) AS errors_network,
    coalesce(er.errors_authentication, 0) AS errors_authentication,
    coalesce(er.errors_rate_limit, 0) AS errors_rate_limit,
    coalesce(er.errors_validation, 0) AS errors_validation,
    coalesce(er.errors_conflict, 0) AS errors_conflict,
    coalesce(er.errors_system, 0) AS errors_system,
    coalesce(er.errors_total, 0) AS errors_total,
    coalesce(cf.conflicts, 0) AS conflicts,
    coalesce(cf.conflicts_unresolved, 0) AS conflicts_unresolved,
    coalesce(mt.api_calls, 0) AS api_calls,
    mt.api_latency_ms_avg,
    mt.api_latency_ms_p95,
    mt.throughput_rps,
    coalesce(ch.health_checks, 0) AS health_checks,
    coalesce(ch.health_checks_unreachable, 0) AS health_checks_unreachable,
    ch.health_check_latency_ms_avg,
    greatest(st.last_ingested_at, en.last_ingested_at, rc.last_ingested_at, er.last_ingested_at,
             cf.last_ingested_at, mt.last_ingested_at, ch.last_ingested_at) AS last_ingested_at
FROM buckets AS b
LEFT JOIN started AS st ON st.integration_id = b.integration_id AND st.bucket_start = b.bucket_start
LEFT JOIN ended AS en ON en.integration_id = b.integration_id AND en.bucket_start = b.bucket_start
LEFT JOIN records AS rc ON rc.integration_id = b.integration_id AND rc.bucket_start = b.bucket_start
LEFT JOIN errors AS er ON er.integration_id = b.integration_id AND er.bucket_start = b.bucket_start
LEFT JOIN conflicts AS cf ON cf.integration_id = b.integration_id AND cf.bucket_start = b.bucket_start
LEFT JOIN metrics AS mt ON mt.integration_id = b.integration_id AND mt.bucket_start = b.bucket_start
LEFT JOIN checks AS ch ON ch.integration_id = b.integration_id AND ch.bucket_start = b.bucket_start;

INSERT INTO marts.mart_sync_timeseries_hourly BY NAME
SELECT * FROM syn_timeseries('hour') ORDER BY integration_id, bucket_start;

INSERT INTO marts.mart_sync_timeseries_daily BY NAME
SELECT * FROM syn_timeseries('day') ORDER BY integration_id, bucket_start;

INSERT INTO marts.mart_entity_metrics BY NAME
WITH reported AS (
    -- every session that did work reported all entity types of its integration at its last event
    SELECT j, max(last_event_at) AS last_reported_at FROM syn_sessions WHERE progress > 0 GROUP BY j
),
reports_ingested AS (
    SELECT integration_id, max(last_ingested_at) AS last_ingested_at
    FROM marts.fct_sync_sessions WHERE records_processed > 0 OR records_failed > 0 GROUP BY integration_id
),
records AS (
    SELECT
        i.integration_id,
        i.entity_types[p.e] AS entity_type,
        p.sessions_reporting,
        p.records_processed,
        p.records_created,
        p.records_updated,
        p.records_deleted,
        p.records_skipped,
        p.records_failed,
        r.last_reported_at,
        ri.last_ingested_at
    FROM (
        SELECT
            j,
            e,
            count(*) AS sessions_reporting,  -- one progress row per session and entity type
            sum(records_processed)::BIGINT AS records_processed,
            sum(records_created)::BIGINT AS records_created,
            sum(records_updated)::BIGINT AS records_updated,
            sum(records_deleted)::BIGINT AS records_deleted,
            sum(records_skipped)::BIGINT AS records_skipped,
            sum(records_failed)::BIGINT AS records_failed
        FROM syn_progress
        GROUP BY j, e
    ) AS p
    JOIN syn_integrations AS i ON i.j = p.j
    JOIN reported AS r ON r.j = p.j
    LEFT JOIN reports_ingested AS ri ON ri.integration_id = i.integration_id
),
errors AS (
    SELECT integration_id, entity_type, count(*) AS errors,
           count(*) FILTER (WHERE category = 'validation') AS validation_errors,
           max(ingested_at) AS last_ingested_at
    FROM marts.fct_sync_errors
    WHERE entity_type IS NOT NULL
    GROUP BY integration_id, entity_type
),
conflicts AS (
    SELECT integration_id, entity_type, count(*) AS conflicts,
           count(*) FILTER (WHERE NOT is_resolved) AS conflicts_unresolved,
           max(ingested_at) AS last_ingested_at
    FROM marts.fct_sync_conflicts
    WHERE entity_type IS NOT NULL
    GROUP BY integration_id, entity_type
),
per_integration AS (
    SELECT
        coalesce(r.integration_id, e.integration_id, c.integration_id) AS integration_id,
        coalesce(r.entity_type, e.entity_type, c.entity_type) AS entity_type,
        coalesce(r.sessions_reporting, 0) AS sessions_reporting,
        coalesce(r.records_processed, 0) AS records_processed,
        coalesce(r.records_created, 0) AS records_created,
        coalesce(r.records_updated, 0) AS records_updated,
        coalesce(r.records_deleted, 0) AS records_deleted,
        coalesce(r.records_skipped, 0) AS records_skipped,
        coalesce(r.records_failed, 0) AS records_failed,
        coalesce(e.errors, 0) AS errors,
        coalesce(e.validation_errors, 0) AS validation_errors,
        coalesce(c.conflicts, 0) AS conflicts,
        coalesce(c.conflicts_unresolved, 0) AS conflicts_unresolved,
        r.last_reported_at,
        greatest(r.last_ingested_at, e.last_ingested_at, c.last_ingested_at) AS last_ingested_at
    FROM records AS r
    FULL OUTER JOIN errors AS e ON r.integration_id = e.integration_id AND r.entity_type = e.entity_type
    FULL OUTER JOIN conflicts AS c
        ON coalesce(r.integration_id, e.integration_id) = c.integration_id
        AND coalesce(r.entity_type, e.entity_type) = c.entity_type
),
fleet AS (
    SELECT
        '__all__' AS integration_id,
        entity_type,
        sum(sessions_reporting) AS sessions_reporting,
        sum(records_processed) AS records_processed,
        sum(records_created) AS records_created,
        sum(records_updated) AS records_updated,
        sum(records_deleted) AS records_deleted,
        sum(records_skipped) AS records_skipped,
        sum(records_failed) AS records_failed,
        sum(errors) AS errors,
        sum(validation_errors) AS validation_errors,
        sum(conflicts) AS conflicts,
        sum(conflicts_unresolved) AS conflicts_unresolved,
        max(last_reported_at) AS last_reported_at,
        max(last_ingested_at) AS last_ingested_at
    FROM per_integration
    GROUP BY entity_type
),
combined AS (
    SELECT * FROM per_integration
    UNION ALL BY NAME
    SELECT * FROM fleet
)
SELECT
    c.integration_id,
    d.provider,
    c.entity_type,
    c.sessions_reporting::BIGINT AS sessions_reporting,
    c.records_processed::BIGINT AS records_processed,
    c.records_created::BIGINT AS records_created,
    c.records_updated::BIGINT AS records_updated,
    c.records_deleted::BIGINT AS records_deleted,
    c.records_skipped::BIGINT AS records_skipped,
    c.records_failed::BIGINT AS records_failed,
    c.records_failed / nullif(c.records_processed, 0) AS records_failed_rate,
    c.errors::BIGINT AS errors,
    c.validation_errors::BIGINT AS validation_errors,
    c.conflicts::BIGINT AS conflicts,
    c.conflicts_unresolved::BIGINT AS conflicts_unresolved,
    c.last_reported_at,
    c.last_ingested_at
FROM combined AS c
LEFT JOIN marts.dim_integrations AS d ON d.integration_id = c.integration_id
ORDER BY c.integration_id, c.entity_type;
