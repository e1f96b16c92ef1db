SELECT integration_id, any_value(provider) AS provider, count(*) AS sessions,
       coalesce(sum(records_processed), 0) AS records_processed,
       coalesce(sum(records_created), 0) AS records_created,
       coalesce(sum(records_updated), 0) AS records_updated,
       coalesce(sum(records_deleted), 0) AS records_deleted,
       coalesce(sum(records_processed), 0) / nullif(sum(sum(records_processed)) OVER (), 0) AS share_of_records
FROM report_sessions
GROUP BY 1
ORDER BY records_processed DESC, integration_id;
