"""Health, trends and the analyst snapshot, refreshed on the analytics schedule."""

from datetime import UTC

import dagster as dg

from syncmon_pipeline.analytics.overview import fleet_overview
from syncmon_pipeline.config import load_settings
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


analytics_selection = (
    analytics_models
    | dg.AssetSelection.assets(integration_health_overview, "analyst_snapshot")
    | dg.AssetSelection.checks(dbt_unit_tests)
)

analytics_job = dg.define_asset_job(
    "analytics_job",
    selection=analytics_selection,
    description="Integration health, trends and entity marts, the fleet overview and the analyst snapshot.",
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
