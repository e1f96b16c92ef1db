"""Report assets (four types × daily/weekly/monthly partitions, and a custom report) and the dashboard.

A run launched for a report command (report_request_sensor) carries its `command_id` in the config;
the asset answers the command when it is done: applied with the report's id and folder, or rejected
with the reason (and the run still fails).
"""

from datetime import UTC, datetime, timedelta

import dagster as dg
from pydantic import Field

from syncmon_pipeline.alerts.changefeed import feed_file
from syncmon_pipeline.commands import inbox
from syncmon_pipeline.commands.answer import answer_command
from syncmon_pipeline.config import load_settings
from syncmon_pipeline.defs.resources import data_paths
from syncmon_pipeline.redaction import error_line
from syncmon_pipeline.reports.build import CUSTOM, ReportRequest, section_catalog, skipped_parts
from syncmon_pipeline.reports.materialize import (
    GeneratedReport,
    SnapshotMissing,
    generate_dashboard,
    generate_report,
    headline_metadata,
    report_paths,
)
from syncmon_pipeline.reports.period import PARTITION_START, custom_period, period_for_key
from syncmon_pipeline.reports.settings import PERIODS, REPORT_TYPES

SNAPSHOT = dg.AssetKey("analyst_snapshot")
_settings = load_settings().reports

PARTITIONS: dict[str, dg.TimeWindowPartitionsDefinition] = {
    # end_offset=1: the period still running is a partition too (a report "to date"); schedules take the last complete one.
    "daily": dg.DailyPartitionsDefinition(start_date=PARTITION_START, timezone=_settings.timezone, end_offset=1),
    "weekly": dg.WeeklyPartitionsDefinition(
        start_date=PARTITION_START, timezone=_settings.timezone, day_offset=1, end_offset=1
    ),
    "monthly": dg.MonthlyPartitionsDefinition(start_date=PARTITION_START, timezone=_settings.timezone, end_offset=1),
}


def report_key(report_type: str, granularity: str) -> dg.AssetKey:
    return dg.AssetKey(["reports", f"{report_type}_{granularity}"])


def _lineage(context: dg.AssetExecutionContext, report: GeneratedReport) -> dict[str, object]:
    upstream = context.instance.get_latest_materialization_event(SNAPSHOT)
    lineage: dict[str, object] = {
        "input_rows": dg.MetadataValue.json(report.data.inputs),
        "upstream_snapshot": dg.MetadataValue.json({
            "asset": SNAPSHOT.to_user_string(),
            "run_id": upstream.run_id if upstream else None,
            "materialized_at": datetime.fromtimestamp(upstream.timestamp, UTC).isoformat() if upstream else None,
            "published_at": report.snapshot_published_at.isoformat() if report.snapshot_published_at else None,
        }),
    }
    if report.data.data_as_of:
        lineage["data_as_of"] = dg.MetadataValue.timestamp(report.data.data_as_of)
    return lineage


def report_result(context: dg.AssetExecutionContext, report: GeneratedReport) -> dg.MaterializeResult:
    files = report.files
    context.log.info(
        f"{report.data.title} {report.data.period.label}: {len(report.data.sections)} sections,"
        f" {len(report.data.charts)} charts, {len(report.data.tables)} tables, {len(report.data.recommendations)}"
        f" recommendations in {report.seconds:.1f} s -> {files.html}"
    )
    if files.pdf_problem:
        context.log.warning(files.pdf_problem)
    skipped = skipped_parts(report.data)
    for part in skipped:  # what could not be computed was left out; the rest of the report is complete
        context.log.warning(f"{report.data.title} {report.data.period.label}: skipped {part}")
    metadata: dict[str, object] = {
        "report": dg.MetadataValue.url(files.html.as_uri()),
        "folder": dg.MetadataValue.path(str(files.folder)),
        **{f"path_{name}": dg.MetadataValue.path(str(path)) for name, path in report_paths(report).items()},
        "period_start": dg.MetadataValue.timestamp(report.data.period.start),
        "period_end": dg.MetadataValue.timestamp(report.data.period.end),
        "html_bytes": files.html_bytes,
        "seconds": round(report.seconds, 2),
        "recommendations": len(report.data.recommendations),
        "skipped_parts": len(skipped),
        **({"skipped": dg.MetadataValue.json(skipped)} if skipped else {}),
        **headline_metadata(report),
        **_lineage(context, report),
    }
    if files.pdf_problem:
        metadata["pdf"] = files.pdf_problem
    return dg.MaterializeResult(metadata=metadata)


def _answer(context: dg.AssetExecutionContext, command_id: str, status: str, reason: str | None = None,
            result: dict | None = None) -> None:  # fmt: skip
    """Settle the command this run was launched for, if any (and if no one settled it already)."""
    if not command_id:
        return
    paths = data_paths()
    command = inbox.pending_command(paths.commands, command_id)
    if command is None:
        context.log.warning(f"command {command_id} is not pending any more; its outcome is left as it was")
        return
    answer_command(paths.commands, feed_file(paths.changefeed), command, status=status, reason=reason,
                   result=result or {}, now=datetime.now(UTC))  # fmt: skip
    context.log.info(f"command {command_id} {status}" + (f": {reason}" if reason else ""))


