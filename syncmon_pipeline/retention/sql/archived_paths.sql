-- Every Parquet file the ledger accounts for.
SELECT path FROM retention.archives;
