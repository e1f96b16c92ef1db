"""Headless runs of the whole pipeline (`syncmon run-once`), used by CI, benchmarks and tests."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime

import dagster as dg
import duckdb

from syncmon_pipeline.analytics.overview import health_table, render_health_table
from syncmon_pipeline.config import DataPaths, load_settings
from syncmon_pipeline.definitions import defs
from syncmon_pipeline.defs.reports import PARTITIONS, REPORT_ASSETS
from syncmon_pipeline.ingest.landing import list_landing_files
from syncmon_pipeline.reports.period import period_key_containing
from syncmon_pipeline.sql_files import table_exists


@dataclass(frozen=True)
class RunOnceSummary:
    success: bool
    warehouse: str
    files: int
    lines_in: int
    events_inserted: int
    lines_quarantined: int
    lines_duplicate: int
    total_events: int
    total_quarantined: int
    landing_left: int
    landing: str = ""
    health_rows: tuple[tuple, ...] = ()
    snapshot: str | None = None
    alerts_success: bool = True
    alerts_by_status: tuple[tuple[str, int], ...] = ()
    notifications_by_status: tuple[tuple[str, int], ...] = ()
    outbox: str | None = None
    reports_success: bool = True
    report_paths: tuple[str, ...] = ()
    dashboard: str | None = None

    @property
    def reconciled(self) -> bool:
        return self.lines_in == self.events_inserted + self.lines_quarantined + self.lines_duplicate

    @property
    def nothing_yet(self) -> bool:
        """A fresh install: nothing was in the landing folder and the warehouse holds no events."""
        return self.files == 0 and self.total_events == 0 and self.total_quarantined == 0

    def render(self) -> str:
        status = "succeeded" if self.success else "FAILED"
        return "\n".join(
            [
                f"syncmon run-once {status}",
                *(
                    [f"  nothing to ingest yet: no event files in {self.landing or 'the landing folder'}"
                     " (synchronizers write *.ndjson there; `syncmon simulate` writes sample events)"]
                    if self.nothing_yet else []
                ),
                f"  files ingested      {self.files:>12,}",
                f"  lines in            {self.lines_in:>12,}",
                f"  events stored       {self.events_inserted:>12,}",
                f"  lines quarantined   {self.lines_quarantined:>12,}",
                f"  duplicates skipped  {self.lines_duplicate:>12,}",
                f"  reconciled          {'yes' if self.reconciled else 'NO'}",
                f"  events in warehouse {self.total_events:>12,}",
                f"  quarantine total    {self.total_quarantined:>12,}",
                f"  files left in landing {self.landing_left:>10,}",
                f"  warehouse: {self.warehouse}",
                *([f"  analyst snapshot: {self.snapshot}"] if self.snapshot else []),
                "",
                f"alerts {'evaluated' if self.alerts_success else 'evaluation FAILED'}: "
                + (", ".join(f"{n} {s}" for s, n in self.alerts_by_status) or "none"),
                "  notifications: " + (", ".join(f"{n} {s}" for s, n in self.notifications_by_status) or "none"),
                *([f"  outbox: {self.outbox}"] if self.outbox else []),
                "",
                f"reports {'written' if self.reports_success else 'FAILED'}: {len(self.report_paths)}",
                *[f"  {path}" for path in self.report_paths],
                *([f"  dashboard: {self.dashboard}"] if self.dashboard else []),
                "",
                "integration health:",
                render_health_table(list(self.health_rows)) if self.health_rows else "  (no integrations yet)",
            ]
        )


def _counts_by_status(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> tuple[tuple[str, int], ...]:
    if not table_exists(con, schema, table):
        return ()
    return tuple(con.execute(f"SELECT status, count(*) FROM {schema}.{table} GROUP BY 1 ORDER BY 1").fetchall())


def _instance() -> dg.DagsterInstance:
    return dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()


_QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
# Partitioned and configured assets have runs of their own: the period reports below, the custom report
# and the report e-mails (sent by the schedules, for complete periods only) are not part of the main run.
_OWN_RUNS = ("reports",)


def _main_selection(job: dg.JobDefinition) -> list[dg.AssetKey]:
    return [key for key in job.asset_layer.executable_asset_keys if key.path[0] not in _OWN_RUNS]


def _data_as_of(paths: DataPaths) -> datetime:
    """The newest event in the analyst snapshot (now when there is none): run-once reports on its periods."""
    if paths.analytics_snapshot.exists():
        with duckdb.connect(str(paths.analytics_snapshot), read_only=True) as con:
            (latest,) = con.execute("SELECT max(last_event_at) FROM marts.fct_sync_sessions").fetchall()[0]
        if latest is not None:
            return latest.replace(tzinfo=UTC)
    return datetime.now(UTC)


def _write_reports(instance: dg.DagsterInstance, now: datetime) -> tuple[bool, list[str]]:
    """Every report type for the day, week and month that contain `now` (periods to date)."""
    timezone = load_settings().reports.timezone
    success, paths = True, []
    for granularity in PARTITIONS:
        job = defs.resolve_job_def(f"{granularity}_reports_job")
        keys = [asset.key for (_, g), asset in REPORT_ASSETS.items() if g == granularity]
        no_images = {key.to_python_identifier(): {"config": {"email_images": False}} for key in keys}  # nothing is mailed
        result = job.execute_in_process(
            instance=instance, raise_on_error=False, run_config={**_QUIET, "ops": no_images}, asset_selection=keys,
            partition_key=period_key_containing(granularity, now, timezone),
        )
        success = success and result.success
        for event in result.all_events:
            if event.event_type_value == "ASSET_MATERIALIZATION":
                entry = event.event_specific_data.materialization.metadata.get("path_html")  # type: ignore[union-attr]
                if entry is not None:
                    paths.append(str(entry.value))
    return success, paths


def run_once(*, reports: bool = True) -> RunOnceSummary:
    """Materialise every asset once, evaluate alerts, deliver notifications and write the reports; summarise."""
    paths = DataPaths.from_env().ensure()
    job = defs.resolve_implicit_global_asset_job_def()
    with _instance() as instance:
        result = job.execute_in_process(
            instance=instance, raise_on_error=False, run_config=_QUIET, asset_selection=_main_selection(job),
        )
        # No snapshot (the run failed before publishing one): every report would fail the same way.
        can_report = reports and paths.analytics_snapshot.exists()
        reports_success, report_paths = _write_reports(instance, _data_as_of(paths)) if can_report else (not reports, [])
    ingest_events = [
        e
        for e in result.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION"
        and e.asset_key == dg.AssetKey(["raw", "sync_events"])
    ]
    run_id = result.run_id
    # The asset job ends with alerts/alert_state: alerts are evaluated and notifications sent in it.
    alerts_evaluated = any(
        e.event_type_value == "ASSET_MATERIALIZATION" and e.asset_key == dg.AssetKey(["alerts", "alert_state"])
        for e in result.all_events
    )
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        # A failed run may have stopped before the alert tables exist: report none rather than crash.
        alerts_by_status = _counts_by_status(con, "alerts", "alerts")
        notifications_by_status = _counts_by_status(con, "alerts", "notifications")
        row = con.execute(
            "SELECT count(*), coalesce(sum(lines_total), 0), coalesce(sum(lines_ok), 0),"
            " coalesce(sum(lines_quarantined), 0), coalesce(sum(lines_duplicate), 0),"
            " (SELECT count(*) FROM raw.sync_events), (SELECT count(*) FROM raw.quarantine)"
            " FROM raw.ingested_files WHERE ingest_run_id = ?",
            [run_id],
        ).fetchall()[0]
        health_rows = tuple(health_table(con)) if table_exists(con, "marts", "mart_integration_health") else ()
    return RunOnceSummary(
        success=result.success and bool(ingest_events) and alerts_evaluated and reports_success,
        warehouse=str(paths.warehouse),
        files=row[0],
        lines_in=row[1],
        events_inserted=row[2],
        lines_quarantined=row[3],
        lines_duplicate=row[4],
        total_events=row[5],
        total_quarantined=row[6],
        landing_left=len(list_landing_files(paths.landing)),
        landing=str(paths.landing),
        health_rows=health_rows,
        snapshot=str(paths.analytics_snapshot) if paths.analytics_snapshot.exists() else None,
        alerts_success=alerts_evaluated,
        alerts_by_status=alerts_by_status,
        notifications_by_status=notifications_by_status,
        outbox=str(paths.outbox) if paths.outbox.exists() else None,
        reports_success=reports_success,
        report_paths=tuple(report_paths),
        dashboard=str(paths.dashboard) if paths.dashboard.exists() else None,
    )
