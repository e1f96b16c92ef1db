"""The syncmon code location."""

from datetime import timedelta

import dagster as dg

from syncmon_pipeline.config import load_settings
from syncmon_pipeline.defs.alert_actions import ALERT_ACTION_JOBS
from syncmon_pipeline.defs.alert_tick import alert_state
from syncmon_pipeline.defs.alert_ui import firing_alert_checks
from syncmon_pipeline.defs.alerts import alert_evaluation_job, alert_sensor, pipeline_failure_sensor
from syncmon_pipeline.defs.analytics import (
    analytics_job,
    analytics_schedule,
    anomaly_scores,
    integration_health_overview,
)
from syncmon_pipeline.defs.dbt import dbt_models, dbt_unit_tests
from syncmon_pipeline.defs.ingest import LANDING_FILES, ingest_job, landing_sensor, raw_events
from syncmon_pipeline.defs.publish import analyst_snapshot_asset
from syncmon_pipeline.defs.report_delivery import EMAIL_ASSETS, REPORT_JOBS, REPORT_SCHEDULES
from syncmon_pipeline.defs.report_requests import report_request_sensor
from syncmon_pipeline.defs.reports import REPORT_ASSETS, custom_report, dashboard
from syncmon_pipeline.defs.retention import retention_job, retention_schedule
from syncmon_pipeline.defs.session_anomalies import session_anomaly_scores
from syncmon_pipeline.defs.resources import build_resources

_settings = load_settings().analytics
_mart_keys = sorted(
    (spec.key for spec in dbt_models.specs if spec.key.path[0] == "marts"), key=lambda k: k.to_user_string()
)
analyst_snapshot = analyst_snapshot_asset([*_mart_keys, anomaly_scores.key, session_anomaly_scores.key])

def _with_freshness(spec: dg.AssetSpec) -> dg.AssetSpec:
    """A stalled pipeline shows up in the UI: raw events and analytics marts carry freshness policies."""
    if spec.key.path[0] == "raw":
        minutes = _settings.raw_stale_after_minutes
    elif spec.key.path[0] in ("marts", "anomaly") or spec.key.path[-1] in (
        "integration_health_overview",
        "analyst_snapshot",
    ):
        minutes = _settings.stale_after_minutes
    else:
        return spec
    policy = dg.FreshnessPolicy.time_window(fail_window=timedelta(minutes=minutes), warn_window=timedelta(minutes=minutes / 2))
    return dg.apply_freshness_policy(spec, policy)


def build_definitions() -> dg.Definitions:
    return dg.Definitions(
        assets=[
            LANDING_FILES, raw_events, dbt_models, integration_health_overview, anomaly_scores, analyst_snapshot,
            session_anomaly_scores, alert_state, *REPORT_ASSETS.values(), *EMAIL_ASSETS.values(), custom_report, dashboard,
        ],  # fmt: skip
        asset_checks=[dbt_unit_tests, *firing_alert_checks],
        jobs=[ingest_job, analytics_job, alert_evaluation_job, *ALERT_ACTION_JOBS, *REPORT_JOBS.values(), retention_job],
        sensors=[landing_sensor, alert_sensor, pipeline_failure_sensor, report_request_sensor],
        schedules=[analytics_schedule, *REPORT_SCHEDULES, retention_schedule],
        resources=build_resources(),
    ).map_asset_specs(func=_with_freshness)


defs = build_definitions()
