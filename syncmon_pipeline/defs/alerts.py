"""Alert evaluation on sensor ticks: the alert job, the sensor that launches it and the run-failure sensor.

The job has two ops in the warehouse pool: `evaluate_alerts_op` (rules → engine → alert state and
queued notifications, plus the Dagster UI channel) and `deliver_notifications_op` (the ledger sends
what is due: e-mail, webhooks). The sensor launches it when fresh facts land, when the engine has a
time-based transition due, and at least every `alerting.evaluate_every_seconds`.
"""

import json
import os
from datetime import UTC, datetime

import dagster as dg

from syncmon_pipeline.alerts import ledger, pipeline_failures, service
from syncmon_pipeline.alerts.wakeup import read_wakeup, write_wakeup
from syncmon_pipeline.config import load_settings
from syncmon_pipeline.defs.alert_ui import ALERT_ASSETS, check_evaluation
from syncmon_pipeline.defs.analytics import analytics_job
from syncmon_pipeline.defs.ingest import WAITING_STATUSES, ingest_job
from syncmon_pipeline.defs.resources import WAREHOUSE_POOL, WarehouseResource, data_paths

# Fresh data in any of these is worth an evaluation right away.
WATCHED_ASSETS = ALERT_ASSETS
_ACTIVE_STATUSES = (*WAITING_STATUSES, dg.DagsterRunStatus.STARTED)


def wakeup_file() -> os.PathLike:
    return data_paths().home / "alerts" / "next_wakeup.json"


class EvaluateAlertsConfig(dg.Config):
    """Set by the run-failure sensor when a pipeline run failed; empty for ordinary evaluations."""

    failed_run_id: str = ""
    failed_job_name: str = ""
    failed_at: str = ""
    failure_message: str = ""


def _close_fixed_pipeline_failures(context: dg.OpExecutionContext, con) -> None:
    """A job whose latest run succeeded after its failures closes them (and their alert resolves)."""
    for job_name in pipeline_failures.open_failure_jobs(con):
        runs = context.instance.get_runs(
            dg.RunsFilter(job_name=job_name, statuses=[dg.DagsterRunStatus.SUCCESS]), limit=1
        )
        record = context.instance.get_run_record_by_id(runs[0].run_id) if runs else None
        if record and record.end_time:
            succeeded_at = datetime.fromtimestamp(record.end_time, UTC)
            pipeline_failures.close_failures(con, job_name=job_name, succeeded_at=succeeded_at)


@dg.op(pool=WAREHOUSE_POOL, description="Evaluate every alert rule now and queue the notifications to send.")
def evaluate_alerts_op(
    context: dg.OpExecutionContext, config: EvaluateAlertsConfig, warehouse: WarehouseResource
) -> str:
    settings = load_settings().alerting
    now = datetime.now(UTC)
    with warehouse.get_connection() as con:
        if config.failed_run_id:
            pipeline_failures.record_failure(
                con, run_id=config.failed_run_id, job_name=config.failed_job_name,
                failed_at=datetime.fromisoformat(config.failed_at) if config.failed_at else now,
                message=config.failure_message,
            )  # fmt: skip
        _close_fixed_pipeline_failures(context, con)
        summary = service.evaluate_alerts(con, now=now, settings=settings)
    firing = [
        {"alert_id": a.alert_id, "alert_type": a.alert_type, "severity": a.severity,
         "integration_id": a.integration_id, "status": a.status, "fired_at": a.fired_at, "summary": a.summary}
        for a in summary.firing()
    ]  # fmt: skip
    for key in ALERT_ASSETS:
        context.log_event(check_evaluation(key, firing))
    for alert in summary.changed:
        context.log.info(f"alert {alert.alert_id} {alert.alert_type} {alert.integration_id}: {alert.status}")
    if summary.held_back:
        context.log.warning(f"rate limit held back notifications: {dict(summary.held_back)}")
    context.add_output_metadata({
        "observations": summary.observations, "firing": len(firing),
        "pending": sum(1 for a in summary.active if a.status == "pending"),
        "notifications_queued": summary.notifications_queued,
    })  # fmt: skip
    return summary.next_wakeup.isoformat() if summary.next_wakeup else ""


