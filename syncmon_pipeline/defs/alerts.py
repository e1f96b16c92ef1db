"""Alert evaluation on sensor ticks: the alert job, the sensor that launches it and the run-failure sensor.

The job has two ops in the warehouse pool: `evaluate_alerts_op` (rules → engine → alert state and
queued notifications, plus the Dagster UI channel) and `deliver_notifications_op` (the ledger sends
what is due: e-mail, webhooks), both thin wrappers over `alert_tick`. The sensor launches it when
facts or anomaly scores land that no ingest run evaluated (ingest runs end with `alerts/alert_state`),
when the engine has a time-based transition due, and at least every `alerting.evaluate_every_seconds`;
first of all when operator commands wait in the inbox (the evaluation applies them).
"""

import json
from datetime import UTC, datetime

import dagster as dg

from syncmon_pipeline.alerts.launch import AlertSensorView, launch_reason
from syncmon_pipeline.alerts.wakeup import read_wakeup
from syncmon_pipeline.commands import inbox
from syncmon_pipeline.config import load_settings
from syncmon_pipeline.defs.alert_tick import EvaluateAlertsConfig, alert_state, deliver_now, evaluate_now, wakeup_file
from syncmon_pipeline.defs.alert_ui import ALERT_ASSETS
from syncmon_pipeline.defs.analytics import analytics_job
from syncmon_pipeline.defs.ingest import URGENT_RUN_TAGS, WAITING_STATUSES, ingest_job
from syncmon_pipeline.defs.resources import WAREHOUSE_POOL, WarehouseResource, data_paths

# Fresh data in any of these is worth an evaluation right away.
WATCHED_ASSETS = ALERT_ASSETS


@dg.op(pool=WAREHOUSE_POOL, description="Evaluate every alert rule now and queue the notifications to send.")
def evaluate_alerts_op(
    context: dg.OpExecutionContext, config: EvaluateAlertsConfig, warehouse: WarehouseResource
) -> str:
    engine_wakeup, figures = evaluate_now(context, warehouse, config)
    context.add_output_metadata(figures)
    return engine_wakeup


@dg.op(pool=WAREHOUSE_POOL, description="Send the notifications that are due; failures are retried later.")
def deliver_notifications_op(
    context: dg.OpExecutionContext, engine_wakeup: str, warehouse: WarehouseResource
) -> None:
    context.add_output_metadata(deliver_now(context, warehouse, engine_wakeup))


@dg.job(
    executor_def=dg.in_process_executor,
    tags=URGENT_RUN_TAGS,
    description="Evaluate alert rules and deliver notifications (launched by alert_sensor).",
)
def alert_evaluation_job():
    deliver_notifications_op(evaluate_alerts_op())


def _latest_storage_id(instance: dg.DagsterInstance, key: dg.AssetKey) -> int:
    records = instance.fetch_materializations(key, limit=1).records
    return records[0].storage_id if records else 0


@dg.sensor(
    job=alert_evaluation_job,
    minimum_interval_seconds=load_settings().alerting.sensor_interval_seconds,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Evaluates alerts when operator commands wait in the inbox, after fresh facts or anomaly"
    " scores land (unless the ingest run that refreshed them evaluated already), when a timed transition is"
    " due, and at least every minute. Never opens the warehouse.",
)
def alert_sensor(context: dg.SensorEvaluationContext):
    settings = load_settings().alerting
    if not settings.enabled:
        return dg.SkipReason("alerting is disabled in the config (alerting.enabled: false)")

    def runs(statuses) -> int:
        return context.instance.get_runs_count(dg.RunsFilter(job_name=alert_evaluation_job.name, statuses=[*statuses]))

    cursor = json.loads(context.cursor) if context.cursor else {}
    now = datetime.now(UTC)
    latest = {key.to_user_string(): _latest_storage_id(context.instance, key) for key in WATCHED_ASSETS}
    # Ingest runs end by materialising alerts/alert_state: facts older than that were evaluated already.
    evaluated = _latest_storage_id(context.instance, alert_state.key)
    seen = cursor.get("storage_ids", {})
    wakeup = read_wakeup(wakeup_file())
    last = cursor.get("last_launch")
    launch, reason = launch_reason(AlertSensorView(
        waiting_runs=runs(WAITING_STATUSES), started_runs=runs([dg.DagsterRunStatus.STARTED]),
        pending_command=inbox.has_pending(data_paths().commands, inbox.ALERT_KINDS),
        fresh_facts=any(sid != seen.get(key) and sid > evaluated for key, sid in latest.items()),
        wakeup_due=wakeup is not None and wakeup <= now,
        periodic_due=last is None or now.timestamp() - last >= settings.evaluate_every_seconds,
    ))  # fmt: skip
    if not launch:
        return dg.SkipReason(reason)
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
