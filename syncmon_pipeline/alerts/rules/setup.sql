-- The temp tables every rule file reads. Ticks and thresholds come in as bound lists, so a month of
-- five-minute ticks is one statement, not thousands of inserts.
CREATE OR REPLACE TEMP TABLE _alert_ticks AS
SELECT DISTINCT tick FROM (SELECT unnest($ticks::TIMESTAMP[]) AS tick);

-- One row per (rule, integration, threshold) for enabled rules; rule files pivot the names they use.
CREATE OR REPLACE TEMP TABLE _alert_params AS
SELECT unnest($rules::VARCHAR[]) AS rule,
       unnest($integrations::VARCHAR[]) AS integration_id,
       unnest($providers::VARCHAR[]) AS provider,
       unnest($names::VARCHAR[]) AS name,
       unnest($values::DOUBLE[]) AS value;

-- Filled by anomalies.sql when the anomaly schema exists; empty otherwise (a warehouse never scored).
CREATE OR REPLACE TEMP TABLE _alert_anomalies (
    integration_id VARCHAR,
    metric         VARCHAR,
    bucket_start   TIMESTAMP,
    value          DOUBLE,
    expected       DOUBLE,
    score          DOUBLE,
    direction      VARCHAR
);

-- Filled by session_anomalies.sql when sessions have been scored; empty otherwise.
CREATE OR REPLACE TEMP TABLE _alert_session_anomalies (
    integration_id VARCHAR,
    session_id     VARCHAR,
    sync_type      VARCHAR,
    measure        VARCHAR,
    ended_at       TIMESTAMP,
    value          DOUBLE,
    expected       DOUBLE,
    lower_band     DOUBLE,
    upper_band     DOUBLE,
    score          DOUBLE,
    direction      VARCHAR,
    alert_type     VARCHAR,
    history_days   DOUBLE
);
