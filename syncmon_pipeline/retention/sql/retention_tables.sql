-- What retention did, kept in the warehouse (the analyst snapshot publishes this schema;
-- the compliance report reads both tables: keep their names and columns).
CREATE SCHEMA IF NOT EXISTS retention;

-- One row per Parquet file of archived rows; written in the same transaction that deletes the rows,
-- so every archived row is either still in its table or in exactly one file named here.
CREATE TABLE IF NOT EXISTS retention.archives (
    archive_id        VARCHAR PRIMARY KEY,
    archived_at       TIMESTAMP NOT NULL,  -- UTC
    source_table      VARCHAR   NOT NULL,  -- raw.sync_events | raw.quarantine
    cutoff            TIMESTAMP NOT NULL,  -- UTC; rows older than this were archived
    path              VARCHAR   NOT NULL,  -- the Parquet file, absolute
    rows              BIGINT    NOT NULL,
    first_occurred_at TIMESTAMP NOT NULL,  -- UTC; for raw.quarantine: quarantined_at
    last_occurred_at  TIMESTAMP NOT NULL,
    bytes             BIGINT    NOT NULL,
    sha256            VARCHAR   NOT NULL
);

-- One row per report folder removed.
CREATE TABLE IF NOT EXISTS retention.removed_reports (
    removed_at    TIMESTAMP NOT NULL,  -- UTC
    report_type   VARCHAR   NOT NULL,
    period_label  VARCHAR   NOT NULL,
    path          VARCHAR   NOT NULL,  -- the folder, absolute
    period_end    TIMESTAMP NOT NULL   -- UTC; report.json's period.end, else the folder's mtime
);
