-- The notification ledger: one row per notification (the at-most-once key) and one row per delivery attempt.
-- Timestamps are UTC, stored as naive TIMESTAMP like the rest of the warehouse.
CREATE SCHEMA IF NOT EXISTS alerts;

CREATE TABLE IF NOT EXISTS alerts.notifications (
    notification_id  VARCHAR PRIMARY KEY,  -- stable_id(alert ids, transition, sequence, channel, target)
    channel          VARCHAR   NOT NULL,   -- email | webhook
    target           VARCHAR   NOT NULL,   -- an e-mail address, or the webhook's name in the config
    transition       VARCHAR   NOT NULL,   -- firing | repeat | escalation | resolved | acknowledged | held_back
    sequence         INTEGER   NOT NULL,
    integration_id   VARCHAR   NOT NULL,
    alert_ids        VARCHAR[] NOT NULL,
    fingerprints     VARCHAR[] NOT NULL,
    message          JSON      NOT NULL,   -- the channel-independent Message, as queued
    created_at       TIMESTAMP NOT NULL,   -- when the engine decided to notify
    queued_at        TIMESTAMP NOT NULL,   -- when it entered the ledger
    status           VARCHAR   NOT NULL,   -- queued | sending | delivered | failed | unknown
    attempts         INTEGER   NOT NULL,
    next_attempt_at  TIMESTAMP,            -- set while queued
    delivered_at     TIMESTAMP,
    last_error       VARCHAR               -- redacted; never a header value, URL path/query or password
);

CREATE TABLE IF NOT EXISTS alerts.delivery_attempts (
    notification_id  VARCHAR   NOT NULL,
    attempt          INTEGER   NOT NULL,   -- 1, 2, ...
    channel          VARCHAR   NOT NULL,
    target           VARCHAR   NOT NULL,
    started_at       TIMESTAMP NOT NULL,   -- committed before the send starts (the claim)
    finished_at      TIMESTAMP,            -- NULL: in flight, or the run died (outcome unknown)
    outcome          VARCHAR,              -- delivered | retry | failed | unknown; NULL while in flight
    http_status      INTEGER,
    error            VARCHAR,
    next_retry_at    TIMESTAMP,            -- set when outcome = retry
    PRIMARY KEY (notification_id, attempt)
);
