-- Anomaly scores per integration, metric and hourly bucket, and the detector state per series.
CREATE SCHEMA IF NOT EXISTS anomaly;

CREATE TABLE IF NOT EXISTS anomaly.anomaly_scores (
    integration_id  VARCHAR   NOT NULL,
    metric          VARCHAR   NOT NULL,
    bucket_start    TIMESTAMP NOT NULL,  -- UTC hour
    value           DOUBLE    NOT NULL,
    expected        DOUBLE    NOT NULL,
    lower_band      DOUBLE    NOT NULL,  -- outside [lower_band, upper_band] the score passes the threshold
    upper_band      DOUBLE    NOT NULL,
    score           DOUBLE    NOT NULL,  -- 0 <= score < 1
    is_anomaly      BOOLEAN   NOT NULL,
    direction       VARCHAR   NOT NULL,  -- spike | drop
    method          VARCHAR   NOT NULL,
    scored_at       TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS anomaly.detector_state (
    integration_id  VARCHAR   NOT NULL,
    metric          VARCHAR   NOT NULL,
    last_bucket     TIMESTAMP NOT NULL,
    state           JSON      NOT NULL
);
