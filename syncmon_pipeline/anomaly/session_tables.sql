-- Anomaly scores of each ended session's measures, and the detector state per (integration, sync type,
-- measure).
CREATE SCHEMA IF NOT EXISTS anomaly;

CREATE TABLE IF NOT EXISTS anomaly.session_anomaly_scores (
    integration_id  VARCHAR   NOT NULL,
    session_id      VARCHAR   NOT NULL,
    sync_type       VARCHAR   NOT NULL,  -- full | incremental | delta | ...: each kind of sync is a series of its own
    measure         VARCHAR   NOT NULL,  -- duration_seconds | api_latency_ms | throughput_rps | ...
    ended_at        TIMESTAMP NOT NULL,  -- UTC: when the session ended (the point's time in the series)
    value           DOUBLE    NOT NULL,
    expected        DOUBLE    NOT NULL,
    lower_band      DOUBLE    NOT NULL,
    upper_band      DOUBLE    NOT NULL,
    score           DOUBLE    NOT NULL,  -- 0 <= score <= 1
    is_anomaly      BOOLEAN   NOT NULL,  -- score >= ANOMALY_THRESHOLD, in the direction that hurts
    direction       VARCHAR   NOT NULL,  -- spike | drop
    alert_type      VARCHAR   NOT NULL,  -- the alert type an anomaly of this measure belongs to
    history_days    DOUBLE    NOT NULL,  -- days from the series' first point to this one (a week: its rhythm learnt)
    method          VARCHAR   NOT NULL,
    scored_at       TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS anomaly.session_detector_state (
    integration_id  VARCHAR   NOT NULL,
    sync_type       VARCHAR   NOT NULL,
    measure         VARCHAR   NOT NULL,
    first_ended_at  TIMESTAMP NOT NULL,  -- the series' first point
    last_ended_at   TIMESTAMP NOT NULL,  -- the series' newest point; sessions ending after it are scored next
    last_session_id VARCHAR   NOT NULL,  -- tie-break for sessions ending at the same instant
    state           JSON      NOT NULL
);
