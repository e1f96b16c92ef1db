SELECT entity_type, field_name, count(*) AS conflicts, count(*) FILTER (WHERE NOT is_resolved) AS unresolved,
       count(DISTINCT integration_id) AS integrations
FROM report_conflicts
GROUP BY 1, 2
ORDER BY conflicts DESC, entity_type, field_name
LIMIT 30;
