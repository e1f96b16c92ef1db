-- Whether a report folder's removal was committed (decides a half-finished removal: finish or undo).
SELECT count(*) > 0 FROM retention.removed_reports WHERE path = $path AND removed_at = $removed_at;
