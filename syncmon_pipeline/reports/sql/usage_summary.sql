SELECT count(*) AS sessions,
       coalesce(sum(records_processed), 0) AS records_processed,
       coalesce(sum(records_created), 0) AS records_created,
       coalesce(sum(records_updated), 0) AS records_updated,
       coalesce(sum(records_deleted), 0) AS records_deleted,
       count(DISTINCT integration_id) AS integrations_active,
       (SELECT count(DISTINCT entity_type) FROM (SELECT unnest(entity_types) AS entity_type FROM report_sessions)) AS entity_types
FROM report_sessions;
