-- Rows in a freshly written archive file: read back before the file may replace the table rows.
SELECT count(*) FROM read_parquet($path);
