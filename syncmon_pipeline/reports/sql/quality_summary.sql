SELECT
    (SELECT count(*) FROM report_errors) AS errors,
    (SELECT count(*) FROM report_errors WHERE category = 'validation') AS validation_errors,
    (SELECT count(*) FROM report_warnings) AS warnings,
    (SELECT count(*) FROM report_conflicts) AS conflicts,
    (SELECT count(*) FROM report_conflicts WHERE NOT is_resolved) AS conflicts_unresolved,
    (SELECT coalesce(sum(records_processed), 0) FROM report_sessions) AS records_processed,
    (SELECT coalesce(sum(records_failed), 0) FROM report_sessions) AS records_failed;
