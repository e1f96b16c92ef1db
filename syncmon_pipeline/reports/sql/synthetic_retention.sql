-- Synthetic analyst snapshot, step 10: what the retention job archived and removed before the
-- period the snapshot covers (raw events older than 90 days, report folders of long-ended periods).

INSERT INTO retention.archives BY NAME
SELECT
    'raw.sync_events:' || strftime(cutoff, '%Y-%m-%d') AS archive_id,
    cutoff + INTERVAL 3 HOUR + INTERVAL 30 MINUTE + INTERVAL 12 SECOND AS archived_at,
    'raw.sync_events' AS source_table,
    cutoff,
    'archive/raw_events/' || strftime(first_occurred_at, '%Y-%m-%d') || '_' || strftime(last_occurred_at, '%Y-%m-%d')
        || '.parquet' AS path,
    rows,
    first_occurred_at,
    last_occurred_at,
    rows * 212 AS bytes,
    sha256('archive:' || $seed || ':' || n) AS sha256
FROM (
    SELECT
        n,
        date_trunc('day', $start::TIMESTAMP) - to_days(back_days) AS cutoff,
        date_trunc('day', $start::TIMESTAMP) - to_days(back_days + 1) + INTERVAL 17 SECOND AS first_occurred_at,
        date_trunc('day', $start::TIMESTAMP) - to_days(back_days) - INTERVAL 41 SECOND AS last_occurred_at,
        (40000 + $sessions // 30 * 9 + n * 1013)::BIGINT AS rows
    FROM (VALUES (1, 2), (2, 1)) AS v(n, back_days)
)
ORDER BY archived_at;

INSERT INTO retention.removed_reports BY NAME
SELECT
    date_trunc('day', $start::TIMESTAMP) - INTERVAL 1 DAY + INTERVAL 3 HOUR + INTERVAL 31 MINUTE AS removed_at,
    report_type,
    period_label,
    'reports/daily/' || period_label || '/' || report_type AS path,
    period_end
FROM (
    SELECT
        report_type,
        strftime(date_trunc('day', $start::TIMESTAMP) - INTERVAL 92 DAY, '%Y-%m-%d') AS period_label,
        date_trunc('day', $start::TIMESTAMP) - INTERVAL 91 DAY AS period_end
    FROM (VALUES ('performance'), ('data_quality')) AS t(report_type)
)
ORDER BY report_type;
