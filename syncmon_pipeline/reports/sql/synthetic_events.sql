-- Synthetic analyst snapshot, step 4: the session events - errors, warnings, conflicts, per-entity
-- progress (TEMP syn_progress) and one metrics report per session. Salts 200-299.
-- Messages look like the simulator's after ingest redaction ([REDACTED], [REDACTED_EMAIL]).
-- Event times of a session lie between its start and its end (or its last event while running).

-- Error codes and message templates per category, as the simulator writes them and ingest redacts
-- them. Placeholders: {url} {host} {page_size} {rate_limit} {entity_type} {eid} {other_eid} {field}
-- {hex} {batch} and {n} (a number from n_low to n_high).
CREATE TEMP TABLE syn_error_texts AS
SELECT *, count(*) OVER (PARTITION BY category) AS variants
FROM (VALUES
    ('network', 0, 'ECONNRESET', 'GET {url}?limit={page_size} failed: connection reset by peer', 0, 0),
    ('network', 1, 'ETIMEDOUT', 'read timeout after 30000 ms on {url}', 0, 0),
    ('network', 2, 'ETIMEDOUT', 'HTTPSConnectionPool(host=''{host}'', port=443): Max retries exceeded with url: '
                                || '{url}?api_key=[REDACTED] (connect timeout=30)', 0, 0),
    ('network', 3, 'ENOTFOUND', 'could not connect to https://[REDACTED]@{host}/: Name or service not known', 0, 0),
    ('network', 4, 'HTTP_502', '502 Bad Gateway from {host}', 0, 0),
    ('network', 5, 'HTTP_503', '503 Service Unavailable from {host}: upstream maintenance', 0, 0),
    ('authentication', 0, 'HTTP_401', '401 Unauthorized: access token expired (Authorization: [REDACTED]', 0, 0),
    ('authentication', 1, 'invalid_grant', 'invalid_grant: refresh token revoked for client [REDACTED_EMAIL]', 0, 0),
    ('authentication', 2, 'AUTH_FAILED',
        'login failed for user=integration.user password=[REDACTED] invalid username or password', 0, 0),
    ('authentication', 3, 'HTTP_403', '403 Forbidden: API key {hex}... lacks scope read:{entity_type}', 0, 0),
    ('authentication', 4, 'invalid_token',
        'token refresh failed: POST https://{host}/oauth/token with refresh_token=[REDACTED] returned 400', 0, 0),
    ('rate_limit', 0, 'HTTP_429',
        '429 Too Many Requests: limit of {rate_limit} calls/hour exceeded, retry after {n}s', 5, 120),
    ('rate_limit', 1, 'RATE_LIMITED', '{host} throttled request to {url}?api_key=[REDACTED] (X-RateLimit-Remaining: 0)',
        0, 0),
    ('rate_limit', 2, 'CONCURRENCY_LIMIT', 'API concurrency limit reached: 10 concurrent requests allowed', 0, 0),
    ('validation', 0, 'REQUIRED_FIELD', '{entity_type} {eid}: required field ''{field}'' is missing', 0, 0),
    ('validation', 1, 'INVALID_DATE', '{entity_type} {eid}: value ''2026-13-0{n}'' for ''entry_date'' is not a valid date',
        1, 9),
    ('validation', 2, 'DUPLICATE_EMAIL', '{entity_type} {eid}: e-mail [REDACTED_EMAIL] already belongs to {other_eid}',
        0, 0),
    ('validation', 3, 'UNKNOWN_REFERENCE', '{entity_type} {eid}: reference to unknown school_id {n}', 100, 999),
    ('validation', 4, 'INVALID_ENUM', '{entity_type} {eid}: grade_level ''KG{n}'' not in allowed values', 2, 4),
    ('conflict', 0, 'VERSION_MISMATCH',
        'target rejected update of {entity_type} {eid}: version mismatch (expected {n}, found a newer one)', 2, 40),
    ('system', 0, 'HTTP_500', '500 Internal Server Error from {url}', 0, 0),
    ('system', 1, 'OOM', 'java.lang.OutOfMemoryError: Java heap space', 0, 0),
    ('system', 2, 'OOM_KILLED', 'worker process killed (OOMKilled, exit code 137)', 0, 0),
    ('system', 3, 'DB_CONNECT', 'could not connect to staging database (dsn: host=10.0.4.12 port=5432 user=sync '
                                || 'password=[REDACTED] FATAL: too many connections', 0, 0),
    ('system', 4, 'TRANSFORM_ERROR', 'KeyError: ''{field}'' in transform step map_{entity_type}', 0, 0),
    ('system', 5, 'SCHEMA_MISMATCH', 'mapping for field ''{field}'' missing in target schema v{n}', 8, 14),
    ('system', 6, 'DISK_QUOTA', 'disk quota exceeded writing staging batch /var/lib/sync/tmp/batch-{batch}', 0, 0)
) AS t(category, variant, code, template, n_low, n_high);

