-- A session anomaly as a trigger of the rule `$rule` its measure belongs to (latency, duration and
-- throughput: performance_degradation; volume drops and failed-record spikes: data_quality_issue;
-- CPU and memory: resource_exhaustion). Holds at a tick when a session that ended within the rule's
-- `window_minutes` had a measure scoring `anomaly_trigger_score` or more that is also material:
-- - at least `anomaly_ratio` times its expected value (a spike) or at most 1 / `anomaly_ratio` of it
--   (a drop);
-- - and beyond the band by as much again: `anomaly_ratio` times as far from the expected value as
--   the band's edge (a noisy series' wide band leaves room for ordinary swings, not for this);
-- - a share of failed records also reaches the rule's own `failed_record_share`, in at least its
--   `min_sessions` sessions of the window: a partial run with a few failed records is ordinary, one
--   after another is the incident.
-- And only once the series holds `anomaly_min_history_days` of history: a week, so that its daily
-- and weekly rhythm is learnt (a new integration's quiet night is not a volume drop).
-- The score says "this is not the series' usual noise"; the ratio says "and it matters".
-- Same row shape as every rule file; the evidence lists each anomaly's value, expected value, band
-- and score, strongest first.
WITH params AS (
    SELECT integration_id, any_value(provider) AS provider,
           max(value) FILTER (WHERE name = 'anomaly_trigger_score') AS min_score,
           max(value) FILTER (WHERE name = 'anomaly_ratio') AS min_ratio,
           max(value) FILTER (WHERE name = 'anomaly_min_history_days') AS min_history_days,
           max(value) FILTER (WHERE name = 'failed_record_share') AS min_failed_share,
           max(value) FILTER (WHERE name = 'min_sessions') AS min_failed_sessions,
           max(value) FILTER (WHERE name = 'window_minutes') AS window_minutes,
           to_microseconds(CAST(max(value) FILTER (WHERE name = 'window_minutes') * 60e6 AS BIGINT)) AS win
    FROM _alert_params WHERE rule = $rule GROUP BY integration_id
),
material AS (
    SELECT a.*, p.provider, p.min_score, p.min_ratio, p.min_failed_sessions, p.window_minutes, p.win,
           CASE WHEN a.direction = 'spike' THEN a.value / nullif(a.expected, 0)
                ELSE a.expected / nullif(a.value, 0) END AS ratio
    FROM _alert_session_anomalies AS a
    JOIN params AS p USING (integration_id)
    WHERE a.alert_type = $rule AND a.score >= p.min_score AND a.expected >= 0
      AND a.history_days >= p.min_history_days
      AND ((a.direction = 'spike' AND a.value > a.expected AND a.value >= p.min_ratio * a.expected
            AND a.value - a.expected >= p.min_ratio * (a.upper_band - a.expected))
           OR (a.direction = 'drop' AND a.value >= 0 AND a.value * p.min_ratio <= a.expected
            AND a.expected - a.value >= p.min_ratio * (a.expected - a.lower_band)))
      AND (a.measure <> 'failed_record_share' OR a.value >= coalesce(p.min_failed_share, 0))
),
windowed AS (
    SELECT m.*, t.tick,
           count(*) FILTER (WHERE m.measure = 'failed_record_share')
               OVER (PARTITION BY m.integration_id, t.tick) AS failed_sessions
    FROM material AS m
    JOIN _alert_ticks AS t ON m.ended_at <= t.tick AND m.ended_at > t.tick - m.win
),
hits AS (
    SELECT m.integration_id, m.tick, any_value(m.provider) AS provider, any_value(m.min_score) AS min_score,
           any_value(m.window_minutes) AS window_minutes, min(m.ended_at) AS started_at,
           arg_max(m, (m.score, m.ended_at, m.measure)) AS top,
           list(m ORDER BY m.score DESC, m.ended_at DESC, m.measure) AS rows
    FROM windowed AS m
    WHERE m.measure <> 'failed_record_share' OR m.failed_sessions >= coalesce(m.min_failed_sessions, 1)
    GROUP BY m.integration_id, m.tick
)
SELECT integration_id, provider, tick, started_at, top.score AS value, min_score AS threshold,
       printf('%s of session %s %s than expected: %s vs %s (%s, band %s to %s), anomaly score %.2f; %d anomalous'
              || ' measure(s) in the last %d min',
              replace(top.measure, '_', ' '), top.session_id,
              CASE WHEN top.direction = 'spike' THEN 'higher' ELSE 'lower' END,
              round(top.value, 2)::VARCHAR, round(top.expected, 2)::VARCHAR,
              coalesce(round(top.ratio, 1)::VARCHAR || 'x', 'n/a'),
              round(top.lower_band, 2)::VARCHAR, round(top.upper_band, 2)::VARCHAR, top.score,
              len(rows), window_minutes::BIGINT) AS summary,
       to_json({
           'trigger': 'session_anomaly',
           'session_ids': [r.session_id FOR r IN rows],
           'figures': {'measure': top.measure, 'value': round(top.value, 3), 'expected': round(top.expected, 3),
                       'lower_band': round(top.lower_band, 3), 'upper_band': round(top.upper_band, 3),
                       'score': round(top.score, 3), 'ratio': round(top.ratio, 2), 'window_minutes': window_minutes},
           'session_anomalies': [{'session_id': r.session_id, 'sync_type': r.sync_type, 'measure': r.measure,
                                  'ended_at': r.ended_at,
                                  'value': round(r.value, 3), 'expected': round(r.expected, 3),
                                  'lower_band': round(r.lower_band, 3), 'upper_band': round(r.upper_band, 3),
                                  'score': round(r.score, 3), 'direction': r.direction, 'ratio': round(r.ratio, 2)}
                                 FOR r IN rows]
       })::VARCHAR AS evidence
FROM hits
