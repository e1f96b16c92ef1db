DELETE FROM raw.sync_events WHERE occurred_at < $cutoff;
