"""Data retention in Dagster: a nightly job that archives old raw rows and removes old report folders.

The work is `syncmon_pipeline.retention.apply_retention`; this shell reads the clock and the settings,
opens the warehouse and reports the figures.
"""

from datetime import UTC, datetime

import dagster as dg
from pydantic import Field

from syncmon_pipeline.config import load_settings
from syncmon_pipeline.defs.resources import WAREHOUSE_POOL, WarehouseResource, data_paths
from syncmon_pipeline.retention import apply_retention


class RetentionConfig(dg.Config):
    raw_events_days: int | None = Field(
        None, ge=1, description="Archive raw events older than this many days; empty: retention.raw_events_days."
    )
    reports_days: int | None = Field(
        None, ge=1, description="Remove report folders whose period ended longer ago; empty: retention.reports_days."
    )


@dg.op(pool=WAREHOUSE_POOL)
def apply_retention_op(context: dg.OpExecutionContext, config: RetentionConfig, warehouse: WarehouseResource) -> str:
    settings = load_settings().retention
    paths = data_paths()
    with warehouse.get_connection() as con:
        report = apply_retention(
            con, now=datetime.now(UTC),
            raw_events_days=config.raw_events_days or settings.raw_events_days,
            reports_days=config.reports_days or settings.reports_days,
            archive_dir=paths.archive, reports_dir=paths.reports,
        )  # fmt: skip
    for note in report.recovered:
        context.log.warning(f"interrupted earlier run: {note}")
    for archive in report.archives:
        context.log.info(f"archived {archive.rows} row(s) of {archive.source_table} to {archive.path}")
    for folder in report.reports_removed:
        context.log.info(f"removed {folder.path} (period ended {folder.period_end.isoformat()}, "
                         f"from {folder.period_end_from})")  # fmt: skip
    context.log.info(report.render())
    context.add_output_metadata(report.metadata())
    return report.render()


@dg.job(
    executor_def=dg.in_process_executor,
    description="Archive raw events and quarantined lines past retention to Parquet, delete them, remove old reports.",
)
def retention_job():
    apply_retention_op()


retention_schedule = dg.ScheduleDefinition(
    name="retention_schedule",
    job=retention_job,
    cron_schedule=load_settings().retention.schedule_cron,
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Nightly data retention (retention.schedule_cron in syncmon.yaml).",
)
