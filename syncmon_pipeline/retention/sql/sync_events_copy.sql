-- Runs inside the archiving transaction, so it copies exactly the rows sync_events_delete.sql removes.
COPY (SELECT * FROM raw.sync_events WHERE occurred_at < $cutoff ORDER BY occurred_at, event_id)
TO $path (FORMAT parquet, COMPRESSION zstd);
