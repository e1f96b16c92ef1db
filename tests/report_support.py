"""Report test helpers: a data directory whose analyst snapshot is the deterministic synthetic one."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from syncmon_pipeline.config import DataPaths
from syncmon_pipeline.reports.build import ReportRequest
from syncmon_pipeline.reports.materialize import GeneratedReport, generate_report
from syncmon_pipeline.reports.period import period_for_key
from syncmon_pipeline.reports.settings import ReportSettings
from syncmon_pipeline.reports.synthetic import write_synthetic_snapshot

# The synthetic fleet ends here; the week of Monday 2026-11-16 and the day 2026-11-20 lie inside it.
SNAPSHOT_END = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
GENERATED_AT = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
WEEK = "2026-11-16"
DAY = "2026-11-20"


def synthetic_home(root: Path, *, hostile: bool = False, sessions: int = 3000) -> DataPaths:
    """A data directory under `root` with a small synthetic snapshot (8 integrations, 10 days)."""
    paths = DataPaths(home=(root / "home").resolve()).ensure()
    write_synthetic_snapshot(paths.analytics_snapshot, integrations=8, days=10, sessions=sessions,
                             end=SNAPSHOT_END, seed=3, hostile=hostile)
    return paths


def generate(
    paths: DataPaths, report_type: str, *, granularity: str = "weekly", key: str = WEEK,
    settings: ReportSettings | None = None, email_images: bool = False, **request: object,
) -> GeneratedReport:
    settings = settings or ReportSettings(pdf=False)
    period = period_for_key(granularity, key, settings.timezone)
    return generate_report(paths, ReportRequest(report_type, period, **request), settings,  # type: ignore[arg-type]
                           generated_at=GENERATED_AT, email_images=email_images)
