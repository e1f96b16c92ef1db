-- Sessions that synced each entity type in the period; records are the all-time totals of the entity mart.
WITH period AS (
    SELECT entity_type, count(*) AS sessions, count(DISTINCT integration_id) AS integrations
    FROM (SELECT unnest(entity_types) AS entity_type, integration_id FROM report_sessions)
    WHERE len($entity_types::VARCHAR[]) = 0 OR list_contains($entity_types::VARCHAR[], entity_type)
    GROUP BY 1
), all_time AS (
    SELECT entity_type, sum(records_processed) AS records_all_time
    FROM marts.mart_entity_metrics
    WHERE len($integrations::VARCHAR[]) = 0 OR list_contains($integrations::VARCHAR[], integration_id)
    GROUP BY 1
)
SELECT p.entity_type, p.sessions, p.integrations, coalesce(a.records_all_time, 0) AS records_all_time
FROM period AS p LEFT JOIN all_time AS a USING (entity_type)
ORDER BY p.sessions DESC, p.entity_type;