@dg.op(pool=WAREHOUSE_POOL, description="Send the notifications that are due; failures are retried later.")
def deliver_notifications_op(
    context: dg.OpExecutionContext, engine_wakeup: str, warehouse: WarehouseResource
) -> None:
    settings = load_settings().alerting
    with warehouse.get_connection() as con:
        report = ledger.deliver_due(
            con, now=datetime.now(UTC), clock=lambda: datetime.now(UTC), settings=settings,
            outbox=data_paths().outbox, environ=os.environ,
        )  # fmt: skip
        retry_at = ledger.next_attempt_at(con)
    # Management jobs pass no engine wake-up: keep the one the last evaluation wrote.
    engine_next = datetime.fromisoformat(engine_wakeup) if engine_wakeup else read_wakeup(wakeup_file())
    wakeups = [w for w in (engine_next, retry_at) if w]
    write_wakeup(wakeup_file(), min(wakeups) if wakeups else None)
    context.log.info(report.render() if hasattr(report, "render") else str(report))
    context.add_output_metadata(report.metadata() if hasattr(report, "metadata") else {})


@dg.job(executor_def=dg.in_process_executor, description="Evaluate alert rules and deliver notifications (launched by alert_sensor).")
def alert_evaluation_job():
    deliver_notifications_op(evaluate_alerts_op())


def _latest_storage_ids(instance: dg.DagsterInstance) -> dict[str, int]:
    latest: dict[str, int] = {}
    for key in WATCHED_ASSETS:
        records = instance.fetch_materializations(key, limit=1).records
        if records:
            latest[key.to_user_string()] = records[0].storage_id
    return latest


@dg.sensor(
    job=alert_evaluation_job,
    minimum_interval_seconds=load_settings().alerting.sensor_interval_seconds,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Evaluates alerts after fresh session facts land, when a timed transition is due, and at"
    " least every minute. Never opens the warehouse.",
)
def alert_sensor(context: dg.SensorEvaluationContext):
    settings = load_settings().alerting
    if not settings.enabled:
        return dg.SkipReason("alerting is disabled in the config (alerting.enabled: false)")
    if context.instance.get_runs_count(dg.RunsFilter(job_name=alert_evaluation_job.name,
                                                     statuses=[*_ACTIVE_STATUSES])):  # fmt: skip
        return dg.SkipReason("an alert evaluation is already queued or running")
    cursor = json.loads(context.cursor) if context.cursor else {}
    now = datetime.now(UTC)
    latest = _latest_storage_ids(context.instance)
    wakeup = read_wakeup(wakeup_file())
    last = cursor.get("last_launch")
    if latest != cursor.get("storage_ids", {}):
        reason = "fresh facts"
    elif wakeup is not None and wakeup <= now:
        reason = "timed transition due"
    elif last is None or now.timestamp() - last >= settings.evaluate_every_seconds:
        reason = "periodic"
    else:
        return dg.SkipReason("no fresh facts and nothing due")
    context.update_cursor(json.dumps({"storage_ids": latest, "last_launch": now.timestamp()}))
    return dg.RunRequest(tags={"syncmon/trigger": reason})


@dg.run_failure_sensor(
    monitored_jobs=[ingest_job, analytics_job],
    request_job=alert_evaluation_job,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Turns a failed pipeline run into a sync_failure alert for the pipeline itself.",
)
def pipeline_failure_sensor(context: dg.RunFailureSensorContext):
    run = context.dagster_run
    record = context.instance.get_run_record_by_id(run.run_id)
    failed_at = datetime.fromtimestamp(record.end_time, UTC) if record and record.end_time else datetime.now(UTC)
    message = context.failure_event.message or "run failed"
    return dg.RunRequest(
        run_key=f"run-failure-{run.run_id}",
        run_config=dg.RunConfig(ops={"evaluate_alerts_op": EvaluateAlertsConfig(
            failed_run_id=run.run_id, failed_job_name=run.job_name, failed_at=failed_at.isoformat(),
            failure_message=message,
        )}),  # fmt: skip
        tags={"syncmon/trigger": "run failure"},
    )
