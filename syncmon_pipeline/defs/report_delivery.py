"""Report e-mail: per period an asset that mails the period's reports, the report jobs and their schedules."""

import os
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

import dagster as dg

from syncmon_pipeline.config import load_settings
from syncmon_pipeline.defs.reports import PARTITIONS, REPORT_ASSETS, report_key
from syncmon_pipeline.defs.resources import WAREHOUSE_POOL, WarehouseResource, data_paths
from syncmon_pipeline.mail import Mailer
from syncmon_pipeline.reports.delivery import (
    Attempt,
    Claim,
    DeliveryOutcome,
    ReportToSend,
    claim_deliveries,
    record_deliveries,
    record_skipped_parts,
    send_claims,
)
from syncmon_pipeline.reports.period import period_for_key, previous_period_key
from syncmon_pipeline.reports.settings import PERIODS, REPORT_TYPES

REPORT_CONCURRENCY = 5  # reports read the snapshot, not the warehouse: several can be generated at once


@dataclass(frozen=True)
class ClaimedPeriod:
    """What the claim step hands the send and record steps."""

    reports: tuple[ReportToSend, ...]
    claims: tuple[Claim, ...]
    settled: tuple[tuple[ReportToSend, DeliveryOutcome], ...]  # already delivered, or unknown: nothing to send


def _mailer() -> Mailer:
    return Mailer.from_env(os.environ, outbox=data_paths().outbox)


def email_asset(granularity: str) -> dg.AssetsDefinition:
    """Claim (warehouse slot), send (no slot: a slow or failing mail server holds up nothing), record (slot)."""

    @dg.op(name=f"claim_{granularity}_report_emails", pool=WAREHOUSE_POOL, ins={"ready": dg.In(dg.Nothing)})
    def claim(context: dg.OpExecutionContext, warehouse: WarehouseResource) -> ClaimedPeriod:
        settings = load_settings().reports
        paths = data_paths()
        period = period_for_key(granularity, context.partition_key, settings.timezone)
        mailer, reports, claims, settled = _mailer(), [], [], []
        with warehouse.get_connection() as con:
            for report_type in settings.types:
                folder = paths.reports / report_type / period.label
                if not (folder / "email.json").exists():
                    raise dg.Failure(description=f"{folder} has no generated report to send; materialize"
                                     f" {report_key(report_type, granularity).to_user_string()} for this period first")
                report = ReportToSend(report_type, period.label, granularity, folder)
                for part in record_skipped_parts(con, report, now=datetime.now(UTC)):
                    context.log.warning(f"{report.key} was sent without a part it could not compute: {part}")
                to_send, done = claim_deliveries(con, report, recipients=settings.recipients, mailer=mailer,
                                                 now=datetime.now(UTC))  # fmt: skip
                reports.append(report)
                claims += to_send
                settled += [(report, outcome) for outcome in done]
        return ClaimedPeriod(tuple(reports), tuple(claims), tuple(settled))

    @dg.op(name=f"send_{granularity}_report_emails")
    def send(context: dg.OpExecutionContext, claimed: ClaimedPeriod) -> list[Attempt]:
        attempts = send_claims(claimed.claims, mailer=_mailer(), settings=load_settings().reports,
                               clock=lambda: datetime.now(UTC))  # fmt: skip
        context.log.info(f"{len(claimed.claims)} report e-mail(s) sent in {len(attempts)} attempt(s)")
        return attempts

    @dg.op(name=f"record_{granularity}_report_emails", pool=WAREHOUSE_POOL)
    def record(
        context: dg.OpExecutionContext, warehouse: WarehouseResource, claimed: ClaimedPeriod, attempts: list[Attempt]
    ) -> dg.Output[None]:
        outcomes: list[DeliveryOutcome] = []
        with warehouse.get_connection() as con:
            for report in claimed.reports:
                outcomes += record_deliveries(
                    con, report, now=datetime.now(UTC), attempts=attempts,
                    claims=[c for c in claimed.claims if c.report == report],
                    settled=[o for r, o in claimed.settled if r == report],
                )  # fmt: skip
        counts = Counter(o.status for o in outcomes)
        context.log.info(f"{granularity} reports: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
        failed = [o for o in outcomes if o.status == "failed"]
        if failed:
            raise dg.Failure(
                description=f"{len(failed)} report e-mail(s) not delivered after retries; an alert was raised"
                f" (pipeline:report_delivery:…). First error: {failed[0].error}",
                metadata={"failed": len(failed), **{f"deliveries_{s}": n for s, n in counts.items()}},
            )
        return dg.Output(None, metadata={
            "recipients": len(load_settings().reports.recipients),
            "reports": len(claimed.reports),
            **{f"deliveries_{s}": n for s, n in sorted(counts.items())},
            "transport": _mailer().transport,
        })  # fmt: skip

    @dg.graph_asset(
        key=["reports", f"{granularity}_email"],
        partitions_def=PARTITIONS[granularity],
        ins={t: dg.AssetIn(report_key(t, granularity), dagster_type=dg.Nothing) for t in REPORT_TYPES},
        group_name="reports",
        kinds={"email"},
        description=f"E-mails the {granularity} reports (reports.types) to reports.recipients: a JavaScript-free"
        " body with the summary, figures and tables, the full HTML and CSVs attached; every attempt in"
        " reports.deliveries. Claims and records take the warehouse slot for a moment each; sending and its"
        " retries hold nothing. A delivery that still fails after its retries raises an alert and fails the step.",
    )
    def _email(**reports_ready):
        claimed = claim(ready=list(reports_ready.values()))
        return record(claimed, send(claimed))

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
