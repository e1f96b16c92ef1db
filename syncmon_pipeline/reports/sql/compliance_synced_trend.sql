SELECT date_trunc($bucket, local_at) AS bucket,
       coalesce(sum(records_created), 0) AS records_created,
       coalesce(sum(records_updated), 0) AS records_updated,
       coalesce(sum(records_deleted), 0) AS records_deleted
FROM report_sessions
GROUP BY 1
ORDER BY 1;
