"""report_request_sensor: report requests from the command inbox (the API's POST /v1/reports) become runs.

One run per command (run_key = command id): a period report materializes its partitioned asset for the
requested partition, a custom report materializes `reports/custom_report` with the command's filters.
The asset answers the command when it is done. A command that cannot become a run (a partition that
does not exist yet, a weekly key that is not a Monday) is rejected at once; a run that failed or was
cancelled before the asset could answer is answered here. Never opens the warehouse: reports read the
analyst snapshot and the sensor only the inbox and the instance.
"""

from datetime import UTC, datetime

import dagster as dg
from pydantic import ValidationError

from syncmon_pipeline.alerts.changefeed import feed_file
from syncmon_pipeline.commands import inbox
from syncmon_pipeline.commands.answer import answer_command
from syncmon_pipeline.config import load_settings
from syncmon_pipeline.defs.reports import (
    PARTITIONS,
    REPORT_ASSETS,
    CustomReportConfig,
    PeriodReportConfig,
    custom_report,
    report_key,
)
from syncmon_pipeline.defs.resources import data_paths
from syncmon_pipeline.reports.build import CUSTOM
from syncmon_pipeline.reports.period import PARTITION_START, period_for_key

COMMAND_TAG = "syncmon/command_id"
SENSOR_INTERVAL_SECONDS = 10  # an operator is waiting for the report; the check itself is a folder listing
_ENDED_UNANSWERED = (dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)


def report_run_request(command: inbox.Command, *, timezone: str) -> dg.RunRequest:
    """The run that answers a generate_report command; ValueError says why there can be none."""
    args = command.args
    tags = {COMMAND_TAG: command.command_id, "syncmon/trigger": "report request"}
    if args["report_type"] == CUSTOM:
        fields = {k: args[k] for k in ("start", "end", "integrations", "entity_types", "sections", "name", "title")
                  if k in args}  # fmt: skip
        try:
            config = CustomReportConfig(**fields, command_id=command.command_id)
        except ValidationError as exc:
            raise ValueError(f"custom report config: {exc.errors()[0]['msg']}") from None
        op, key, partition = custom_report.key.to_python_identifier(), custom_report.key, None
    else:
        granularity, partition = args["granularity"], args["period_key"]
        period_for_key(granularity, partition, timezone)  # a weekly key must be a Monday, a monthly one the 1st
        if not PARTITIONS[granularity].has_partition_key(partition):
            raise ValueError(f"no {granularity} period {partition}: periods run from {PARTITION_START}"
                             " to the one still running")  # fmt: skip
        # Nobody e-mails a requested report: no chart images (they need headless Chromium).
        config = PeriodReportConfig(email_images=False, command_id=command.command_id)
        key = report_key(args["report_type"], granularity)
        op = key.to_python_identifier()
    return dg.RunRequest(
        run_key=command.command_id, asset_selection=[key], partition_key=partition, tags=tags,
        run_config={"ops": {op: {"config": config.model_dump()}}},
    )  # fmt: skip


@dg.sensor(
    asset_selection=[*REPORT_ASSETS.values(), custom_report],
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Turns report requests from the command inbox into report runs (one per request; the run"
    " answers it). Never opens the warehouse.",
)
def report_request_sensor(context: dg.SensorEvaluationContext):
    paths = data_paths()
    now = datetime.now(UTC)
    timezone = load_settings().reports.timezone
    requests, answered = [], 0

    def reject(command: inbox.Command, reason: str) -> None:
        nonlocal answered
        if inbox.pending_command(paths.commands, command.command_id) is not None:  # not answered meanwhile
            answer_command(paths.commands, feed_file(paths.changefeed), command, status="rejected", reason=reason,
                           result={}, now=now)  # fmt: skip
            answered += 1
            context.log.info(f"report command {command.command_id} rejected: {reason}")

    for command in inbox.read_pending(paths.commands, inbox.REPORT_KINDS, now=now):
        runs = context.instance.get_runs(dg.RunsFilter(tags={COMMAND_TAG: command.command_id}), limit=1)
        if runs:  # launched already: its run answers, unless it ended before the asset could
            if runs[0].status in _ENDED_UNANSWERED:
                reject(command, f"report run {runs[0].run_id} {runs[0].status.value.lower()} before generating")
            continue
        try:
            requests.append(report_run_request(command, timezone=timezone))
        except ValueError as exc:
            reject(command, str(exc))
    if not requests:
        return dg.SkipReason(f"no report request to launch ({answered} rejected)" if answered else "no report request")
    return dg.SensorResult(run_requests=requests)
