DROP TABLE IF EXISTS _alert_ticks;
DROP TABLE IF EXISTS _alert_params;
DROP TABLE IF EXISTS _alert_anomalies;
DROP TABLE IF EXISTS _alert_session_anomalies;
