-- landing_text(file_id, content, bad_utf8_lines, cut_last_line) -> landing_lines(file_id, line_no, line, problem)
-- A final newline ends the last line rather than starting an empty one; CR before LF is dropped.
CREATE OR REPLACE TEMP TABLE landing_lines AS
WITH split AS (
    SELECT file_id, string_split(content, chr(10)) AS parts, bad_utf8_lines, cut_last_line
    FROM landing_text
), numbered AS (
    SELECT file_id, unnest(parts) AS line, unnest(generate_series(1, len(parts))) AS line_no,
           len(parts) AS n_parts, bad_utf8_lines, cut_last_line
    FROM split
)
SELECT file_id, line_no,
       CASE WHEN suffix(line, chr(13)) THEN line[:-2] ELSE line END AS line,
       CASE WHEN list_contains(bad_utf8_lines, line_no) THEN 'not valid UTF-8'
            WHEN cut_last_line AND line_no = n_parts THEN 'truncated gzip: line cut off'
            WHEN strlen(line) > $max_line_bytes THEN 'line longer than ' || $max_line_bytes || ' bytes'
       END AS problem
FROM numbered
WHERE NOT (line_no = n_parts AND line = '' );
