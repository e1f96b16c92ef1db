-- raw.sync_events rows older than the cutoff: how many, and their time range.
SELECT count(*), min(occurred_at), max(occurred_at) FROM raw.sync_events WHERE occurred_at < $cutoff;
