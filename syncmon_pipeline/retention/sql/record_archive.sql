INSERT INTO retention.archives (
    archive_id, archived_at, source_table, cutoff, path, rows, first_occurred_at, last_occurred_at, bytes, sha256
) VALUES (
    $archive_id, $archived_at, $source_table, $cutoff, $path, $rows, $first_occurred_at, $last_occurred_at,
    $bytes, $sha256
);
