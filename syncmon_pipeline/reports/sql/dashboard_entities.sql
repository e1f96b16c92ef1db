SELECT entity_type, count(DISTINCT integration_id) AS integrations, sum(records_processed) AS records_processed,
       sum(records_failed) AS records_failed, sum(records_failed) / nullif(sum(records_processed), 0) AS failed_rate,
       sum(validation_errors) AS validation_errors, sum(conflicts_unresolved) AS conflicts_unresolved,
       max(last_reported_at) AS last_reported_at
FROM marts.mart_entity_metrics
GROUP BY 1
ORDER BY records_processed DESC, entity_type;
