-- Synthetic analyst snapshot, step 10: what the daily retention job (03:30 UTC, 90 days kept)
-- archived and removed on the last two days, shaped like syncmon_pipeline/retention writes it
-- under the home /var/lib/syncmon: raw events and quarantined lines older than the cutoff, report
-- folders of periods that ended before it.

INSERT INTO retention.archives BY NAME
WITH runs AS (
    SELECT
        v.*,
        date_trunc('day', $end::TIMESTAMP - INTERVAL 4 HOUR) - to_days(v.back_days)
            + INTERVAL 3 HOUR + INTERVAL 30 MINUTE + to_seconds(v.n * 7) AS archived_at,
        md5('archive:' || $seed || ':' || v.n) AS archive_id
    FROM (VALUES
        (1, 'raw.sync_events', 'raw_events', 1, 40000 + $sessions // 30 * 9),
        (2, 'raw.sync_events', 'raw_events', 0, 41013 + $sessions // 30 * 9),
        (3, 'raw.quarantine', 'quarantine', 0, 37)
    ) AS v(n, source_table, folder, back_days, rows)
),
cut AS (
    SELECT *, date_trunc('second', archived_at - INTERVAL 90 DAY) AS cutoff FROM runs
)
SELECT
    archive_id,
    archived_at,
    source_table,
    cutoff,
    '/var/lib/syncmon/archive/' || folder || '/' || folder || '_' || strftime(cutoff, '%Y-%m-%d') || '_' || archive_id
        || '.parquet' AS path,
    rows::BIGINT AS rows,
    cutoff - INTERVAL 1 DAY + INTERVAL 17 SECOND AS first_occurred_at,
    cutoff - INTERVAL 41 SECOND AS last_occurred_at,
    rows * 212 AS bytes,
    sha256('archive:' || $seed || ':' || n) AS sha256
FROM cut
ORDER BY archived_at;

INSERT INTO retention.removed_reports BY NAME
WITH run AS (
    SELECT date_trunc('day', $end::TIMESTAMP - INTERVAL 4 HOUR) + INTERVAL 3 HOUR + INTERVAL 31 MINUTE AS removed_at
)
SELECT
    removed_at,
    report_type,
    'daily-' || strftime(date_trunc('day', removed_at) - INTERVAL 92 DAY, '%Y-%m-%d') AS period_label,
    '/var/lib/syncmon/reports/' || report_type || '/daily-'
        || strftime(date_trunc('day', removed_at) - INTERVAL 92 DAY, '%Y-%m-%d') AS path,
    date_trunc('day', removed_at) - INTERVAL 91 DAY AS period_end
FROM run
CROSS JOIN (VALUES ('performance'), ('data_quality')) AS t(report_type)
ORDER BY report_type;
