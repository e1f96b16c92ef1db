-- Synthetic analyst snapshot, step 3: the sessions (TEMP tables syn_slots, syn_sessions). Salts 100-149.
--
-- Integration j runs c sessions, one per slot of spacing_s seconds from the start of the period (jittered), each with
-- the global index idx = o + k. Times are kept as seconds since the start until the end.
-- Status mix (before roles): completed ~89.5 %, completed_with_warnings 4.5 %, partially_completed
-- 2.2 %, failed 3 %, timed_out 0.4 %, cancelled 0.4 %. A session whose end would fall after the end is
-- still running, and a few sessions started in the last hour are kept running.

-- The (integration, slot) keys first: unnesting from the small fleet table runs on one thread, the
-- steps that read this table run in parallel.
CREATE TEMP TABLE syn_slot_keys AS
SELECT j, unnest(range(c)) AS k FROM syn_integrations;

CREATE TEMP TABLE syn_slots AS
WITH drawn AS (
    SELECT
        i.j, s.k, i.o + s.k AS idx, i.c, i.role, i.webhooks, i.cadence_type, i.records_held, i.base_rps,
        i.max_runtime_s, i.span_s, i.active_s, i.spacing_s, i.incident_s, i.protect_s,
        greatest(0.0, least(i.active_s - 1.0,
            (s.k + i.phase) * i.spacing_s + (syn_u($seed, i.o + s.k, 100) - 0.5) * 0.3 * i.spacing_s)) AS slot_s,
        syn_u($seed, i.o + s.k, 101) AS u_trigger,
        syn_u($seed, i.o + s.k, 102) AS u_records,
        syn_u($seed, i.o + s.k, 103) AS u_status,
        syn_u($seed, i.o + s.k, 104) AS u_speed,
        syn_hash($seed, i.o + s.k, 105) AS h_category
    FROM syn_slot_keys AS s
    JOIN syn_integrations AS i ON i.j = s.j
),
typed AS (
    SELECT
        *,
        CASE WHEN webhooks AND u_trigger < 0.05 THEN 'webhook'
             WHEN u_trigger > 0.992 THEN 'manual' ELSE 'schedule' END AS trigger_kind,
        CASE WHEN webhooks AND u_trigger < 0.05 THEN 'realtime'
             WHEN u_trigger > 0.996 THEN 'full' ELSE cadence_type END AS sync_type,
        CASE
            WHEN role IN ('down_auth', 'down_network') AND slot_s + 60 > span_s - incident_s THEN 'failed'
            WHEN role = 'degraded' AND k >= c - 2 THEN 'failed'
            WHEN role = 'degraded' AND k = c - 3 THEN 'completed'
            WHEN role <> 'degraded' AND slot_s > active_s - protect_s
                THEN CASE WHEN u_status < 0.05 THEN 'completed_with_warnings' ELSE 'completed' END
            WHEN u_status < 0.030 THEN 'failed'
            WHEN u_status < 0.034 THEN 'timed_out'
            WHEN u_status < 0.038 THEN 'cancelled'
            WHEN u_status < 0.060 THEN 'partially_completed'
            WHEN u_status < 0.105 THEN 'completed_with_warnings'
            ELSE 'completed'
        END AS planned_status
    FROM drawn
),
categorised AS (
    SELECT
        *,
        CASE
            WHEN planned_status <> 'failed' THEN NULL
            WHEN role = 'down_auth' THEN 'authentication'
            WHEN role IN ('down_network', 'degraded') THEN 'network'
            ELSE ['authentication', 'authentication', 'authentication', 'authentication', 'authentication',
                  'authentication', 'authentication', 'network', 'network', 'network', 'network', 'network',
                  'system', 'system', 'system', 'system', 'conflict', 'conflict', 'rate_limit',
                  'validation'][1 + h_category % 20]
        END AS fail_category,
        -- records the session would process if it ran to the end
        CASE sync_type
            WHEN 'realtime' THEN 1 + floor(40 * u_records)
            WHEN 'delta' THEN floor(records_held * exp(ln(0.002) + u_records * ln(15)))
            WHEN 'incremental' THEN floor(records_held * exp(ln(0.01) + u_records * ln(8)))
            ELSE floor(records_held * (0.6 + 0.4 * u_records))
        END::BIGINT AS records_planned
    FROM typed
)
SELECT
    j, k, idx, role, span_s, max_runtime_s, slot_s, trigger_kind, sync_type, planned_status, fail_category,
    records_planned,
    CASE planned_status
        WHEN 'failed' THEN CASE WHEN fail_category = 'authentication' THEN 0.8 + 6 * u_speed
                                ELSE 2 + 90 * u_speed * u_speed END
        WHEN 'timed_out' THEN max_runtime_s + 5 * u_speed
        WHEN 'cancelled' THEN 3 + 600 * u_speed * u_speed
        ELSE 1.5 + records_planned / (base_rps * (0.6 + 0.8 * u_speed))
    END AS planned_duration_s
FROM categorised;

