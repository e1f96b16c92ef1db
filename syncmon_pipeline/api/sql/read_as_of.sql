-- The instants the analyst snapshot's data describes: the health mart's as-of and the newest session event.
SELECT (SELECT max(as_of) FROM marts.mart_integration_health) AS health_as_of,
       (SELECT max(last_event_at) FROM marts.fct_sync_sessions) AS data_as_of;
