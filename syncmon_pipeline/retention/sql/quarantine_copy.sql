-- Runs inside the archiving transaction, so it copies exactly the rows quarantine_delete.sql removes.
COPY (SELECT * FROM raw.quarantine WHERE quarantined_at < $cutoff ORDER BY quarantined_at, source_file, line_no)
TO $path (FORMAT parquet, COMPRESSION zstd);
