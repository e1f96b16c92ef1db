-- raw.quarantine rows older than the cutoff: how many, and their time range.
SELECT count(*), min(quarantined_at), max(quarantined_at) FROM raw.quarantine WHERE quarantined_at < $cutoff;
