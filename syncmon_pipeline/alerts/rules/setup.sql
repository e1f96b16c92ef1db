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