def _generate(
    context: dg.AssetExecutionContext, request: ReportRequest, *, email_images: bool, command_id: str = ""
) -> dg.MaterializeResult:
    try:
        report = generate_report(data_paths(), request, load_settings().reports,
                                 generated_at=datetime.now(UTC), email_images=email_images)
    except SnapshotMissing as exc:
        _answer(context, command_id, "rejected", str(exc))
        raise dg.Failure(description=str(exc)) from exc
    except Exception as exc:
        _answer(context, command_id, "rejected", f"the report could not be generated: {error_line(exc)}")
        raise
    _answer(context, command_id, "applied", result={
        "report_id": f"{report.data.report_type}/{report.data.period.label}", "folder": str(report.files.folder),
    })  # fmt: skip
    return report_result(context, report)


class PeriodReportConfig(dg.Config):
    email_images: bool = Field(
        True, description="Render static chart images for the e-mail body (headless Chromium; reports.chart_images)."
        " Only reports that are e-mailed (reports.types, reports.periods) get them.",
    )
    command_id: str = Field("", description="The inbox command this run answers (set by report_request_sensor).")


def report_asset(report_type: str, granularity: str) -> dg.AssetsDefinition:

    @dg.asset(
        key=report_key(report_type, granularity),
        partitions_def=PARTITIONS[granularity],
        deps=[SNAPSHOT],
        group_name="reports",
        kinds={"html", "csv", "json"},
        description=f"The {granularity} {report_type.replace('_', ' ')} report: HTML, one CSV per table, report.json"
        f" (and PDF) in $SYNCMON_HOME/reports/{report_type}/{granularity}-<period>/, read from the analyst snapshot.",
    )
    def _report(context: dg.AssetExecutionContext, config: PeriodReportConfig) -> dg.MaterializeResult:
        settings = load_settings().reports
        try:
            period = period_for_key(granularity, context.partition_key, settings.timezone)
        except ValueError as exc:
            _answer(context, config.command_id, "rejected", f"period {context.partition_key}: {exc}")
            raise dg.Failure(description=str(exc)) from exc
        sent = report_type in settings.types and granularity in settings.periods
        return _generate(context, ReportRequest(report_type, period), email_images=config.email_images and sent,
                         command_id=config.command_id)  # fmt: skip

    return _report


REPORT_ASSETS = {(t, g): report_asset(t, g) for t in REPORT_TYPES for g in PERIODS}


class CustomReportConfig(dg.Config):
    start: str = Field("", description="ISO 8601 start (inclusive); empty: 7 days before end.")
    end: str = Field("", description="ISO 8601 end (exclusive); empty: now.")
    integrations: list[str] = Field(default_factory=list, description="Integration ids; empty: all.")
    entity_types: list[str] = Field(default_factory=list, description="Entity types; empty: all.")
    sections: list[str] = Field(
        default_factory=list, description="Sections as <type>.<section>, e.g. performance.durations; empty: all."
    )
    name: str = Field("custom", pattern=r"^[A-Za-z0-9_-]{1,40}$", description="Folder name prefix.")
    title: str = Field("", description="Report title; empty: 'Custom report'.")
    command_id: str = Field("", description="The inbox command this run answers (set by report_request_sensor).")


def _moment(text: str, default: datetime) -> datetime:
    if not text:
        return default
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dg.asset(
    key=["reports", "custom_report"],
    deps=[SNAPSHOT],
    group_name="reports",
    kinds={"html", "csv", "json"},
    description="A report over a chosen time range, integrations, entity types and sections (run config);"
    " sections: " + ", ".join(section_catalog()) + ".",
)
def custom_report(context: dg.AssetExecutionContext, config: CustomReportConfig) -> dg.MaterializeResult:
    try:
        end = _moment(config.end, datetime.now(UTC))
        start = _moment(config.start, end - timedelta(days=7))
        period = custom_period(start, end, load_settings().reports.timezone, config.name)
        request = ReportRequest(CUSTOM, period, tuple(config.integrations), tuple(config.entity_types),
                                tuple(config.sections), config.title or None)
        request.section_keys()  # unknown sections fail here, with the list of known ones
    except ValueError as exc:
        _answer(context, config.command_id, "rejected", f"custom report config: {exc}")
        raise dg.Failure(description=f"custom report config: {exc}") from exc
    return _generate(context, request, email_images=False, command_id=config.command_id)


@dg.asset(
    deps=[SNAPSHOT],
    group_name="reports",
    kinds={"html"},
    description="$SYNCMON_HOME/reports/dashboard.html: overview, sessions running now, health of every integration,"
    " trends, entity metrics and firing alerts; rebuilt after each analytics run, refreshes itself in the browser.",
)
def dashboard(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    try:
        page = generate_dashboard(data_paths(), load_settings().reports, generated_at=datetime.now(UTC))
    except SnapshotMissing as exc:
        raise dg.Failure(description=str(exc)) from exc
    context.log.info(f"dashboard written in {page.seconds:.1f} s -> {page.files.html}")
    return dg.MaterializeResult(metadata={
        "dashboard": dg.MetadataValue.url(page.files.html.as_uri()),
        "path": dg.MetadataValue.path(str(page.files.html)),
        "html_bytes": page.files.html_bytes,
        **headline_metadata(page),
        **_lineage(context, page),
    })
