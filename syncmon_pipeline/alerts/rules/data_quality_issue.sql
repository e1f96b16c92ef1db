-- data_quality_issue: records fail validation. Over the sessions that ended within `window_minutes`,
-- holds when records_failed / records_processed reaches `failed_record_share` (with at least
-- `min_records` processed, in at least `min_sessions` sessions with failed records: one partially
-- completed run is routine), or when sessions that did not fail reported at least
-- `validation_errors` validation errors (which catches a quiet night with few records too).
-- Failed sessions are left out of the validation count: a run that dies is sync_failure's business.
-- A session is (integration_id, session_id): session ids are unique per integration only.
WITH params AS (
    SELECT integration_id, any_value(provider) AS provider,
           max(value) FILTER (WHERE name = 'failed_record_share') AS failed_record_share,
           max(value) FILTER (WHERE name = 'min_records') AS min_records,
           max(value) FILTER (WHERE name = 'validation_errors') AS validation_errors,
           max(value) FILTER (WHERE name = 'min_sessions') AS min_sessions,
           max(value) FILTER (WHERE name = 'window_minutes') AS window_minutes,
           to_microseconds(CAST(max(value) FILTER (WHERE name = 'window_minutes') * 60e6 AS BIGINT)) AS win
    FROM _alert_params WHERE rule = 'data_quality_issue' GROUP BY integration_id
),
bounds AS (SELECT min(tick) AS first_tick, max(tick) AS last_tick FROM _alert_ticks),
grid AS (SELECT t.tick, p.*, t.tick - p.win AS since FROM _alert_ticks AS t CROSS JOIN params AS p),
ended AS (
    SELECT s.integration_id, s.ended_at AS ts, s.session_id, s.status, s.records_processed, s.records_failed
    FROM marts.fct_sync_sessions AS s
    JOIN params AS p ON p.integration_id = s.integration_id
    CROSS JOIN bounds AS b
    WHERE s.ended_at > b.first_tick - p.win AND s.ended_at <= b.last_tick
),
session_errors AS (
    SELECT e.integration_id, e.session_id, count(*) AS validation_errors, list(DISTINCT e.entity_type) AS entity_types
    FROM marts.fct_sync_errors AS e
    JOIN ended AS s ON s.integration_id = e.integration_id AND s.session_id = e.session_id AND e.occurred_at <= s.ts
    WHERE e.category = 'validation' AND s.status <> 'failed'
    GROUP BY e.integration_id, e.session_id
),
sessions AS (
    SELECT s.*, coalesce(x.validation_errors, 0) AS validation_errors, x.entity_types
    FROM ended AS s LEFT JOIN session_errors AS x ON x.integration_id = s.integration_id AND x.session_id = s.session_id
),
running AS (
    SELECT integration_id, ts,
           sum(sum(records_processed)) OVER w AS processed,
           sum(sum(records_failed)) OVER w AS failed,
           sum(sum(validation_errors)) OVER w AS validation_errors,
           sum(count(*) FILTER (WHERE records_failed > 0 OR validation_errors > 0)) OVER w AS affected
    FROM sessions GROUP BY integration_id, ts
    WINDOW w AS (PARTITION BY integration_id ORDER BY ts ROWS UNBOUNDED PRECEDING)
),
counted AS (
    SELECT g.*,
           coalesce(rn.processed, 0) - coalesce(ro.processed, 0) AS processed,
           coalesce(rn.failed, 0) - coalesce(ro.failed, 0) AS failed,
           coalesce(rn.validation_errors, 0) - coalesce(ro.validation_errors, 0) AS invalid,
           coalesce(rn.affected, 0) - coalesce(ro.affected, 0) AS affected
    FROM grid AS g
    ASOF LEFT JOIN running AS rn ON rn.integration_id = g.integration_id AND rn.ts <= g.tick
    ASOF LEFT JOIN running AS ro ON ro.integration_id = g.integration_id AND ro.ts <= g.since
),
hits AS (
    SELECT *, failed / nullif(processed, 0) AS share,
           processed > 0 AND processed >= min_records AND failed / processed >= failed_record_share
               AND affected >= min_sessions AS by_share
    FROM counted
    WHERE (processed > 0 AND processed >= min_records AND failed / processed >= failed_record_share
           AND affected >= min_sessions)
       OR (invalid > 0 AND invalid >= validation_errors)
),
evidence AS (
    SELECT h.integration_id, h.tick, min(s.ts) AS first_at,
           list(s.session_id ORDER BY s.ts DESC) AS session_ids,
           list_sort(list_distinct(flatten(list(s.entity_types) FILTER (WHERE s.entity_types IS NOT NULL)))) AS entity_types
    FROM hits AS h
    JOIN sessions AS s ON s.integration_id = h.integration_id AND s.ts > h.since AND s.ts <= h.tick
        AND (s.records_failed > 0 OR s.validation_errors > 0)
    GROUP BY h.integration_id, h.tick
)
SELECT h.integration_id, h.provider, h.tick, e.first_at AS started_at,
       CASE WHEN h.by_share THEN h.share ELSE h.invalid END::DOUBLE AS value,
       CASE WHEN h.by_share THEN h.failed_record_share ELSE h.validation_errors END AS threshold,
       printf('%d of %d records failed (%.1f %%) with %d validation errors in %d sessions in the last %d min',
              h.failed, h.processed, 100 * coalesce(h.share, 0), h.invalid, h.affected,
              h.window_minutes::BIGINT) AS summary,
       to_json({
           'session_ids': e.session_ids,
           'figures': {'records_processed': h.processed, 'records_failed': h.failed,
                       'failed_record_share': round(h.share, 4), 'validation_errors': h.invalid,
                       'sessions_affected': h.affected,
                       'entity_types': e.entity_types, 'window_minutes': h.window_minutes}
       })::VARCHAR AS evidence
FROM hits AS h JOIN evidence AS e ON e.integration_id = h.integration_id AND e.tick = h.tick
