-- What the ledger already knows about these checksums: the first ingestion of each.
SELECT sha256, arg_min(file_name, ingested_at) AS file_name, arg_min(archived_path, ingested_at) AS archived_path
FROM raw.ingested_files
WHERE outcome = 'ingested' AND list_contains($hashes, sha256)
GROUP BY sha256;
