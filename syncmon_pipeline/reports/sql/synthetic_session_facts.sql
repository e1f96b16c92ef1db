-- Synthetic analyst snapshot, step 5: fct_sync_sessions, folded from the sessions and their events
-- like the dbt model does (record counts from the entity progress, error summary from the errors).
-- Salts 300-309.

INSERT INTO marts.fct_sync_sessions BY NAME
WITH error_summary AS (
    SELECT
        idx,
        count(*) AS error_count,
        arg_max(category, (occurred_at, event_id)) AS last_error_category,
        arg_max(message, (occurred_at, event_id)) AS last_error_message,
        max(occurred_at) AS last_error_at
    FROM syn_errors
    GROUP BY idx
)
SELECT
    s.session_id,
    i.integration_id,
    i.provider,
    s.sync_type,
    i.direction,
    s.triggered_by,
    s.retry_of,
    i.entity_types,
    s.status,
    s.status_stage,
    CASE s.status
        WHEN 'failed' THEN CASE s.fail_category
            WHEN 'network' THEN i.host || ' unreachable after ' || (1 + syn_hash($seed, s.idx, 300) % 3) || ' attempts'
            WHEN 'authentication' THEN 'authentication failed: credentials rejected by provider'
            WHEN 'rate_limit' THEN 'rate limit exceeded; retry budget exhausted'
            WHEN 'validation' THEN 'load aborted: too many records rejected by validation'
            WHEN 'conflict' THEN 'load aborted: unresolvable conflicts with target'
            ELSE 'unhandled error in sync worker' END
        WHEN 'timed_out' THEN 'exceeded max runtime of ' || i.max_runtime_s || ' s'
        WHEN 'cancelled' THEN ['cancelled by [REDACTED_EMAIL] from the admin console',
                               'cancelled: superseded by a newer run',
                               'cancelled by scheduler during maintenance window'][1 + syn_hash($seed, s.idx, 301) % 3]
        WHEN 'partially_completed' THEN t.records_failed || ' of ' || t.records_processed || ' records failed'
        WHEN 'completed_with_warnings' THEN 'finished with warnings'
    END AS status_reason,
    s.is_terminal,
    s.outcome,
    s.started_at AS created_at,
    s.started_at,
    s.ended_at,
    s.started_at AS first_event_at,
    s.last_event_at,
    s.duration_us / 1e6 AS duration_seconds,
    coalesce(t.records_processed, 0) AS records_processed,
    coalesce(t.records_created, 0) AS records_created,
    coalesce(t.records_updated, 0) AS records_updated,
    coalesce(t.records_deleted, 0) AS records_deleted,
    coalesce(t.records_skipped, 0) AS records_skipped,
    coalesce(t.records_failed, 0) AS records_failed,
    coalesce(e.error_count, 0) AS error_count,
    s.n_warnings AS warning_count,
    s.n_conflicts AS conflict_count,
    e.last_error_category,
    e.last_error_message,
    e.last_error_at,
    least($end::TIMESTAMP, s.last_event_at + syn_secs(2 + 120 * syn_u($seed, s.idx, 302))) AS last_ingested_at
FROM syn_sessions AS s
JOIN syn_integrations AS i ON i.j = s.j
LEFT JOIN syn_totals AS t ON t.idx = s.idx
LEFT JOIN error_summary AS e ON e.idx = s.idx
ORDER BY s.started_at, s.session_id;

-- Hostile text: a spreadsheet formula at the start of the latest partial run's reason.
UPDATE marts.fct_sync_sessions SET status_reason = '@SUM(A1) ' || status_reason
WHERE $hostile AND (integration_id, session_id) IN (
    SELECT integration_id, session_id FROM marts.fct_sync_sessions WHERE status = 'partially_completed'
    ORDER BY started_at DESC, session_id, integration_id LIMIT 1
);
