"""Report e-mail: per period an asset that mails the period's reports, the report jobs and their schedules."""

import os
from datetime import UTC, datetime

import dagster as dg

from syncmon_pipeline.config import load_settings
from syncmon_pipeline.defs.reports import PARTITIONS, REPORT_ASSETS, report_key
from syncmon_pipeline.defs.resources import WAREHOUSE_POOL, WarehouseResource, data_paths
from syncmon_pipeline.reports.delivery import ReportToSend, deliver_report, record_skipped_parts
from syncmon_pipeline.reports.period import period_for_key, previous_period_key
from syncmon_pipeline.reports.settings import PERIODS, REPORT_TYPES

REPORT_CONCURRENCY = 5  # reports read the snapshot, not the warehouse: several can be generated at once


def email_asset(granularity: str) -> dg.AssetsDefinition:
    @dg.asset(
        key=["reports", f"{granularity}_email"],
        partitions_def=PARTITIONS[granularity],
        deps=[report_key(t, granularity) for t in REPORT_TYPES],
        group_name="reports",
        pool=WAREHOUSE_POOL,  # the delivery ledger lives in the warehouse
        kinds={"email"},
        description=f"E-mails the {granularity} reports (reports.types) to reports.recipients: a JavaScript-free"
        " body with the summary, figures and tables, the full HTML and CSVs attached; every attempt in"
        " reports.deliveries. A delivery that still fails after its retries raises an alert and fails this step.",
    )
    def _email(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        settings = load_settings().reports
        paths = data_paths()
        period = period_for_key(granularity, context.partition_key, settings.timezone)
        outcomes = []
        retries = settings
        with warehouse.get_connection() as con:
            for report_type in settings.types:
                folder = paths.reports / report_type / period.label
                if not (folder / "email.json").exists():
                    raise dg.Failure(description=f"{folder} has no generated report to send; materialize"
                                     f" {report_key(report_type, granularity).to_user_string()} for this period first")
                report = ReportToSend(report_type, period.label, granularity, folder)
                for part in record_skipped_parts(con, report, now=datetime.now(UTC)):
                    context.log.warning(f"{report.key} was sent without a part it could not compute: {part}")
                sent = deliver_report(
                    con, report, recipients=settings.recipients, settings=retries, outbox=paths.outbox,
                    environ=os.environ, clock=lambda: datetime.now(UTC),
                )
                outcomes += [(report_type, o) for o in sent]
                if any(o.status == "failed" for o in sent):  # the mail server is failing: no more waiting
                    retries = settings.model_copy(update={"delivery_attempts": 1})
        counts: dict[str, int] = {}
        for _, outcome in outcomes:
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
        context.log.info(f"{granularity} reports {period.label}: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
        failed = [(t, o) for t, o in outcomes if o.status == "failed"]
        if failed:
            raise dg.Failure(
                description=f"{len(failed)} report e-mail(s) not delivered after retries; an alert was raised"
                f" (pipeline:report_delivery:…). First error: {failed[0][1].error}",
                metadata={"failed": len(failed), **{f"deliveries_{s}": n for s, n in counts.items()}},
            )
        return dg.MaterializeResult(metadata={
            "recipients": len(settings.recipients),
            "reports": len(settings.types),
            **{f"deliveries_{s}": n for s, n in sorted(counts.items())},
            "transport": "smtp" if os.environ.get("SYNCMON_SMTP_HOST") else f"outbox ({paths.outbox})",
        })

    return _email


EMAIL_ASSETS = {g: email_asset(g) for g in PERIODS}


def reports_job(granularity: str):  # an unresolved asset job (resolved by Definitions)
    return dg.define_asset_job(
        f"{granularity}_reports_job",
        selection=dg.AssetSelection.assets(*[REPORT_ASSETS[(t, granularity)] for t in REPORT_TYPES],
                                           EMAIL_ASSETS[granularity]),
        partitions_def=PARTITIONS[granularity],
        executor_def=dg.multiprocess_executor.configured({"max_concurrent": REPORT_CONCURRENCY}),
        description=f"Generate the {granularity} reports from the analyst snapshot and e-mail them.",
    )


REPORT_JOBS = {g: reports_job(g) for g in PERIODS}


def report_schedule(granularity: str) -> dg.ScheduleDefinition:
    settings = load_settings().reports
    minute, hour = settings.send_minute, settings.send_hour
    cron = {"daily": f"{minute} {hour} * * *", "weekly": f"{minute} {hour} * * 1", "monthly": f"{minute} {hour} 1 * *"}
    on = granularity in settings.periods and bool(settings.recipients)

    @dg.schedule(
        name=f"{granularity}_reports_schedule",
        job=REPORT_JOBS[granularity],
        cron_schedule=cron[granularity],
        execution_timezone=settings.timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING if on else dg.DefaultScheduleStatus.STOPPED,
        description=f"At {settings.send_at} {settings.timezone}: the last complete {granularity} period's reports,"
        " generated and e-mailed.",
    )
    def _schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        key = previous_period_key(granularity, context.scheduled_execution_time, load_settings().reports.timezone)
        return dg.RunRequest(run_key=f"{granularity}-{key}", partition_key=key)

    return _schedule


REPORT_SCHEDULES = [report_schedule(g) for g in PERIODS]
