"""One alert tick — evaluate every rule now, then deliver what is due — shared by the alert job's ops
and the `alerts/alert_state` asset that ends every ingest run (the fast path to a page).

The evaluation also applies the operator commands waiting in the inbox (same transaction), and after
its commit appends to the alert changefeed, republishes the alerts snapshot and writes the commands'
outcome files — in that order, so whoever reads an outcome finds its effect in the snapshot already.
"""

import os
import time
from datetime import UTC, datetime

import dagster as dg
import duckdb

from syncmon_pipeline.alerts import ledger, pipeline_failures, service
from syncmon_pipeline.alerts.changefeed import feed_file
from syncmon_pipeline.alerts.wakeup import read_wakeup, write_wakeup
from syncmon_pipeline.commands import inbox
from syncmon_pipeline.config import DataPaths, load_settings
from syncmon_pipeline.publish.snapshot import publish_snapshot
from syncmon_pipeline.defs.alert_ui import ALERT_ASSETS, HEALTH_CHECKS, SESSIONS, check_evaluation
from syncmon_pipeline.defs.resources import WAREHOUSE_POOL, WarehouseResource, data_paths

# Every fact the rules read is refreshed by each ingest run.
RULE_INPUTS = [
    SESSIONS, HEALTH_CHECKS, dg.AssetKey(["marts", "fct_sync_errors"]), dg.AssetKey(["marts", "fct_sync_conflicts"]),
    dg.AssetKey(["marts", "fct_session_metrics"]),
    dg.AssetKey(["anomaly", "session_anomaly_scores"]),  # scored in the same ingest run, before the evaluation
]  # fmt: skip


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


def evaluate_now(
    context: dg.OpExecutionContext, warehouse: WarehouseResource, config: EvaluateAlertsConfig
) -> tuple[str, dict]:
    """Evaluate and record; report firing alerts on the UI's `firing_alerts` checks. Returns the engine's
    next wake-up (ISO 8601, or "") and figures for the run's metadata."""
    settings = load_settings().alerting
    paths = data_paths()
    with warehouse.get_connection() as con:
        now = datetime.now(UTC)  # after the wait for the warehouse: commands queued meanwhile are applied too
        commands = inbox.read_pending(paths.commands, inbox.ALERT_KINDS, now=now)
        if config.failed_run_id:
            pipeline_failures.record_failure(
                con, run_id=config.failed_run_id, job_name=config.failed_job_name,
                failed_at=datetime.fromisoformat(config.failed_at) if config.failed_at else now,
                message=config.failure_message,
            )  # fmt: skip
        _close_fixed_pipeline_failures(context, con)
        summary = service.evaluate_alerts(con, now=now, settings=settings, commands=commands,
                                          changefeed=feed_file(paths.changefeed))  # fmt: skip
        snapshot_seconds = _publish_alerts_snapshot(context, con, paths, now)
    for outcome in summary.outcomes:
        inbox.write_outcome(paths.commands, outcome.command, status=outcome.status, reason=outcome.reason,
                            applied_at=outcome.applied_at, result=outcome.result)  # fmt: skip
        context.log.info(
            f"command {outcome.command.command_id} {outcome.command.kind} by {outcome.command.actor}:"
            f" {outcome.status}{' (applied before)' if outcome.replayed else ''}"
            + (f": {outcome.reason}" if outcome.reason else "")
        )
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
    for failure in summary.rule_failures:  # redacted, one line each; the rest of the fleet was evaluated
        context.log.warning(failure.describe())
    figures = {
        "observations": summary.observations, "firing": len(firing),
        "pending": sum(1 for a in summary.active if a.status == "pending"),
        "notifications_queued": summary.notifications_queued,
        "rule_failures": len(summary.rule_failures),
        "commands_applied": sum(1 for o in summary.outcomes if o.status == "applied" and not o.replayed),
        "commands_rejected": sum(1 for o in summary.outcomes if o.status == "rejected" and not o.replayed),
        **({"alerts_snapshot_seconds": round(snapshot_seconds, 3)} if snapshot_seconds is not None else {}),
        **({"skipped_rules": dg.MetadataValue.json([
            {"rule": f.rule, "integration_id": f.integration_id, "error": f.error} for f in summary.rule_failures
        ])} if summary.rule_failures else {}),
    }  # fmt: skip
    return (summary.next_wakeup.isoformat() if summary.next_wakeup else ""), figures


def _publish_alerts_snapshot(
    context: dg.OpExecutionContext, con: duckdb.DuckDBPyConnection, paths: DataPaths, now: datetime
) -> float | None:
    """Republish warehouse/alert_state.duckdb (the alerts schema alone) for the API; seconds taken, None if it failed.

    The decision is committed already: a snapshot that cannot be written is a warning, and the previous
    one stays in place, rather than a failed evaluation whose notifications would then wait."""
    started = time.perf_counter()
    try:
        publish_snapshot(con, target=paths.alerts_snapshot, exports_dir=None, published_at=now, schemas=("alerts",))
    except (OSError, duckdb.Error) as error:
        context.log.warning(f"alerts snapshot {paths.alerts_snapshot} not republished: {error}")
        return None
    return time.perf_counter() - started


def deliver_now(context: dg.OpExecutionContext, warehouse: WarehouseResource, engine_wakeup: str) -> dict:
    """Send what is due and note when the sensor should wake the engine next (timed transition or retry)."""
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
    context.log.info(report.render())
    return report.metadata()


@dg.asset(
    key=["alerts", "alert_state"],
    deps=RULE_INPUTS,
    group_name="alerts",
    pool=WAREHOUSE_POOL,
    description="Alerts and the notification ledger (tables alerts.*). Ingest runs end by evaluating it, so"
    " a failing sync pages without waiting for another run; alert_sensor's job evaluates it on every other"
    " tick (timed transitions, anomaly scores, failed runs).",
)
def alert_state(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    engine_wakeup, figures = evaluate_now(context.op_execution_context, warehouse, EvaluateAlertsConfig())
    delivery = deliver_now(context.op_execution_context, warehouse, engine_wakeup)
    return dg.MaterializeResult(metadata={**figures, **delivery})
