"""Health, trends and the analyst snapshot, refreshed on the analytics schedule."""

from datetime import UTC, datetime

import dagster as dg

from syncmon_pipeline.analytics.overview import fleet_overview
from syncmon_pipeline.anomaly.scoring import score_new_buckets
from syncmon_pipeline.config import load_settings
from syncmon_pipeline.defs.alert_ui import firing_alert_checks
from syncmon_pipeline.defs.dbt import DbtBuildConfig, analytics_models, dbt_unit_tests
from syncmon_pipeline.defs.resources import WAREHOUSE_POOL, WarehouseResource

HEALTH_MART = dg.AssetKey(["marts", "mart_integration_health"])
SESSIONS_FACT = dg.AssetKey(["marts", "fct_sync_sessions"])


@dg.asset(
    deps=[HEALTH_MART, SESSIONS_FACT],
    group_name="marts",
    pool=WAREHOUSE_POOL,
    description="Fleet overview: active syncs, completion rate, average duration, uptime and integrations by"
    " status, as numeric metadata the Dagster UI plots over time.",
)
def integration_health_overview(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    with warehouse.get_connection() as con:
        overview = fleet_overview(con)
    context.log.info(
        f"{overview.integrations_total} integrations: {overview.integrations_healthy} healthy,"
        f" {overview.integrations_degraded} degraded, {overview.integrations_down} down,"
        f" {overview.integrations_stale} stale, {overview.integrations_unknown} unknown"
    )
    metadata: dict[str, object] = dict(overview.numeric_metadata())
    if overview.as_of:
        metadata["as_of"] = dg.MetadataValue.timestamp(overview.as_of.replace(tzinfo=UTC))
    return dg.MaterializeResult(metadata=metadata)


HOURLY_SERIES = dg.AssetKey(["marts", "mart_sync_timeseries_hourly"])


@dg.asset(
    key=["anomaly", "anomaly_scores"],
    deps=[HOURLY_SERIES, SESSIONS_FACT],
    group_name="anomaly",
    pool=WAREHOUSE_POOL,
    description="Per integration and metric (p95 duration, failure rate, errors, records, throughput, API and"
    " health-check latency), per complete hour: value, expected value, band, score in [0, 1), is_anomaly and"
    " direction. Incremental: only new complete buckets are scored, continuing each series' detector state.",
)
def anomaly_scores(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.get_connection() as con:
        (latest,) = con.execute(
            "SELECT date_trunc('hour', max(last_event_at)) FROM marts.fct_sync_sessions"
        ).fetchall()[0]
        if latest is None:
            return dg.MaterializeResult(metadata={"buckets_scored": 0, "anomalies_found": 0})
        report = score_new_buckets(con, complete_before=latest, scored_at=datetime.now(UTC).replace(tzinfo=None))
        (total,) = con.execute("SELECT count(*) FILTER (WHERE is_anomaly) FROM anomaly.anomaly_scores").fetchall()[0]
    context.log.info(f"scored {report.buckets_scored} buckets of {report.series} series: {report.anomalies_found} anomalies")
    return dg.MaterializeResult(
        metadata={
            "buckets_scored": report.buckets_scored,
            "anomalies_found": report.anomalies_found,
            "anomalies_total": total,
            "complete_before": dg.MetadataValue.timestamp(latest.replace(tzinfo=UTC)),
        }
    )


# dbt's unit tests check the models' code, not the data: `make test` and CI run them (and the UI can, as the
# `dbt_unit_tests` check); every 5 minutes they only held the warehouse slot for 5-20 s.
analytics_selection = (
    analytics_models
    | dg.AssetSelection.assets(integration_health_overview, anomaly_scores, "analyst_snapshot", "dashboard")
) - dg.AssetSelection.checks(*firing_alert_checks, dbt_unit_tests)  # the alert job reports its checks

analytics_job = dg.define_asset_job(
    "analytics_job",
    selection=analytics_selection,
    description="Integration health, trends and entity marts, the fleet overview, the analyst snapshot and the"
    " dashboard page.",
    executor_def=dg.in_process_executor,  # every step is in the warehouse pool anyway: nothing runs in parallel
)


@dg.schedule(
    job=analytics_job,
    cron_schedule=load_settings().analytics.schedule_cron,
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Refreshes health and trends (health as of the tick's time) and republishes the analyst snapshot.",
)
def analytics_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    as_of = context.scheduled_execution_time.astimezone(UTC)
    return dg.RunRequest(
        run_key=None,
        run_config=dg.RunConfig(ops={"dbt_models": DbtBuildConfig(as_of=as_of.strftime("%Y-%m-%dT%H:%M:%SZ"))}),
        tags={"syncmon/as_of": as_of.isoformat()},
    )
