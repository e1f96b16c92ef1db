"""Generate one report (or the dashboard) from the published analyst snapshot: the shell's one call.

Reports never open the warehouse: they read the snapshot read-only, so up to five can be generated
at once while ingest and analytics keep writing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from syncmon_pipeline.config import DataPaths
from syncmon_pipeline.timestamps import from_utc_naive

from .build import ReportRequest, build_report
from .dashboard import build_dashboard, render_dashboard_html
from .model import ReportData
from .settings import ReportSettings
from .writer import ReportFiles, report_folder, write_report


class SnapshotMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class GeneratedReport:
    data: ReportData
    files: ReportFiles
    snapshot_published_at: datetime | None
    seconds: float


def open_snapshot(paths: DataPaths) -> duckdb.DuckDBPyConnection:
    if not paths.analytics_snapshot.exists():
        raise SnapshotMissing(
            f"the analyst snapshot {paths.analytics_snapshot} is not published yet: materialize"
            " analyst_snapshot (analytics_job, or `syncmon run-once`) first"
        )
    return duckdb.connect(str(paths.analytics_snapshot), read_only=True)


def _published_at(con: duckdb.DuckDBPyConnection) -> datetime | None:
    found = con.execute("SELECT max(published_at) FROM main.snapshot_info").fetchall()
    return from_utc_naive(found[0][0]) if found and found[0][0] else None


def generate_report(
    paths: DataPaths, request: ReportRequest, settings: ReportSettings, *, generated_at: datetime,
    email_images: bool = False,
) -> GeneratedReport:
    started = time.perf_counter()
    with open_snapshot(paths) as con:
        data = build_report(con, request, generated_at=generated_at)
        published_at = _published_at(con)
    files = write_report(data, report_folder(paths.reports, data), pdf=settings.pdf,
                         email_rows=settings.email_table_rows, email_images=email_images and settings.chart_images)
    return GeneratedReport(data, files, published_at, time.perf_counter() - started)


def generate_dashboard(paths: DataPaths, settings: ReportSettings, *, generated_at: datetime) -> GeneratedReport:
    """Write $SYNCMON_HOME/reports/dashboard.html (atomically: a browser refreshing it never sees half)."""
    started = time.perf_counter()
    with open_snapshot(paths) as con:
        data = build_dashboard(con, generated_at=generated_at)
        published_at = _published_at(con)
    target = paths.dashboard
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.write_text(render_dashboard_html(data, refresh_seconds=settings.dashboard_refresh_seconds), "utf-8")
    partial.replace(target)
    files = ReportFiles(folder=target.parent, html=target, json=target, csvs={}, pdf=None,
                        sizes={target.name: target.stat().st_size})
    return GeneratedReport(data, files, published_at, time.perf_counter() - started)


def headline_metadata(report: GeneratedReport) -> dict[str, float | int | str]:
    """The report's numeric headline figures (for plots over time in the Dagster UI)."""
    return {
        f"figure_{f.key}": f.value for f in report.data.summary
        if isinstance(f.value, (int, float)) and not isinstance(f.value, bool)
    }


def report_paths(report: GeneratedReport) -> dict[str, Path]:
    files = report.files
    found = {"html": files.html, "json": files.json, **{f"csv_{k}": p for k, p in files.csvs.items()}}
    if files.pdf:
        found["pdf"] = files.pdf
    return found
