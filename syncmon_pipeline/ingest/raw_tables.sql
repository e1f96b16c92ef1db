-- The raw layer: every landing line ends in exactly one of sync_events or quarantine,
-- or is counted as a duplicate in the file ledger (ingested_files).
CREATE SCHEMA IF NOT EXISTS raw;

CREATE TABLE IF NOT EXISTS raw.sync_events (
    event_id        UUID      NOT NULL,   -- unique: replays are skipped at ingest
    schema_version  INTEGER   NOT NULL,
    event_type      VARCHAR   NOT NULL,
    occurred_at     TIMESTAMP NOT NULL,   -- event time, UTC
    integration_id  VARCHAR   NOT NULL,
    provider        VARCHAR   NOT NULL,
    session_id      VARCHAR,
    payload         JSON      NOT NULL,   -- redacted
    source_file     VARCHAR   NOT NULL,
    line_no         BIGINT    NOT NULL,
    ingest_run_id   VARCHAR   NOT NULL,
    ingested_at     TIMESTAMP NOT NULL    -- UTC
);

CREATE TABLE IF NOT EXISTS raw.quarantine (
    source_file     VARCHAR   NOT NULL,
    file_sha256     VARCHAR   NOT NULL,
    line_no         BIGINT    NOT NULL,
    reason          VARCHAR   NOT NULL,
    raw_text        VARCHAR   NOT NULL,   -- redacted; cut at the line limit (the file itself is archived)
    raw_bytes       BIGINT    NOT NULL,
    ingest_run_id   VARCHAR   NOT NULL,
    quarantined_at  TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS raw.ingested_files (
    file_name          VARCHAR   NOT NULL,
    archived_path      VARCHAR   NOT NULL,
    size_bytes         BIGINT    NOT NULL,
    sha256             VARCHAR   NOT NULL,
    file_mtime         TIMESTAMP,
    outcome            VARCHAR   NOT NULL,  -- ingested | duplicate_file
    problem            VARCHAR,             -- file-level trouble: empty file, truncated gzip, ...
    lines_total        BIGINT    NOT NULL,  -- = lines_ok + lines_duplicate + lines_quarantined
    lines_ok           BIGINT    NOT NULL,
    lines_duplicate    BIGINT    NOT NULL,
    lines_quarantined  BIGINT    NOT NULL,
    ingest_run_id      VARCHAR   NOT NULL,
    ingested_at        TIMESTAMP NOT NULL
);
