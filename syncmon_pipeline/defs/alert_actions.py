"""Acknowledge, resolve, silence and unsilence from the Dagster UI: jobs launched with config.

Each job runs the action (the same service function `syncmon alerts` uses, which appends the change
to the alert changefeed), then delivers what the action queued (a resolved notice, say) with the alert
job's delivery op.
"""

from datetime import UTC, datetime, timedelta

import dagster as dg
from pydantic import Field

from syncmon_pipeline.alerts import service
from syncmon_pipeline.alerts.changefeed import feed_file
from syncmon_pipeline.config import load_settings
from syncmon_pipeline.defs.alerts import deliver_notifications_op
from syncmon_pipeline.defs.resources import WAREHOUSE_POOL, WarehouseResource, data_paths


class AlertActionConfig(dg.Config):
    alert_id: str = Field(description="The alert's id (or a unique prefix), as `syncmon alerts list` shows it.")
    by: str = Field("dagster-ui", description="Who does it; recorded on the alert.")


class SilenceConfig(dg.Config):
    matchers: dict[str, str] = Field(
        description='Label matchers, e.g. {"integration_id": "workday-tenant-26"}; "~" starts a regex.'
    )
    duration_minutes: float = Field(60.0, gt=0)
    starts_at: str = Field("", description="ISO 8601 start; empty means now.")
    author: str = "dagster-ui"
    comment: str = ""


class UnsilenceConfig(dg.Config):
    silence_id: str


def _now() -> datetime:
    return datetime.now(UTC)


def _feed():
    return feed_file(data_paths().changefeed)


@dg.op(pool=WAREHOUSE_POOL)
def acknowledge_alert_op(context: dg.OpExecutionContext, config: AlertActionConfig, warehouse: WarehouseResource) -> str:
    with warehouse.get_connection() as con:
        alert = service.acknowledge_alert(con, config.alert_id, by=config.by, now=_now(),
                                          settings=load_settings().alerting, changefeed=_feed())  # fmt: skip
    context.log.info(f"alert {alert.alert_id} acknowledged by {config.by}: escalation stopped")
    return ""


@dg.op(pool=WAREHOUSE_POOL)
def resolve_alert_op(context: dg.OpExecutionContext, config: AlertActionConfig, warehouse: WarehouseResource) -> str:
    with warehouse.get_connection() as con:
        alert = service.resolve_alert(con, config.alert_id, by=config.by, now=_now(),
                                      settings=load_settings().alerting, changefeed=_feed())  # fmt: skip
    context.log.info(f"alert {alert.alert_id} resolved by {config.by}")
    return ""


@dg.op(pool=WAREHOUSE_POOL)
def silence_alerts_op(context: dg.OpExecutionContext, config: SilenceConfig, warehouse: WarehouseResource) -> str:
    now = _now()
    starts_at = datetime.fromisoformat(config.starts_at) if config.starts_at else now
    if starts_at.tzinfo is None:
        starts_at = starts_at.replace(tzinfo=UTC)
    with warehouse.get_connection() as con:
        silence = service.add_silence(
            con, matchers=config.matchers, starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=config.duration_minutes), author=config.author,
            comment=config.comment, now=now, settings=load_settings().alerting, changefeed=_feed(),
        )  # fmt: skip
    context.log.info(f"silence {silence.silence_id} until {silence.ends_at.isoformat()}: {dict(silence.matchers)}")
    return ""


@dg.op(pool=WAREHOUSE_POOL)
def unsilence_alerts_op(context: dg.OpExecutionContext, config: UnsilenceConfig, warehouse: WarehouseResource) -> str:
    with warehouse.get_connection() as con:
        service.expire_silence(con, config.silence_id, now=_now(), settings=load_settings().alerting,
                               changefeed=_feed())  # fmt: skip
    context.log.info(f"silence {config.silence_id} expired")
    return ""


@dg.job(executor_def=dg.in_process_executor, description="Acknowledge an alert: it stays open but stops escalating and repeating.")
def acknowledge_alert_job():
    deliver_notifications_op(acknowledge_alert_op())


@dg.job(executor_def=dg.in_process_executor, description="Resolve an alert by hand (sends the resolved notice).")
def resolve_alert_job():
    deliver_notifications_op(resolve_alert_op())


@dg.job(executor_def=dg.in_process_executor, description="Silence alerts matching label matchers for a while.")
def silence_alerts_job():
    deliver_notifications_op(silence_alerts_op())


@dg.job(executor_def=dg.in_process_executor, description="End a silence early.")
def unsilence_alerts_job():
    deliver_notifications_op(unsilence_alerts_op())


ALERT_ACTION_JOBS = [acknowledge_alert_job, resolve_alert_job, silence_alerts_job, unsilence_alerts_job]
