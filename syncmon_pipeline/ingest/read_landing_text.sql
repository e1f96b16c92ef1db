-- Plain UTF-8 landing files are read by DuckDB directly (decoded files come from Python).
INSERT INTO landing_text
SELECT ids.file_id, files.content, []::BIGINT[], false
FROM read_text($paths) AS files
JOIN (SELECT unnest($paths) AS filename, unnest($file_ids) AS file_id) AS ids USING (filename);
