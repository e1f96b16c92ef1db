-- landing_lines -> classified_lines: each line with the first reason it breaks the v1
-- contract (NULL when it is a valid event), its typed top-level fields and redacted payload.
-- Mirrors syncmon_pipeline/contract/event_v1.schema.json; tests check the two agree.
CREATE OR REPLACE TEMP TABLE classified_lines AS
WITH top AS (
    -- one parse for the types of the top-level fields; TRY turns malformed JSON into NULL
    SELECT file_id, line_no, line, problem,
           CASE WHEN problem IS NULL AND ltrim(line)[1] = '{' THEN try(json_type(line, ['$.schema_version',
               '$.event_type', '$.event_id', '$.occurred_at', '$.integration_id', '$.provider', '$.session_id',
               '$.payload'])) END AS t
    FROM landing_lines
), top_values AS (
    SELECT *, t IS NOT NULL AS is_object,
           CASE WHEN t IS NOT NULL THEN json_extract_string(line, ['$.schema_version', '$.event_type',
               '$.event_id', '$.occurred_at', '$.integration_id', '$.provider', '$.session_id', '$.payload'])
           END AS s
    FROM top
), fields AS (
    -- the payload fields of the row's event type, in the order listed (pt: JSON types, ps: texts)
    SELECT file_id, line_no, line, problem, is_object, t, s,
           s[2] AS event_type, s[4] AS occurred_at_text, s[8] AS payload,
           CASE WHEN t[8] = 'OBJECT' THEN CASE s[2]
               WHEN 'session_created' THEN json_type(s[8], ['$.sync_type', '$.direction',
                   '$.entity_types', '$.triggered_by', '$.retry_of'])
               WHEN 'session_status' THEN json_type(s[8], ['$.status', '$.stage', '$.reason'])
               WHEN 'session_progress' THEN json_type(s[8], ['$.stage', '$.progress_pct',
                   '$.entity_type', '$.records_processed', '$.records_created', '$.records_updated',
                   '$.records_deleted', '$.records_skipped', '$.records_failed'])
               WHEN 'session_error' THEN json_type(s[8], ['$.category', '$.severity', '$.code',
                   '$.message', '$.entity_type', '$.entity_id', '$.retryable', '$.retry_count'])
               WHEN 'session_warning' THEN json_type(s[8], ['$.code', '$.message', '$.entity_type',
                   '$.entity_id'])
               WHEN 'session_conflict' THEN json_type(s[8], ['$.entity_type', '$.entity_id',
                   '$.field', '$.strategy', '$.resolved'])
               WHEN 'session_metrics' THEN json_type(s[8], ['$.api_calls', '$.api_errors',
                   '$.api_latency_ms_avg', '$.api_latency_ms_p95', '$.throughput_rps',
                   '$.cache_hits', '$.cache_misses', '$.cpu_pct', '$.memory_mb',
                   '$.rate_limit_remaining'])
               WHEN 'health_check' THEN json_type(s[8], ['$.reachable', '$.latency_ms',
                   '$.auth_status', '$.rate_limit_remaining', '$.message'])
           END END AS pt,
           CASE WHEN t[8] = 'OBJECT' THEN CASE s[2]
               WHEN 'session_created' THEN json_extract_string(s[8], ['$.sync_type', '$.direction',
                   '$.entity_types', '$.triggered_by', '$.retry_of'])
               WHEN 'session_status' THEN json_extract_string(s[8], ['$.status', '$.stage',
                   '$.reason'])
               WHEN 'session_progress' THEN json_extract_string(s[8], ['$.stage', '$.progress_pct',
                   '$.entity_type', '$.records_processed', '$.records_created', '$.records_updated',
                   '$.records_deleted', '$.records_skipped', '$.records_failed'])
               WHEN 'session_error' THEN json_extract_string(s[8], ['$.category', '$.severity',
                   '$.code', '$.message', '$.entity_type', '$.entity_id', '$.retryable',
                   '$.retry_count'])
               WHEN 'session_warning' THEN json_extract_string(s[8], ['$.code', '$.message',
                   '$.entity_type', '$.entity_id'])
               WHEN 'session_conflict' THEN json_extract_string(s[8], ['$.entity_type',
                   '$.entity_id', '$.field', '$.strategy', '$.resolved'])
               WHEN 'session_metrics' THEN json_extract_string(s[8], ['$.api_calls', '$.api_errors',
                   '$.api_latency_ms_avg', '$.api_latency_ms_p95', '$.throughput_rps',
                   '$.cache_hits', '$.cache_misses', '$.cpu_pct', '$.memory_mb',
                   '$.rate_limit_remaining'])
               WHEN 'health_check' THEN json_extract_string(s[8], ['$.reachable', '$.latency_ms',
                   '$.auth_status', '$.rate_limit_remaining', '$.message'])
           END END AS ps
    FROM top_values
), checked AS (
    SELECT *, coalesce(
        problem,
        CASE WHEN NOT is_object THEN
            CASE WHEN trim(line) = '' THEN 'blank line'
                 WHEN NOT json_valid(line) THEN 'malformed JSON'
                 ELSE 'not a JSON object' END
        END,
        sm_required(t[1], 'schema_version'),
        CASE WHEN NOT sm_is_integer(t[1], s[1]) THEN 'wrong type: schema_version must be an integer'
             WHEN try_cast(s[1] AS DOUBLE) <> $schema_version THEN 'unsupported schema_version: ' || s[1] END,
        sm_required(t[2], 'event_type'),
        CASE WHEN t[2] <> 'VARCHAR' THEN 'wrong type: event_type must be a string'
             WHEN NOT list_contains($event_types, event_type) THEN 'unknown event_type: ' || left(event_type, 60) END,
        sm_required(t[3], 'event_id'),
        CASE WHEN t[3] <> 'VARCHAR' THEN 'wrong type: event_id must be a string'
             WHEN NOT regexp_full_match(s[3], $uuid_pattern) THEN 'event_id is not a UUID' END,
        sm_required(t[4], 'occurred_at'),
        CASE WHEN t[4] <> 'VARCHAR' THEN 'wrong type: occurred_at must be a string'
             WHEN regexp_full_match(occurred_at_text, $timestamp_without_offset_pattern)
                 THEN 'occurred_at has no UTC offset'
             WHEN NOT regexp_full_match(occurred_at_text, $timestamp_pattern)
                 THEN 'occurred_at is not an RFC 3339 timestamp'
             WHEN try_cast(occurred_at_text AS TIMESTAMPTZ) IS NULL THEN 'occurred_at is not a valid date and time' END,
        sm_label(t[5], s[5], 'integration_id'),
        sm_label(t[6], s[6], 'provider'),
        CASE WHEN starts_with(event_type, 'session_') THEN sm_label(t[7], s[7], 'session_id')
             ELSE sm_opt_string(t[7], s[7], 'session_id', 200) END,
        sm_required(t[8], 'payload'),
        CASE WHEN t[8] <> 'OBJECT' THEN 'wrong type: payload must be an object' END,
        CASE event_type
            WHEN 'session_created' THEN coalesce(
                sm_enum(pt[1], ps[1], 'payload.sync_type', $sync_types, true),
                sm_enum(pt[2], ps[2], 'payload.direction', $directions, true),
                sm_string_list(pt[3], ps[3], 'payload.entity_types'),
                sm_enum(pt[4], ps[4], 'payload.triggered_by', $triggers, true),
                sm_opt_string(pt[5], ps[5], 'payload.retry_of', 2147483647))
            WHEN 'session_status' THEN coalesce(
                sm_enum(pt[1], ps[1], 'payload.status', $statuses, true),
                sm_opt_string(pt[2], ps[2], 'payload.stage', 10000),
                sm_opt_string(pt[3], ps[3], 'payload.reason', 10000))
            WHEN 'session_progress' THEN coalesce(
                sm_opt_string(pt[1], ps[1], 'payload.stage', 10000),
                sm_opt_number(pt[2], ps[2], 'payload.progress_pct', 100),
                sm_opt_string(pt[3], ps[3], 'payload.entity_type', 2147483647),
                sm_opt_count(pt[4], ps[4], 'payload.records_processed'),
                sm_opt_count(pt[5], ps[5], 'payload.records_created'),
                sm_opt_count(pt[6], ps[6], 'payload.records_updated'),
                sm_opt_count(pt[7], ps[7], 'payload.records_deleted'),
                sm_opt_count(pt[8], ps[8], 'payload.records_skipped'),
                sm_opt_count(pt[9], ps[9], 'payload.records_failed'))
            WHEN 'session_error' THEN coalesce(
                sm_enum(pt[1], ps[1], 'payload.category', $error_categories, true),
                sm_enum(pt[2], ps[2], 'payload.severity', $error_severities, true),
                sm_opt_string(pt[3], ps[3], 'payload.code', 2147483647),
                sm_required(pt[4], 'payload.message'),
                sm_opt_string(pt[4], ps[4], 'payload.message', 10000),
                sm_opt_string(pt[5], ps[5], 'payload.entity_type', 2147483647),
                sm_opt_string(pt[6], ps[6], 'payload.entity_id', 2147483647),
                sm_bool(pt[7], 'payload.retryable', false),
                sm_opt_count(pt[8], ps[8], 'payload.retry_count'))
            WHEN 'session_warning' THEN coalesce(
                sm_opt_string(pt[1], ps[1], 'payload.code', 2147483647),
                sm_required(pt[2], 'payload.message'),
                sm_opt_string(pt[2], ps[2], 'payload.message', 10000),
                sm_opt_string(pt[3], ps[3], 'payload.entity_type', 2147483647),
                sm_opt_string(pt[4], ps[4], 'payload.entity_id', 2147483647))
            WHEN 'session_conflict' THEN coalesce(
                sm_required(pt[1], 'payload.entity_type'),
                sm_opt_string(pt[1], ps[1], 'payload.entity_type', 2147483647),
                sm_opt_string(pt[2], ps[2], 'payload.entity_id', 2147483647),
                sm_opt_string(pt[3], ps[3], 'payload.field', 2147483647),
                sm_enum(pt[4], ps[4], 'payload.strategy', $conflict_strategies, true),
                sm_bool(pt[5], 'payload.resolved', true))
            WHEN 'session_metrics' THEN coalesce(
                sm_opt_count(pt[1], ps[1], 'payload.api_calls'),
                sm_opt_count(pt[2], ps[2], 'payload.api_errors'),
                sm_opt_number(pt[3], ps[3], 'payload.api_latency_ms_avg', 1e15),
                sm_opt_number(pt[4], ps[4], 'payload.api_latency_ms_p95', 1e15),
                sm_opt_number(pt[5], ps[5], 'payload.throughput_rps', 1e15),
                sm_opt_count(pt[6], ps[6], 'payload.cache_hits'),
                sm_opt_count(pt[7], ps[7], 'payload.cache_misses'),
                sm_opt_number(pt[8], ps[8], 'payload.cpu_pct', 1e15),
                sm_opt_number(pt[9], ps[9], 'payload.memory_mb', 1e15),
                sm_opt_count(pt[10], ps[10], 'payload.rate_limit_remaining'))
            WHEN 'health_check' THEN coalesce(
                sm_bool(pt[1], 'payload.reachable', true),
                sm_opt_number(pt[2], ps[2], 'payload.latency_ms', 1e15),
                sm_enum(pt[3], ps[3], 'payload.auth_status', $auth_statuses, false),
                sm_opt_count(pt[4], ps[4], 'payload.rate_limit_remaining'),
                sm_opt_string(pt[5], ps[5], 'payload.message', 10000))
        END
    ) AS reason
    FROM fields
)
SELECT file_id, line_no, reason,
       CASE WHEN reason IS NULL THEN try_cast(s[3] AS UUID) END AS event_id,
       CASE WHEN reason IS NULL THEN event_type END AS event_type,
       CASE WHEN reason IS NULL THEN try_cast(occurred_at_text AS TIMESTAMPTZ) AT TIME ZONE 'UTC' END AS occurred_at,
       CASE WHEN reason IS NULL THEN s[5] END AS integration_id,
       CASE WHEN reason IS NULL THEN s[6] END AS provider,
       CASE WHEN reason IS NULL THEN s[7] END AS session_id,
       CASE WHEN reason IS NULL THEN
           CASE WHEN regexp_matches(payload, $redact_prefilter) THEN
               regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(payload,
                   $redact_pattern_1, $redact_replacement_1, 'g'), $redact_pattern_2, $redact_replacement_2, 'g'),
                   $redact_pattern_3, $redact_replacement_3, 'g'), $redact_pattern_4, $redact_replacement_4, 'g'),
                   $redact_pattern_5, $redact_replacement_5, 'g'), $redact_pattern_6, $redact_replacement_6, 'g')
           ELSE payload END
       END AS payload,
       CASE WHEN reason IS NOT NULL THEN strlen(line) END AS raw_bytes,
       CASE WHEN reason IS NOT NULL THEN
           regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
               left(line, $max_line_bytes),
               $redact_pattern_1, $redact_replacement_1, 'g'), $redact_pattern_2, $redact_replacement_2, 'g'),
               $redact_pattern_3, $redact_replacement_3, 'g'), $redact_pattern_4, $redact_replacement_4, 'g'),
               $redact_pattern_5, $redact_replacement_5, 'g'), $redact_pattern_6, $redact_replacement_6, 'g')
       END AS raw_text
FROM checked;