CREATE TEMP TABLE syn_sessions AS
WITH lagged AS (
    -- the previous slot of the same integration (a self-join: cheaper than a window, keeps the order)
    SELECT
        s.*,
        p.planned_status AS prev_status,
        p.slot_s + p.planned_duration_s AS prev_end_s,
        i.direction
    FROM syn_slots AS s
    JOIN syn_integrations AS i ON i.j = s.j
    LEFT JOIN syn_slots AS p ON p.idx = s.idx - 1 AND p.j = s.j
),
retried AS (
    SELECT
        *,
        -- a failed run is retried shortly after it ended, in place of the next scheduled run
        coalesce(trigger_kind = 'schedule' AND prev_status IN ('failed', 'timed_out')
                 AND syn_u($seed, idx, 110) < 0.6 AND prev_end_s + 330 < slot_s, false) AS is_retry
    FROM lagged
),
timed AS (
    SELECT
        *,
        CASE WHEN is_retry THEN prev_end_s + 30 + 300 * syn_u($seed, idx, 111) ELSE slot_s END AS started_s
    FROM retried
),
ended AS (
    SELECT
        *,
        started_s + planned_duration_s > span_s
            OR (started_s > span_s - 3600 AND role NOT IN ('down_auth', 'down_network', 'degraded')
                AND syn_u($seed, idx, 112) < 0.05) AS is_running
    FROM timed
),
finals AS (
    SELECT
        e.*,
        CASE WHEN is_running THEN 'running' ELSE planned_status END AS status,
        CASE WHEN is_running THEN NULL ELSE round(planned_duration_s * 1e6)::BIGINT END AS duration_us,
        -- a running session has been heard from between its start and the end
        CASE WHEN is_running THEN started_s + (span_s - started_s) * (0.2 + 0.75 * syn_u($seed, idx, 113))
             ELSE started_s + planned_duration_s END AS last_event_s,
        syn_hash($seed, idx, 114) AS h_counts,
        syn_hash($seed, idx, 115) AS h_conflicts,
        syn_u($seed, idx, 116) AS u_progress
    FROM ended AS e
)
SELECT
    f.idx, f.j, f.k,
    syn_uuid($seed, 's', f.idx)::VARCHAR AS session_id,
    f.sync_type,
    CASE WHEN f.is_retry THEN 'retry' ELSE f.trigger_kind END AS triggered_by,
    CASE WHEN f.is_retry THEN syn_uuid($seed, 's', f.idx - 1)::VARCHAR END AS retry_of,
    f.status,
    f.status NOT IN ('running') AS is_terminal,
    CASE WHEN f.status IN ('completed', 'completed_with_warnings') THEN 'succeeded'
         WHEN f.status = 'partially_completed' THEN 'partial'
         WHEN f.status IN ('failed', 'timed_out') THEN 'failed'
         WHEN f.status = 'cancelled' THEN 'cancelled' END AS outcome,
    f.fail_category,
    CASE
        WHEN f.status = 'running' THEN ['fetch', 'transform', 'load'][1 + f.h_counts % 3]
        WHEN f.status = 'timed_out' THEN 'fetch'
        WHEN f.status <> 'failed' THEN NULL
        WHEN f.fail_category = 'authentication' THEN 'initializing'
        WHEN f.fail_category IN ('conflict', 'validation') THEN 'load'
        WHEN f.fail_category = 'system' THEN ['transform', 'fetch'][1 + f.h_counts % 2]
        WHEN f.fail_category = 'network' THEN ['fetch', 'fetch', 'load'][1 + f.h_counts % 3]
        ELSE 'fetch'
    END AS status_stage,
    $start::TIMESTAMP + syn_secs(f.started_s) AS started_at,
    CASE WHEN f.duration_us IS NOT NULL
         THEN $start::TIMESTAMP + syn_secs(f.started_s) + to_microseconds(f.duration_us) END AS ended_at,
    CASE WHEN f.duration_us IS NOT NULL
         THEN $start::TIMESTAMP + syn_secs(f.started_s) + to_microseconds(f.duration_us)
         ELSE $start::TIMESTAMP + syn_secs(f.last_event_s) END AS last_event_at,
    f.duration_us,
    -- how much of its work it did (running sessions: part of it)
    CASE WHEN f.status IN ('completed', 'completed_with_warnings', 'partially_completed') THEN 1.0
         WHEN f.status = 'running' THEN 0.1 + 0.8 * f.u_progress
         ELSE 0.0 END AS progress,
    f.records_planned,
    -- counts of the session's errors, warnings and conflicts (their rows are made from these)
    CASE f.status
        WHEN 'failed' THEN 1 + (f.h_counts // 8) % 4
        WHEN 'partially_completed' THEN 1 + (f.h_counts // 8) % 6
        WHEN 'completed_with_warnings'
            THEN CASE WHEN (f.h_counts // 64) % 100 < 15 THEN 1 + (f.h_counts // 8) % 2 ELSE 0 END
        WHEN 'completed' THEN CASE WHEN (f.h_counts // 64) % 100 < 4 THEN 1 ELSE 0 END
        WHEN 'running' THEN CASE WHEN (f.h_counts // 64) % 100 < 5 THEN 1 ELSE 0 END
        ELSE 0
    END AS n_errors,
    CASE f.status
        WHEN 'completed_with_warnings' THEN 1 + (f.h_counts // 8192) % 3
        WHEN 'timed_out' THEN 1
        ELSE 0
    END AS n_warnings,
    CASE
        WHEN f.status NOT IN ('completed', 'completed_with_warnings', 'partially_completed', 'running') THEN 0
        WHEN f.direction <> 'inbound' AND f.h_conflicts % 1000 < 300 THEN 1 + (f.h_conflicts // 1000) % 4
        WHEN f.direction = 'inbound' AND f.h_conflicts % 1000 < 60 THEN 1 + (f.h_conflicts // 1000) % 2
        ELSE 0
    END AS n_conflicts
FROM finals AS f;
