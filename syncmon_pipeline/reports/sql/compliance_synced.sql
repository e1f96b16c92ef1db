-- What was synced and when, per integration (completed work only: created, updated and deleted records).
SELECT integration_id, any_value(provider) AS provider,
       min(coalesce(started_at, created_at)) AS first_sync_at, max(ended_at) AS last_sync_at,
       count(*) FILTER (WHERE outcome = 'succeeded') AS sessions_succeeded,
       count(*) FILTER (WHERE outcome IN ('failed', 'partial')) AS sessions_failed_or_partial,
       coalesce(sum(records_created), 0) AS records_created,
       coalesce(sum(records_updated), 0) AS records_updated,
       coalesce(sum(records_deleted), 0) AS records_deleted,
       array_to_string(list_sort(list_distinct(flatten(list(entity_types)))), ', ') AS entity_types
FROM report_sessions
GROUP BY 1
ORDER BY 1;
