"""Data retention: archive old raw rows to Parquet, then delete them; remove old report folders."""

from syncmon_pipeline.retention.cleanup import (
    ArchiveFile,
    ReportFolder,
    RetentionReport,
    apply_retention,
    ensure_tables,
)

__all__ = ["ArchiveFile", "ReportFolder", "RetentionReport", "apply_retention", "ensure_tables"]
