-- Session anomalies the rules may trigger on: flagged measures (in the direction that hurts) of
-- sessions that ended by the last tick. A session is scored in the ingest run that brings it, so its
-- anomaly is known as soon as its facts are.
INSERT INTO _alert_session_anomalies
SELECT integration_id, session_id, sync_type, measure, ended_at, value, expected, lower_band, upper_band, score, direction,
       alert_type, history_days
FROM anomaly.session_anomaly_scores
WHERE is_anomaly
  AND ended_at <= (SELECT max(tick) FROM _alert_ticks);
