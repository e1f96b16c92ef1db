DELETE FROM raw.quarantine WHERE quarantined_at < $cutoff;
