-- Alert state in the warehouse: every alert ever raised, the engine's bookkeeping, silences, pipeline failures.
CREATE SCHEMA IF NOT EXISTS alerts;

CREATE TABLE IF NOT EXISTS alerts.alerts (
    alert_id          VARCHAR PRIMARY KEY,
    fingerprint       VARCHAR   NOT NULL,
    rule              VARCHAR   NOT NULL,
    alert_type        VARCHAR   NOT NULL,
    severity          VARCHAR   NOT NULL,
    integration_id    VARCHAR   NOT NULL,
    provider          VARCHAR   NOT NULL,
    labels            JSON      NOT NULL,
    status            VARCHAR   NOT NULL,  -- pending | firing | acknowledged | resolved
    started_at        TIMESTAMP NOT NULL,  -- UTC, first evidence
    pending_since     TIMESTAMP NOT NULL,
    fired_at          TIMESTAMP,
    acknowledged_at   TIMESTAMP,
    acknowledged_by   VARCHAR,
    resolved_at       TIMESTAMP,
    resolved_by       VARCHAR,
    last_observed_at  TIMESTAMP,
    value             DOUBLE,
    threshold         DOUBLE,
    summary           VARCHAR   NOT NULL,
    evidence          JSON      NOT NULL,
    escalated_at      TIMESTAMP,
    escalation_count  INTEGER   NOT NULL,
    silenced_by       VARCHAR,
    inhibited_by      VARCHAR,
    updated_at        TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS alerts.engine_state (
    id          INTEGER PRIMARY KEY,  -- always 1: one engine
    state       JSON      NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS alerts.silences (
    silence_id  VARCHAR PRIMARY KEY,
    matchers    JSON      NOT NULL,
    starts_at   TIMESTAMP NOT NULL,
    ends_at     TIMESTAMP NOT NULL,
    author      VARCHAR   NOT NULL,
    comment     VARCHAR   NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    expired_at  TIMESTAMP
);

-- Failed pipeline runs reported by the run-failure sensor; open until a later run of the same job succeeds.
CREATE TABLE IF NOT EXISTS alerts.pipeline_failures (
    run_id      VARCHAR PRIMARY KEY,
    job_name    VARCHAR   NOT NULL,
    failed_at   TIMESTAMP NOT NULL,
    message     VARCHAR   NOT NULL,
    resolved_at TIMESTAMP
);

-- Operator commands from the inbox (commands/), one row each, written in the transaction that applied or
-- rejected them: a command whose id is here is never applied again (its outcome file is re-written from it).
CREATE TABLE IF NOT EXISTS alerts.applied_commands (
    command_id  VARCHAR PRIMARY KEY,
    kind        VARCHAR   NOT NULL,
    actor       VARCHAR   NOT NULL,
    status      VARCHAR   NOT NULL,  -- applied | rejected
    reason      VARCHAR,
    applied_at  TIMESTAMP NOT NULL,  -- UTC
    result      JSON      NOT NULL
);