-- Errors go to TEMP syn_errors first (with the session's idx for the session summary), then to the mart.
CREATE TEMP TABLE syn_errors AS
WITH exploded AS (
    SELECT
        s.idx, s.session_id, i.integration_id, i.provider, s.status, s.fail_category, s.n_errors,
        s.started_at, s.last_event_at, i.entity_types, i.host, i.api_base, i.page_size, i.rate_limit,
        unnest(range(s.n_errors)) AS m
    FROM syn_sessions AS s
    JOIN syn_integrations AS i ON i.j = s.j
    WHERE s.n_errors > 0
),
drawn AS (
    SELECT
        *,
        idx * 8 + m AS ek,
        syn_hash($seed, idx * 8 + m, 200) AS h1,
        syn_hash($seed, idx * 8 + m, 201) AS h2,
        syn_hash($seed, idx * 8 + m, 202) AS h3,
        syn_u($seed, idx * 8 + m, 203) AS u_time
    FROM exploded
),
categorised AS (
    SELECT
        *,
        CASE
            WHEN status = 'failed' AND (m = n_errors - 1 OR fail_category IN ('network', 'rate_limit'))
                THEN fail_category
            WHEN status = 'partially_completed' THEN CASE WHEN h1 % 10 < 8 THEN 'validation' ELSE 'conflict' END
            ELSE ['network', 'network', 'rate_limit', 'rate_limit', 'system', 'validation'][1 + h1 % 6]
        END AS category,
        syn_pick(h2, entity_types) AS entity_type,
        -- the last error of a failed session is what ended it: just before the end
        CASE WHEN status = 'failed' AND m = n_errors - 1
             THEN greatest(0.0, date_diff('microsecond', started_at, last_event_at) / 1e6 - 0.05 - 0.4 * u_time)
             ELSE date_diff('microsecond', started_at, last_event_at) / 1e6 * (m + 0.1 + 0.8 * u_time) / n_errors
        END AS offset_s
    FROM drawn
),
coded AS (
    SELECT
        c.*,
        t.code,
        replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(t.template,
            '{url}', c.api_base || '/' || c.entity_type),
            '{host}', c.host),
            '{page_size}', c.page_size::VARCHAR),
            '{rate_limit}', c.rate_limit::VARCHAR),
            '{entity_type}', c.entity_type),
            '{eid}', substr(c.entity_type, 1, 3) || '-' || (10000 + (c.h2 // 16) % 990000)),
            '{other_eid}', substr(c.entity_type, 1, 3) || '-' || (10000 + c.h1 % 990000)),
            '{field}', ['state_id', 'entry_date', 'grade_level', 'email', 'section_id', 'course_code',
                        'employee_number', 'cost_center', 'birth_date', 'home_school_id'][1 + (c.h3 // 64) % 10]),
            '{hex}', printf('%08x', c.h1)),
            '{batch}', lpad((1 + c.h1 % 9999)::VARCHAR, 4, '0')),
            '{n}', (t.n_low + c.h1 % (t.n_high - t.n_low + 1))::VARCHAR) AS message,
        substr(c.entity_type, 1, 3) || '-' || (10000 + (c.h2 // 16) % 990000) AS eid
    FROM categorised AS c
    JOIN syn_error_texts AS t ON t.category = c.category AND t.variant = (c.h3 // 1024) % 7 % t.variants
)
SELECT
    idx,
    syn_uuid($seed, 'e', ek) AS event_id,
    session_id,
    integration_id,
    provider,
    started_at + syn_secs(offset_s) AS occurred_at,
    category,
    CASE WHEN (status = 'failed' AND m = n_errors - 1) OR category = 'authentication' THEN 'high'
         ELSE ['low', 'medium', 'medium', 'high'][1 + h3 % 4] END AS severity,
    code AS error_code,
    message,
    entity_type,
    CASE WHEN category IN ('validation', 'conflict') THEN eid END AS entity_id,
    category IN ('network', 'rate_limit', 'system') AS is_retryable,
    CASE WHEN category NOT IN ('network', 'rate_limit', 'system') THEN 0
         WHEN status = 'failed' AND m = n_errors - 1 THEN 3
         ELSE (h3 // 16) % 4 END AS retry_count,
    least($end::TIMESTAMP, started_at + syn_secs(offset_s + 1 + 60 * u_time)) AS ingested_at
FROM coded;

INSERT INTO marts.fct_sync_warnings BY NAME
WITH exploded AS (
    SELECT
        s.idx, s.session_id, i.integration_id, i.provider, s.status, s.n_warnings, s.started_at, s.last_event_at,
        i.entity_types, i.host, i.api_base,
        unnest(range(s.n_warnings)) AS m
    FROM syn_sessions AS s
    JOIN syn_integrations AS i ON i.j = s.j
    WHERE s.n_warnings > 0
),
drawn AS (
    SELECT
        *,
        idx * 4 + m AS wk,
        syn_hash($seed, idx * 4 + m, 220) AS h1,
        syn_hash($seed, idx * 4 + m, 221) AS h2
    FROM exploded
),
worded AS (
    SELECT
        *,
        syn_pick(h1, entity_types) AS entity_type,
        substr(syn_pick(h1, entity_types), 1, 3) || '-' || (10000 + (h2 // 8) % 990000) AS eid,
        CASE WHEN status = 'timed_out' THEN 6 ELSE h2 % 6 END AS v
    FROM drawn
)
SELECT
    syn_uuid($seed, 'w', wk) AS event_id,
    session_id,
    integration_id,
    provider,
    started_at + syn_secs(date_diff('microsecond', started_at, last_event_at) / 1e6
                          * (m + 0.1 + 0.8 * (h1 % 1000) / 1000.0) / n_warnings) AS occurred_at,
    ['FIELD_TRUNCATED', 'MISSING_OPTIONAL_FIELD', 'DEPRECATED_API', 'SLOW_RESPONSE', 'CONTACT_BOUNCED',
     'STALE_CURSOR', 'NO_PROGRESS'][1 + v] AS warning_code,
    CASE v
        WHEN 0 THEN entity_type || ' ' || eid || ': field ''notes'' truncated to 255 characters'
        WHEN 1 THEN entity_type || ' ' || eid || ': optional field ''external_id'' missing'
        WHEN 2 THEN 'endpoint ' || api_base || '/' || entity_type || ' is deprecated and will be removed on 2027-06-30'
        WHEN 3 THEN host || ' responded in ' || (2100 + h1 % 6900) || ' ms (threshold 2000 ms)'
        WHEN 4 THEN entity_type || ' ' || eid || ': notification to [REDACTED_EMAIL] bounced'
        WHEN 5 THEN 'change cursor older than 48h, fell back to a wider window'
        ELSE 'no progress for 600 s'
    END AS message,
    entity_type,
    CASE WHEN v IN (0, 1, 4) THEN eid END AS entity_id,
    least($end::TIMESTAMP, last_event_at + syn_secs(1 + (h2 % 60))) AS ingested_at
FROM worded
ORDER BY occurred_at, event_id;

INSERT INTO marts.fct_sync_conflicts BY NAME
WITH exploded AS (
    SELECT
        s.idx, s.session_id, i.integration_id, i.provider, s.n_conflicts, s.started_at, s.last_event_at,
        i.entity_types,
        unnest(range(s.n_conflicts)) AS m
    FROM syn_sessions AS s
    JOIN syn_integrations AS i ON i.j = s.j
    WHERE s.n_conflicts > 0
),
drawn AS (
    SELECT
        *,
        idx * 8 + m AS ck,
        syn_hash($seed, idx * 8 + m, 240) AS h1,
        syn_hash($seed, idx * 8 + m, 241) AS h2
    FROM exploded
),
resolved AS (
    SELECT
        *,
        CASE WHEN h2 % 100 < 55 THEN 'source_wins' WHEN h2 % 100 < 77 THEN 'target_wins'
             WHEN h2 % 100 < 92 THEN 'merge' ELSE 'manual' END AS strategy
    FROM drawn
)
SELECT
    syn_uuid($seed, 'c', ck) AS event_id,
    session_id,
    integration_id,
    provider,
    started_at + syn_secs(date_diff('microsecond', started_at, last_event_at) / 1e6
                          * (m + 0.1 + 0.8 * (h1 % 1000) / 1000.0) / n_conflicts) AS occurred_at,
    syn_pick(h1 // 1000, entity_types) AS entity_type,
    substr(syn_pick(h1 // 1000, entity_types), 1, 3) || '-' || (10000 + (h2 // 100) % 990000) AS entity_id,
    ['email', 'phone', 'address', 'last_name', 'title', 'status', 'section_id', 'grade_level'][1 + (h1 // 65536) % 8]
        AS field_name,
    strategy,
    strategy <> 'manual' OR (h2 // 100000000) % 10 < 3 AS is_resolved,
    least($end::TIMESTAMP, last_event_at + syn_secs(1 + (h2 % 60))) AS ingested_at
FROM resolved
ORDER BY occurred_at, event_id;

-- Hostile text for the safety tests of the reports (markup, spreadsheet formulas), on the latest rows.
UPDATE syn_errors SET message = '<script>alert("x")</script> failed'
WHERE $hostile AND event_id = (SELECT event_id FROM syn_errors ORDER BY occurred_at DESC, event_id LIMIT 1);

UPDATE syn_errors SET entity_id = '=HYPERLINK("http://evil")'
WHERE $hostile AND event_id = (
    SELECT event_id FROM syn_errors WHERE entity_id IS NOT NULL ORDER BY occurred_at DESC, event_id LIMIT 1
);

INSERT INTO marts.fct_sync_errors BY NAME
SELECT * EXCLUDE (idx) FROM syn_errors ORDER BY occurred_at, event_id;

UPDATE marts.fct_sync_warnings SET entity_id = '@SUM(A1)'
WHERE $hostile AND event_id = (
    SELECT event_id FROM marts.fct_sync_warnings WHERE entity_id IS NOT NULL ORDER BY occurred_at DESC, event_id LIMIT 1
);

UPDATE marts.fct_sync_conflicts SET entity_id = '+1-555-0100'
WHERE $hostile AND event_id = (
    SELECT event_id FROM marts.fct_sync_conflicts ORDER BY occurred_at DESC, event_id LIMIT 1
);

-- Final record counts per session and entity type (int_session_entity_progress): entity e of the
-- integration's list. Every session that did work reports every entity type of its integration when
-- it ended (or at its last event while running), so the report time is the session's last_event_at.
CREATE TEMP TABLE syn_progress AS
WITH exploded AS (
    SELECT
        s.idx, s.j, s.status, s.records_planned, s.progress, i.weight_sum,
        unnest(i.entity_weights) AS weight,
        generate_subscripts(i.entity_weights, 1) AS e
    FROM syn_sessions AS s
    JOIN (SELECT j, entity_weights, list_sum(entity_weights) AS weight_sum FROM syn_integrations) AS i
        ON i.j = s.j
    WHERE s.progress > 0
),
processed AS (
    SELECT
        *,
        -- one 32-bit draw split into 8-bit fractions
        syn_hash($seed, idx * 16 + e, 260) AS h,
        greatest(
            floor(records_planned * progress * weight / weight_sum
                  * (0.5 + (syn_hash($seed, idx * 16 + e, 260) & 255) / 256.0))::BIGINT,
            CASE WHEN status = 'partially_completed' AND e = 1 THEN 2 ELSE 0 END
        ) AS records_processed
    FROM exploded
),
failed AS (
    SELECT
        *,
        CASE WHEN status <> 'partially_completed' THEN 0
             ELSE greatest(CASE WHEN e = 1 THEN 1 ELSE 0 END,
                           floor(records_processed * (0.01 + 0.25 * ((h >> 8) & 255) / 256.0))::BIGINT)
        END AS records_failed
    FROM processed
),
created AS (
    SELECT *, floor((records_processed - records_failed) * (0.02 + 0.15 * ((h >> 16) & 255) / 256.0))::BIGINT
        AS records_created
    FROM failed
),
updated AS (
    SELECT
        *,
        floor((records_processed - records_failed - records_created) * (0.1 + 0.5 * ((h >> 24) & 255) / 256.0))::BIGINT
            AS records_updated
    FROM created
),
deleted AS (
    SELECT *, floor((records_processed - records_failed - records_created - records_updated)
                    * 0.03 * ((h >> 4) & 255) / 256.0)::BIGINT AS records_deleted
    FROM updated
)
SELECT
    idx, j, e::INTEGER AS e,
    records_processed, records_created, records_updated, records_deleted,
    records_processed - records_failed - records_created - records_updated - records_deleted AS records_skipped,
    records_failed
FROM deleted;

CREATE TEMP TABLE syn_totals AS
SELECT
    idx,
    sum(records_processed)::BIGINT AS records_processed,
    sum(records_created)::BIGINT AS records_created,
    sum(records_updated)::BIGINT AS records_updated,
    sum(records_deleted)::BIGINT AS records_deleted,
    sum(records_skipped)::BIGINT AS records_skipped,
    sum(records_failed)::BIGINT AS records_failed
FROM syn_progress
GROUP BY idx;

-- One metrics report per session, just before it ended (or at its last event).
INSERT INTO marts.fct_session_metrics BY NAME
WITH joined AS (
    SELECT
        s.idx, s.session_id, s.n_errors, s.started_at, s.last_event_at,
        i.integration_id, i.provider, i.page_size, i.base_latency_ms, i.memory_base_mb, i.rate_limit,
        coalesce(t.records_processed, 0) AS processed,
        syn_hash($seed, s.idx, 280) AS h1,
        syn_hash($seed, s.idx, 281) AS h2
    FROM syn_sessions AS s
    JOIN syn_integrations AS i ON i.j = s.j
    LEFT JOIN syn_totals AS t ON t.idx = s.idx
),
split AS (
    -- h1 and h2 split into fractions of 10 bits and small integers
    SELECT
        *,
        (h1 & 1023) / 1024.0 AS u1,
        ((h1 >> 10) & 1023) / 1024.0 AS u2,
        ((h1 >> 20) & 1023) / 1024.0 AS u3,
        ((h2 >> 10) & 1023) / 1024.0 AS u4
    FROM joined
),
calls AS (
    SELECT
        *,
        1 + ceil(processed / page_size)::BIGINT + n_errors * (1 + (h2 & 3)) AS api_calls,
        round(base_latency_ms * (0.6 + 0.8 * u1), 1) AS latency_avg,
        date_diff('microsecond', started_at, last_event_at) / 1e6 AS elapsed_s
    FROM split
)
SELECT
    syn_uuid($seed, 'm', idx) AS event_id,
    session_id,
    integration_id,
    provider,
    greatest(started_at, last_event_at - syn_secs(0.05 + 1.9 * u2)) AS occurred_at,
    api_calls,
    least(api_calls, n_errors * (1 + (h2 & 3))) AS api_errors,
    latency_avg AS api_latency_ms_avg,
    round(latency_avg * (1.6 + 1.2 * u4), 1) AS api_latency_ms_p95,
    round(processed / greatest(elapsed_s, 0.1), 2) AS throughput_rps,
    floor(api_calls * u3)::BIGINT AS cache_hits,
    api_calls - floor(api_calls * u3)::BIGINT AS cache_misses,
    CASE WHEN (h2 >> 20) % 1000 < 4 THEN round(95 + 4.8 * u3, 1) ELSE round(2 + 70 * u1 * u3, 1) END AS cpu_pct,
    round(memory_base_mb * (0.7 + 0.8 * u3), 1) AS memory_mb,
    greatest(0, rate_limit - api_calls * (1 + ((h2 >> 2) & 3))) AS rate_limit_remaining,
    least($end::TIMESTAMP, last_event_at + syn_secs(1 + 60 * u2)) AS ingested_at
FROM calls
ORDER BY occurred_at, event_id;
