-- The report delivery ledger: one row per (report, period, recipient); every send attempt beside it.
CREATE SCHEMA IF NOT EXISTS reports;
CREATE TABLE IF NOT EXISTS reports.deliveries (
    delivery_id VARCHAR PRIMARY KEY,
    report_type VARCHAR NOT NULL,
    period_label VARCHAR NOT NULL,
    recipient VARCHAR NOT NULL,
    transport VARCHAR NOT NULL,          -- smtp or outbox
    status VARCHAR NOT NULL,             -- sending, delivered, failed, unknown (killed while sending)
    attempts INTEGER NOT NULL,
    first_attempt_at TIMESTAMP NOT NULL,
    last_attempt_at TIMESTAMP,
    delivered_at TIMESTAMP,
    last_error VARCHAR,
    message_id VARCHAR NOT NULL,
    attachments VARCHAR[],
    message_bytes BIGINT
);
CREATE TABLE IF NOT EXISTS reports.delivery_attempts (
    delivery_id VARCHAR NOT NULL,
    attempt INTEGER NOT NULL,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP NOT NULL,
    outcome VARCHAR NOT NULL,            -- delivered, retry, failed
    error VARCHAR,
    PRIMARY KEY (delivery_id, attempt)
);
