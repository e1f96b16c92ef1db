SELECT strategy, count(*) AS conflicts, count(*) FILTER (WHERE is_resolved) AS resolved,
       count(*) FILTER (WHERE NOT is_resolved) AS unresolved,
       count(*) FILTER (WHERE is_resolved) / count(*) AS resolution_rate
FROM report_conflicts
GROUP BY 1
ORDER BY conflicts DESC, strategy;
