"""One `.sql` file per alert rule, run by `syncmon_pipeline.alerts.observations` over temp tables.

Every rule file reads `_alert_ticks` (evaluation times), `_alert_params` (each integration's effective
thresholds for the rule: one row per threshold) and, for anomaly evidence, `_alert_anomalies`, and
returns one row per (integration, tick) at which its condition holds:
integration_id, provider, tick, started_at, value, threshold, summary, evidence (JSON).
`anomaly_trigger.sql` gives the same rows for the rule `$rule` from `_alert_session_anomalies` (each
session's anomalous measures); the rules with an `anomaly_trigger_score` threshold add them.
"""
