-- classified_lines + batch_files -> raw.sync_events, raw.quarantine, raw.ingested_files.
-- Runs inside the caller's transaction: a batch lands whole or not at all.
-- Event ids seen more than once in this batch (rare): only their first line counts.
CREATE OR REPLACE TEMP TABLE repeated_ids AS
SELECT event_id, min(file_id * 4294967296 + line_no) AS first_position
FROM classified_lines
WHERE reason IS NULL
GROUP BY event_id
HAVING count(*) > 1;

CREATE OR REPLACE TEMP TABLE new_events AS
SELECT c.file_id, c.line_no, c.event_id, c.event_type, c.occurred_at, c.integration_id, c.provider,
       c.session_id, c.payload
FROM classified_lines AS c
ANTI JOIN raw.sync_events AS r ON r.event_id = c.event_id
LEFT JOIN repeated_ids AS d ON d.event_id = c.event_id
WHERE c.reason IS NULL
  AND (d.event_id IS NULL OR d.first_position = c.file_id * 4294967296 + c.line_no);

INSERT INTO raw.sync_events
SELECT n.event_id, $schema_version, n.event_type, n.occurred_at, n.integration_id, n.provider, n.session_id,
       n.payload, f.file_name, n.line_no, $run_id, $ingested_at
FROM new_events AS n
JOIN batch_files AS f USING (file_id);

INSERT INTO raw.quarantine
SELECT f.file_name, f.sha256, c.line_no, c.reason, c.raw_text, c.raw_bytes, $run_id, $ingested_at
FROM classified_lines AS c
JOIN batch_files AS f USING (file_id)
WHERE c.reason IS NOT NULL;

INSERT INTO raw.ingested_files
WITH lines AS (
    SELECT file_id, count(*) AS total, count(reason) AS quarantined FROM classified_lines GROUP BY file_id
), inserted AS (
    SELECT file_id, count(*) AS ok FROM new_events GROUP BY file_id
)
SELECT f.file_name, f.archived_path, f.size_bytes, f.sha256, f.file_mtime, 'ingested', f.problem,
       coalesce(l.total, 0),
       coalesce(i.ok, 0),
       coalesce(l.total, 0) - coalesce(i.ok, 0) - coalesce(l.quarantined, 0),
       coalesce(l.quarantined, 0),
       $run_id, $ingested_at
FROM batch_files AS f
LEFT JOIN lines AS l USING (file_id)
LEFT JOIN inserted AS i USING (file_id);
