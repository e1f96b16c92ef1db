-- Synthetic analyst snapshot, step 9: the alert audit trail - alerts, silences, pipeline failures,
-- notifications and their delivery attempts. Salts 500-599.
--
-- Alerts (TEMP syn_alert_rows first, times in seconds since the start of the period):
--   history  greatest(20, 2 x integrations) alerts over the period, each (integration, type) pair at
--            most once per segment of the period so that one fingerprint never has two overlapping
--            alerts; mostly resolved, a few still firing / acknowledged in the last hours (healthy and
--            stale integrations only)
--   role     what the troubled integrations raise now: down_auth -> authentication_failure plus an
--            acknowledged sync_failure, down_network -> integration_down plus an acknowledged
--            sync_failure it inhibits,
--            degraded -> sync_failure
--   pipeline one open failure of analytics_job and its sync_failure alert on 'pipeline:analytics_job'
-- Fingerprints and ids follow syncmon_pipeline.alerts.model (fingerprint_of with no labels, stable_id),
-- notification ids notification_id_for, messages channels.message_json.

CREATE TEMP TABLE syn_alert_rows AS
WITH types AS (
    SELECT
        ['sync_failure', 'performance_degradation', 'high_error_rate', 'integration_down', 'data_quality_issue',
         'conflict_spike', 'resource_exhaustion', 'authentication_failure', 'rate_limit_exceeded',
         'timeout_threshold'] AS names,
        ['error', 'warning', 'error', 'critical', 'warning', 'warning', 'error', 'critical', 'warning', 'error']
            AS severities,
        $days * 86400.0 AS span_s,
        ceil(greatest(20, 2 * $integrations) / (10.0 * $integrations))::BIGINT AS segments
),
hist AS (
    SELECT
        g.a,
        g.a % $integrations AS j,
        (g.a // $integrations + 3 * (g.a % $integrations)) % 10 AS t,
        g.a // (10 * $integrations) AS segment,
        syn_u($seed, g.a, 500) AS u1,
        syn_hash($seed, g.a, 501) AS h1,
        syn_u($seed, g.a, 502) AS u2,
        syn_u($seed, g.a, 503) AS u3
    FROM range(greatest(20, 2 * $integrations)) AS g(a)
),
hist_status AS (
    SELECT
        h.*,
        i.integration_id, i.provider, i.role,
        CASE WHEN h.segment = ty.segments - 1 AND i.role IN ('healthy', 'stale') AND h.h1 % 100 < 6 THEN 'acknowledged'
             WHEN h.segment = ty.segments - 1 AND i.role IN ('healthy', 'stale') AND h.h1 % 100 < 12 THEN 'firing'
             ELSE 'resolved' END AS status,
        ty.names[1 + h.t] AS alert_type,
        CASE WHEN h.a % 9 = 4 THEN 'info' ELSE ty.severities[1 + h.t] END AS severity,
        ty.span_s,
        (ty.span_s - 14 * 3600.0) / ty.segments AS segment_s
    FROM hist AS h
    JOIN syn_integrations AS i ON i.j = h.j
    CROSS JOIN types AS ty
),
hist_times AS (
    SELECT
        *,
        floor(CASE WHEN status = 'resolved'
                   THEN 3600 + segment * segment_s + u1 * greatest(segment_s - 3.5 * 3600, 0.0)
                   ELSE span_s - 6 * 3600 + u1 * 5 * 3600 END / 60) * 60 AS started_s
    FROM hist_status
),
hist_rows AS (
    SELECT
        'history' AS source, a AS n, j, integration_id, provider, alert_type, severity, status,
        started_s,
        started_s + [0, 60, 120, 300][1 + (h1 // 100) % 4] AS fired_s,
        CASE WHEN status = 'acknowledged' OR (status = 'resolved' AND u3 < 0.4)
             THEN started_s + [0, 60, 120, 300][1 + (h1 // 100) % 4] + 120 + floor(u3 * 1500) END AS acknowledged_s,
        CASE WHEN status = 'resolved'
             THEN started_s + [0, 60, 120, 300][1 + (h1 // 100) % 4] + 1800 + floor(u2 * u2 * 3 * 3600) END AS resolved_s,
        CASE WHEN status <> 'resolved' THEN NULL
             WHEN (h1 // 1000) % 100 < 80 THEN 'condition cleared' ELSE 'operator@syncmon.example' END AS resolved_by,
        u2 AS u_value,
        NULL::VARCHAR AS inhibitor_type,
        NULL::STRUCT(value DOUBLE, threshold DOUBLE) AS measured_override
    FROM hist_times
),
role_rows AS (
    SELECT
        'role' AS source, i.j AS n, i.j, i.integration_id, i.provider, r.alert_type, r.severity, r.status,
        floor((CASE WHEN i.role = 'degraded' THEN greatest(i.span_s - 2 * i.spacing_s, i.span_s - 3 * 3600)
                    ELSE greatest(i.span_s - i.incident_s + 300, i.span_s - 6 * 3600) END + r.delay_s) / 60) * 60
            AS started_s,
        r.inhibitor_type,
        CASE WHEN r.value IS NOT NULL THEN {'value': r.value, 'threshold': r.threshold} END AS measured_override
    FROM syn_integrations AS i
    JOIN (VALUES
        ('down_auth', 'authentication_failure', 'critical', 'firing', 0, NULL, NULL, NULL),
        ('down_auth', 'sync_failure', 'error', 'acknowledged', 900, NULL, 4.0, 3.0),
        ('down_network', 'integration_down', 'critical', 'firing', 0, NULL, NULL, NULL),
        ('down_network', 'sync_failure', 'error', 'acknowledged', 600, 'integration_down', 4.0, 3.0),
        -- the integration's own threshold: two failures in a row
        ('degraded', 'sync_failure', 'error', 'firing', 0, NULL, 2.0, 2.0)
    ) AS r(role, alert_type, severity, status, delay_s, inhibitor_type, value, threshold) ON r.role = i.role
),
pipeline_rows AS (
    SELECT
        'pipeline' AS source, 0 AS n, NULL::BIGINT AS j, 'pipeline:analytics_job' AS integration_id,
        'syncmon' AS provider, 'sync_failure' AS alert_type, 'error' AS severity, 'firing' AS status,
        floor((ty.span_s - 2 * 3600) / 60) * 60 + 60 AS started_s,
        {'value': 1.0, 'threshold': 1.0} AS measured_override
    FROM types AS ty
)
SELECT * FROM hist_rows
UNION ALL BY NAME
SELECT
    *,
    started_s AS fired_s,
    CASE WHEN status = 'acknowledged' THEN started_s + 420 END AS acknowledged_s,
    NULL::DOUBLE AS resolved_s,
    NULL::VARCHAR AS resolved_by,
    syn_u($seed, n, 510) AS u_value
FROM role_rows
UNION ALL BY NAME
SELECT
    *,
    started_s AS fired_s,
    NULL::DOUBLE AS acknowledged_s,
    NULL::DOUBLE AS resolved_s,
    NULL::VARCHAR AS resolved_by,
    0.5 AS u_value,
    NULL::VARCHAR AS inhibitor_type
FROM pipeline_rows;

-- An active silence (planned maintenance) on the first stale integration (or the first one), and one
-- that an operator ended early.
INSERT INTO alerts.silences BY NAME
WITH target AS (
    SELECT integration_id FROM syn_integrations ORDER BY role <> 'stale', j LIMIT 1
)
SELECT
    substr(sha256('silence:' || $seed || ':' || n), 1, 24) AS silence_id,
    json_object('integration_id', t.integration_id)::JSON AS matchers,
    $end::TIMESTAMP + to_minutes(start_min) AS starts_at,
    $end::TIMESTAMP + to_minutes(end_min) AS ends_at,
    'operator@syncmon.example' AS author,
    comment,
    $end::TIMESTAMP + to_minutes(start_min - 5) AS created_at,
    CASE WHEN expired_min IS NOT NULL THEN $end::TIMESTAMP + to_minutes(expired_min) END AS expired_at
FROM target AS t
CROSS JOIN (VALUES
    (1, -180, 240, 'planned maintenance of the source system', NULL),
    (2, -1500, -1260, 'vendor upgrade window', -1380)
) AS v(n, start_min, end_min, comment, expired_min)
ORDER BY silence_id;

INSERT INTO alerts.pipeline_failures BY NAME
SELECT
    syn_uuid($seed, 'run', n)::VARCHAR AS run_id,
    job_name,
    $start::TIMESTAMP + syn_secs(failed_s) AS failed_at,
    message,
    CASE WHEN resolved_s IS NOT NULL THEN $start::TIMESTAMP + syn_secs(resolved_s) END AS resolved_at
FROM (
    SELECT 1 AS n, 'ingest_job' AS job_name, $days * 86400.0 * 0.4 + 17 AS failed_s,
           'Step raw_events failed: IOError: could not read landing file batch-0417.jsonl (connection reset by peer)'
               AS message,
           $days * 86400.0 * 0.4 + 917 AS resolved_s
    UNION ALL
    SELECT 2, 'analytics_job', floor(($days * 86400.0 - 2 * 3600) / 60) * 60 + 12,
           'Step dbt_marts failed: Runtime Error in model mart_integration_health: Could not set lock on file '
               || '"warehouse.duckdb": Conflicting lock is held (dsn password=[REDACTED])',
           NULL
)
ORDER BY failed_at;

INSERT INTO alerts.alerts BY NAME
WITH fingerprinted AS (
    SELECT
        r.*,
        substr(sha256('[' || to_json(r.alert_type)::VARCHAR || ',' || to_json(r.integration_id)::VARCHAR || ',[]]'),
               1, 16) AS fingerprint,
        $start::TIMESTAMP + syn_secs(r.started_s) AS started_at
    FROM syn_alert_rows AS r
),
identified AS (
    SELECT
        *,
        substr(sha256('["' || fingerprint || '","' || syn_pystr(started_at) || '"]'), 1, 24) AS alert_id,
        -- the measured value and its threshold (as the rule would report them)
        CASE
            WHEN measured_override IS NOT NULL THEN measured_override
            WHEN alert_type = 'sync_failure' THEN {'value': 3 + floor(u_value * 2), 'threshold': 3.0}
            WHEN alert_type = 'performance_degradation' THEN {'value': round(2.5 + 3 * u_value, 1), 'threshold': 2.5}
            WHEN alert_type = 'high_error_rate' THEN {'value': round(0.5 + 0.5 * u_value, 2), 'threshold': 0.5}
            WHEN alert_type = 'integration_down' THEN {'value': 3 + floor(u_value * 4), 'threshold': 3.0}
            WHEN alert_type = 'data_quality_issue' THEN {'value': round(0.1 + 0.3 * u_value, 3), 'threshold': 0.1}
            WHEN alert_type = 'conflict_spike' THEN {'value': 2 + floor(u_value * 3), 'threshold': 2.0}
            WHEN alert_type = 'resource_exhaustion' THEN {'value': 2 + floor(u_value * 2), 'threshold': 2.0}
            WHEN alert_type = 'authentication_failure' THEN {'value': 2 + floor(u_value * 5), 'threshold': 2.0}
            WHEN alert_type = 'rate_limit_exceeded' THEN {'value': 5 + floor(u_value * 11), 'threshold': 5.0}
            ELSE {'value': 2 + floor(u_value * 2), 'threshold': 2.0}
        END AS measured
    FROM fingerprinted
),
summarised AS (
    SELECT
        *,
        CASE alert_type
            WHEN 'sync_failure' THEN CASE WHEN source = 'pipeline'
                THEN '1 failed run of analytics_job not yet followed by a successful one'
                ELSE measured.value::BIGINT || ' of 4 finished sessions failed in the last 180 min' END
            WHEN 'performance_degradation'
                THEN 'mean API latency ' || measured.value || 'x the 7-day baseline over the last 60 min'
            WHEN 'high_error_rate'
                THEN round(measured.value * 100)::BIGINT
                     || '% of the last finished sessions reported system, network or conflict errors'
            WHEN 'integration_down'
                THEN 'the last ' || measured.value::BIGINT || ' health checks found the system unreachable'
            WHEN 'data_quality_issue'
                THEN round(measured.value * 100, 1) || '% of the records processed in the last 120 min failed validation'
            WHEN 'conflict_spike' THEN measured.value::BIGINT || ' sessions with 5 or more conflicts in the last 120 min'
            WHEN 'resource_exhaustion' THEN measured.value::BIGINT || ' sessions at or above 95% CPU in the last 180 min'
            WHEN 'authentication_failure'
                THEN measured.value::BIGINT || ' authentication failures in the last 60 min (credentials rejected)'
            WHEN 'rate_limit_exceeded' THEN measured.value::BIGINT || ' rate_limit errors in the last 60 min'
            ELSE measured.value::BIGINT || ' of the last 3 sessions timed out'
        END AS summary
    FROM identified
),
evidenced AS (
    SELECT
        s.*,
        CASE
            WHEN s.source = 'pipeline' THEN json_object(
                'failed_runs', (SELECT list(run_id ORDER BY failed_at DESC) FROM alerts.pipeline_failures
                                WHERE resolved_at IS NULL),
                'figures', json_object('value', s.measured.value, 'threshold', s.measured.threshold))
            ELSE json_object(
                'figures', json_object('value', s.measured.value, 'threshold', s.measured.threshold),
                -- the integration's sessions around the start of the alert
                'session_ids', CASE WHEN i.c = 0 THEN []::VARCHAR[] ELSE list_transform(
                    range(greatest(0, least(i.c - 1, floor(s.started_s / i.spacing_s - i.phase)::BIGINT) - 2),
                          greatest(0, least(i.c - 1, floor(s.started_s / i.spacing_s - i.phase)::BIGINT)) + 1),
                    lambda k: syn_uuid($seed, 's', i.o + k)::VARCHAR) END)
        END AS evidence_json
    FROM summarised AS s
    LEFT JOIN syn_integrations AS i ON i.j = s.j
),
silenced AS (
    SELECT
        e.*,
        sl.silence_id AS active_silence
    FROM evidenced AS e
    LEFT JOIN alerts.silences AS sl
        ON sl.expired_at IS NULL AND sl.matchers->>'integration_id' = e.integration_id
        AND e.status IN ('firing', 'acknowledged')
),
final AS (
    SELECT
        s.alert_id,
        s.fingerprint,
        s.alert_type AS rule,
        s.alert_type,
        s.severity,
        s.integration_id,
        s.provider,
        '{}'::JSON AS labels,
        s.status,
        s.started_at,
        s.started_at AS pending_since,
        $start::TIMESTAMP + syn_secs(s.fired_s) AS fired_at,
        CASE WHEN s.acknowledged_s IS NOT NULL THEN $start::TIMESTAMP + syn_secs(s.acknowledged_s) END AS acknowledged_at,
        CASE WHEN s.acknowledged_s IS NOT NULL
             THEN ['operator@syncmon.example', 'oncall@syncmon.example'][1 + s.n % 2] END AS acknowledged_by,
        CASE WHEN s.resolved_s IS NOT NULL THEN $start::TIMESTAMP + syn_secs(s.resolved_s) END AS resolved_at,
        s.resolved_by,
        CASE WHEN s.resolved_s IS NOT NULL THEN $start::TIMESTAMP + syn_secs(s.resolved_s)
             ELSE date_trunc('minute', $end::TIMESTAMP) END AS last_observed_at,
        s.measured.value::DOUBLE AS value,
        s.measured.threshold::DOUBLE AS threshold,
        s.summary,
        s.evidence_json::JSON AS evidence,
        CASE WHEN s.status = 'firing' AND s.severity = 'critical' AND s.active_silence IS NULL
                  AND s.fired_s + 1800 < $days * 86400.0
             THEN $start::TIMESTAMP + syn_secs(s.fired_s + 1800) END AS escalated_at,
        CASE WHEN s.status = 'firing' AND s.severity = 'critical' AND s.active_silence IS NULL
                  AND s.fired_s + 1800 < $days * 86400.0
             THEN 1 ELSE 0 END AS escalation_count,
        s.active_silence AS silenced_by,
        s.inhibitor_type
    FROM silenced AS s
)
SELECT
    f.* EXCLUDE (inhibitor_type),
    inhibitor.alert_id AS inhibited_by,
    greatest(f.started_at, f.fired_at, f.acknowledged_at, f.resolved_at, f.escalated_at, f.last_observed_at) AS updated_at
FROM final AS f
LEFT JOIN final AS inhibitor
    ON inhibitor.integration_id = f.integration_id AND inhibitor.alert_type = f.inhibitor_type
    AND inhibitor.status IN ('firing', 'acknowledged')
ORDER BY f.started_at, f.alert_id;

-- Notifications: firing (e-mail + webhook), escalation (e-mail to on-call) and resolved (e-mail +
-- webhook); muted alerts are not notified. Most are delivered, some after a retry, a few failed.
CREATE TEMP TABLE syn_notifications AS
WITH transitions AS (
    SELECT a.*, 'firing' AS transition, 0 AS sequence, a.fired_at AS notified_at, 'firing' AS message_status,
           '[FIRING:1]' AS tag, '' AS text
    FROM alerts.alerts AS a
    WHERE a.silenced_by IS NULL AND a.inhibited_by IS NULL
    UNION ALL
    SELECT a.*, 'escalation', 1, a.escalated_at, 'firing', '[ESCALATION 1]',
           'Escalation 1: firing since ' || strftime(a.fired_at, '%Y-%m-%d %H:%M')
               || ' UTC and not acknowledged 30 minutes after the last notice.'
    FROM alerts.alerts AS a
    WHERE a.escalated_at IS NOT NULL
    UNION ALL
    SELECT a.*, 'resolved', 0, a.resolved_at, 'resolved', '[RESOLVED]', ''
    FROM alerts.alerts AS a
    WHERE a.resolved_at IS NOT NULL
),
targeted AS (
    SELECT t.*, c.channel, c.target
    FROM transitions AS t
    JOIN (VALUES
        ('firing', 'email', 'operator@syncmon.example'),
        ('firing', 'webhook', 'ops-webhook'),
        ('escalation', 'email', 'oncall@syncmon.example'),
        ('resolved', 'email', 'operator@syncmon.example'),
        ('resolved', 'webhook', 'ops-webhook')
    ) AS c(transition, channel, target) ON c.transition = t.transition
),
identified AS (
    SELECT
        *,
        substr(sha256('["' || alert_id || '","' || transition || '","' || sequence || '","' || channel || '","'
                      || target || '"]'), 1, 24) AS notification_id
    FROM targeted
)
SELECT
    *,
    syn_hash($seed, hash_key, 520) AS h1
FROM (SELECT *, row_number() OVER (ORDER BY notification_id) AS hash_key FROM identified);

INSERT INTO alerts.notifications BY NAME
SELECT
    notification_id,
    channel,
    target,
    transition,
    sequence,
    integration_id,
    [alert_id] AS alert_ids,
    [fingerprint] AS fingerprints,
    json_object(
        'alerts', [json_object(
            'alert_id', alert_id,
            'alert_type', alert_type,
            'evidence', evidence,
            'fired_at', syn_iso(fired_at),
            'integration_id', integration_id,
            'labels', labels,
            'provider', provider,
            'resolved_at', CASE WHEN transition = 'resolved' THEN syn_iso(resolved_at) END,
            'severity', severity,
            'started_at', syn_iso(started_at),
            'status', CASE WHEN transition = 'resolved' THEN 'resolved' ELSE 'firing' END,
            'summary', summary,
            'threshold', threshold,
            'value', value)],
        'created_at', syn_iso(notified_at),
        'group_key', 'default{integration_id="' || integration_id || '"}',
        'links', [['Dagster UI', 'http://127.0.0.1:3000']],
        'severity', severity,
        'status', message_status,
        'text', text,
        'title', tag || ' ' || alert_type || ' — ' || integration_id,
        'transition', transition
    )::JSON AS message,
    notified_at AS created_at,
    notified_at + INTERVAL 200 MILLISECOND AS queued_at,
    CASE WHEN h1 % 100 < 6 THEN 'failed' ELSE 'delivered' END AS status,
    CASE WHEN h1 % 100 < 6 THEN 3 WHEN (h1 // 100) % 100 < 12 THEN 2 ELSE 1 END AS attempts,
    NULL::TIMESTAMP AS next_attempt_at,
    CASE WHEN h1 % 100 >= 6
         THEN notified_at + INTERVAL 200 MILLISECOND
              + CASE WHEN (h1 // 100) % 100 < 12 THEN INTERVAL 31 SECOND ELSE INTERVAL 0 SECOND END
              + to_milliseconds(300 + (h1 // 10000) % 1500) END AS delivered_at,
    CASE WHEN h1 % 100 >= 6 THEN NULL
         WHEN channel = 'email'
             THEN 'SMTP 451 4.3.0 temporary failure from smtp.syncmon.example; gave up after 3 attempts'
         ELSE 'HTTP 502 from webhook ops-webhook; gave up after 3 attempts' END AS last_error
FROM syn_notifications
ORDER BY created_at, notification_id;

INSERT INTO alerts.delivery_attempts BY NAME
WITH attempts AS (
    SELECT
        n.notification_id, n.channel, n.target, n.status, n.attempts, n.queued_at, n.delivered_at,
        unnest(range(1, n.attempts + 1)) AS attempt
    FROM alerts.notifications AS n
),
timed AS (
    SELECT
        *,
        -- attempt 1 at once, attempt 2 after 30 s, attempt 3 after another 60 s
        queued_at + [INTERVAL 0 SECOND, INTERVAL 31 SECOND, INTERVAL 92 SECOND][attempt] AS started_at,
        attempt = attempts AS is_last
    FROM attempts
)
SELECT
    notification_id,
    attempt,
    channel,
    target,
    started_at,
    CASE WHEN is_last AND status = 'delivered' THEN delivered_at ELSE started_at + INTERVAL 850 MILLISECOND END
        AS finished_at,
    CASE WHEN NOT is_last THEN 'retry' ELSE status END AS outcome,
    CASE WHEN channel <> 'webhook' THEN NULL WHEN is_last AND status = 'delivered' THEN 200 ELSE 502 END AS http_status,
    CASE WHEN is_last AND status = 'delivered' THEN NULL
         WHEN channel = 'email' THEN 'SMTP 451 4.3.0 temporary failure from smtp.syncmon.example'
         ELSE 'HTTP 502 from webhook ops-webhook' END AS error,
    CASE WHEN NOT is_last
         THEN started_at + INTERVAL 850 MILLISECOND + [INTERVAL 30 SECOND, INTERVAL 60 SECOND][attempt]
    END AS next_retry_at
FROM timed
ORDER BY started_at, notification_id, attempt;
