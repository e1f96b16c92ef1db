"""Data retention: archive old raw rows to Parquet and delete them; remove old report folders.

Archiving one table is one DuckDB transaction: count the old rows, copy them to a Parquet file under
a temporary name, read the file back, rename it, record it in `retention.archives` and delete the
rows, then commit. The copy and the delete read the same snapshot, so they cover the same rows. A
run that dies before the commit leaves the rows in the table and a file no ledger row names; the
next run deletes such files first. So every archived row is either in its table or in exactly one
file the ledger names.

A report folder is set aside (renamed) in the transaction that records its removal and deleted
after the commit; the next run finishes or undoes a removal that was interrupted, by the ledger.

Time is an argument: nothing here reads the clock.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from syncmon_pipeline.ingest.load import ensure_raw_tables
from syncmon_pipeline.reports.settings import REPORT_TYPES
from syncmon_pipeline.sql_files import query_sql_file, run_sql_file
from syncmon_pipeline.timestamps import from_utc_naive, to_utc_naive

_SQL = "syncmon_pipeline.retention.sql"
_STAMP = "%Y%m%dT%H%M%S%f"  # removal instants in set-aside folder names (microseconds: unique per run)
REPORT_FOLDERS = (*REPORT_TYPES, "custom")  # reports/<type>/: the only folders retention may remove from
_SET_ASIDE = re.compile(r"^\.(?P<label>.+)\.removing-(?P<stamp>\d{8}T\d{12})$")


class RetentionError(RuntimeError):
    """An archive that does not hold what it should; nothing was deleted."""


@dataclass(frozen=True)
class ArchiveSource:
    """A table that retention archives. Its SQL is in `<sql_prefix>_{due,copy,delete}.sql` (fixed names)."""

    table: str
    folder: str  # under the archive directory
    sql_prefix: str

    def file_name(self, cutoff: datetime, archive_id: str) -> str:
        return f"{self.folder}_{cutoff:%Y-%m-%d}_{archive_id}.parquet"

    def owns(self, file_name: str) -> bool:
        """Whether `file_name` is an archive file (or a temporary one) that retention wrote for this table."""
        pattern = rf"^\.?{re.escape(self.folder)}_\d{{4}}-\d{{2}}-\d{{2}}_[0-9a-f]{{32}}\.parquet(\.tmp)?$"
        return re.match(pattern, file_name) is not None


# The allow-list: only these tables are archived, only these folders are swept.
SOURCES: tuple[ArchiveSource, ...] = (
    ArchiveSource(table="raw.sync_events", folder="raw_events", sql_prefix="sync_events"),
    ArchiveSource(table="raw.quarantine", folder="quarantine", sql_prefix="quarantine"),
)


@dataclass(frozen=True)
class ArchiveFile:
    """One Parquet file of archived rows, as recorded in retention.archives."""

    archive_id: str
    source_table: str
    path: Path
    rows: int
    first_occurred_at: datetime  # aware UTC; for raw.quarantine the quarantined_at range
    last_occurred_at: datetime
    bytes: int
    sha256: str


@dataclass(frozen=True)
class ReportFolder:
    """A `<type>/<period-label>/` folder of the reports directory and when its period ended."""

    report_type: str
    period_label: str
    path: Path
    period_end: datetime  # aware
    period_end_from: str  # "report.json" | "mtime"


@dataclass(frozen=True)
class RetentionReport:
    now: datetime
    raw_events_cutoff: datetime
    reports_cutoff: datetime
    archives: tuple[ArchiveFile, ...]
    reports_removed: tuple[ReportFolder, ...]
    recovered: tuple[str, ...]  # what was put right after an interrupted earlier run

    def rows_archived(self, source_table: str) -> int:
        return sum(a.rows for a in self.archives if a.source_table == source_table)

    @property
    def raw_events_archived(self) -> int:
        return self.rows_archived("raw.sync_events")

    @property
    def quarantine_archived(self) -> int:
        return self.rows_archived("raw.quarantine")

    @property
    def files_written(self) -> int:
        return len(self.archives)

    def metadata(self) -> dict[str, Any]:
        """Plain figures for Dagster metadata and logs."""
        return {
            "raw_events_cutoff": self.raw_events_cutoff.isoformat(),
            "reports_cutoff": self.reports_cutoff.isoformat(),
            "raw_events_archived": self.raw_events_archived,
            "quarantine_archived": self.quarantine_archived,
            "files_written": self.files_written,
            "archive_bytes": sum(a.bytes for a in self.archives),
            "archive_files": "\n".join(str(a.path) for a in self.archives),
            "reports_removed": len(self.reports_removed),
            "recovered": len(self.recovered),
        }

    def render(self) -> str:
        return (
            f"retention: archived {self.raw_events_archived} raw event(s) and {self.quarantine_archived}"
            f" quarantined line(s) older than {self.raw_events_cutoff.isoformat()} into {self.files_written}"
            f" file(s); removed {len(self.reports_removed)} report folder(s) whose period ended before"
            f" {self.reports_cutoff.isoformat()}"
            + (f"; recovered from an interrupted run: {len(self.recovered)}" if self.recovered else "")
        )


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    run_sql_file(con, _SQL, "retention_tables.sql")


def apply_retention(
    con: duckdb.DuckDBPyConnection,
    *,
    now: datetime,
    raw_events_days: int,
    reports_days: int,
    archive_dir: Path,
    reports_dir: Path,
) -> RetentionReport:
    """Archive and delete raw rows older than `raw_events_days`; remove reports older than `reports_days`."""
    if raw_events_days < 1 or reports_days < 1:
        raise ValueError("retention periods are whole days, at least 1")
    ensure_raw_tables(con)
    ensure_tables(con)
    now = _aware_utc(now)
    archive_dir, reports_dir = archive_dir.absolute(), reports_dir.absolute()
    recovered = [*remove_unrecorded_archives(con, archive_dir), *settle_interrupted_removals(con, reports_dir)]
    events_cutoff = now - timedelta(days=raw_events_days)
    archives = [archive_source(con, s, cutoff=events_cutoff, now=now, archive_dir=archive_dir) for s in SOURCES]
    reports_cutoff = now - timedelta(days=reports_days)
    removed = [
        remove_report_folder(con, folder, now=now)
        for folder in report_folders(reports_dir)
        if folder.period_end < reports_cutoff
    ]
    return RetentionReport(
        now=now, raw_events_cutoff=events_cutoff, reports_cutoff=reports_cutoff,
        archives=tuple(a for a in archives if a is not None), reports_removed=tuple(removed),
        recovered=tuple(recovered),
    )  # fmt: skip


# --- raw rows -> Parquet ---------------------------------------------------------------------------


def archive_source(
    con: duckdb.DuckDBPyConnection, source: ArchiveSource, *, cutoff: datetime, now: datetime, archive_dir: Path
) -> ArchiveFile | None:
    """Move the rows of `source` older than `cutoff` into a new Parquet file; None when there are none."""
    cutoff_naive = to_utc_naive(cutoff)
    written: list[Path] = []
    committing = False
    con.execute("BEGIN TRANSACTION")
    try:
        ((rows, first, last),) = query_sql_file(con, _SQL, f"{source.sql_prefix}_due.sql", {"cutoff": cutoff_naive})
        if rows == 0:
            con.execute("ROLLBACK")
            return None
        archive_id = uuid.uuid4().hex
        final = archive_dir / source.folder / source.file_name(cutoff, archive_id)
        staging = final.with_name(f".{final.name}.tmp")
        final.parent.mkdir(parents=True, exist_ok=True)
        written.append(staging)
        run_sql_file(con, _SQL, f"{source.sql_prefix}_copy.sql", {"cutoff": cutoff_naive, "path": str(staging)})
        ((rows_in_file,),) = query_sql_file(con, _SQL, "parquet_rows.sql", {"path": str(staging)})
        if rows_in_file != rows:
            raise RetentionError(f"{staging} holds {rows_in_file} rows, {source.table} has {rows} to archive")
        size, digest = _size_and_sha256(staging)
        written.append(final)
        _durable_rename(staging, final)  # the ledger must never name a file a power cut could lose
        archive = ArchiveFile(
            archive_id=archive_id, source_table=source.table, path=final, rows=rows,
            first_occurred_at=from_utc_naive(first), last_occurred_at=from_utc_naive(last), bytes=size, sha256=digest,
        )  # fmt: skip
        run_sql_file(con, _SQL, "record_archive.sql", _ledger_params(archive, archived_at=now, cutoff=cutoff))
        ((deleted,),) = query_sql_file(con, _SQL, f"{source.sql_prefix}_delete.sql", {"cutoff": cutoff_naive})
        if deleted != rows:
            raise RetentionError(f"{source.table}: deleting {deleted} rows, but {rows} were archived")
        committing = True
        con.execute("COMMIT")
    except BaseException:
        _rollback_quietly(con)
        if not committing:  # surely not recorded; after a failed COMMIT the next run's sweep decides
            for path in written:
                path.unlink(missing_ok=True)
        raise
    return archive


def remove_unrecorded_archives(con: duckdb.DuckDBPyConnection, archive_dir: Path) -> list[str]:
    """Delete archive files no ledger row names: their transaction never committed, their rows are still there."""
    recorded = {Path(path).name for (path,) in query_sql_file(con, _SQL, "archived_paths.sql")}
    notes = []
    for source in SOURCES:
        folder = archive_dir / source.folder
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if source.owns(path.name) and path.name not in recorded and path.is_file():
                path.unlink()
                notes.append(f"deleted {path}: never committed (its rows are still in {source.table})")
    return notes


def _ledger_params(archive: ArchiveFile, *, archived_at: datetime, cutoff: datetime) -> dict[str, Any]:
    return {
        "archive_id": archive.archive_id, "archived_at": to_utc_naive(archived_at),
        "source_table": archive.source_table, "cutoff": to_utc_naive(cutoff), "path": str(archive.path),
        "rows": archive.rows, "first_occurred_at": to_utc_naive(archive.first_occurred_at),
        "last_occurred_at": to_utc_naive(archive.last_occurred_at), "bytes": archive.bytes, "sha256": archive.sha256,
    }  # fmt: skip


def _size_and_sha256(path: Path) -> tuple[int, str]:
    with path.open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()
    return path.stat().st_size, digest


def _durable_rename(source: Path, target: Path) -> None:
    with source.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(source, target)
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def _rollback_quietly(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:
        pass  # a failed COMMIT has already ended the transaction


# --- report folders --------------------------------------------------------------------------------


def report_folders(reports_dir: Path) -> Iterator[ReportFolder]:
    """The `<type>/<period-label>/` folders under `reports_dir`; nothing else there is ever a candidate."""
    for report_type in REPORT_FOLDERS:
        type_dir = reports_dir / report_type
        if not type_dir.is_dir() or type_dir.is_symlink():
            continue
        for folder in sorted(type_dir.iterdir()):
            # Hidden names are folders set aside mid-removal; symlinks point at someone else's files.
            if folder.name.startswith(".") or folder.is_symlink() or not folder.is_dir():
                continue
            period_end, source = period_end_of(folder)
            yield ReportFolder(report_type, folder.name, folder, period_end, source)


def period_end_of(folder: Path) -> tuple[datetime, str]:
    """report.json's period.end; the folder's mtime when the file is missing or unreadable."""
    end = _period_end_from_report(folder / "report.json")
    if end is not None:
        return end, "report.json"
    return datetime.fromtimestamp(folder.stat().st_mtime, UTC), "mtime"


def _period_end_from_report(path: Path) -> datetime | None:
    try:
        end = datetime.fromisoformat(json.loads(path.read_text("utf-8"))["period"]["end"])
    except (OSError, ValueError, KeyError, TypeError):  # missing, not JSON/UTF-8, wrong shape, not ISO 8601
        return None
    return _aware_utc(end)


def remove_report_folder(con: duckdb.DuckDBPyConnection, folder: ReportFolder, *, now: datetime) -> ReportFolder:
    """Record the removal and set the folder aside in one transaction, then delete it."""
    removed_at = to_utc_naive(now)
    set_aside = folder.path.with_name(f".{folder.path.name}.removing-{removed_at:{_STAMP}}")
    con.execute("BEGIN TRANSACTION")
    try:
        run_sql_file(con, _SQL, "record_removed_report.sql", {
            "removed_at": removed_at, "report_type": folder.report_type, "period_label": folder.period_label,
            "path": str(folder.path), "period_end": to_utc_naive(folder.period_end),
        })  # fmt: skip
        os.replace(folder.path, set_aside)  # last step before the commit: nothing after it can fail but COMMIT
        con.execute("COMMIT")
    except BaseException:
        _rollback_quietly(con)
        raise  # a folder set aside without a committed record is put back by the next run
    shutil.rmtree(set_aside)
    return folder


def settle_interrupted_removals(con: duckdb.DuckDBPyConnection, reports_dir: Path) -> list[str]:
    """Finish removals that were recorded; put back folders whose removal never committed."""
    notes = []
    for report_type in REPORT_FOLDERS:
        type_dir = reports_dir / report_type
        if not type_dir.is_dir() or type_dir.is_symlink():
            continue
        for set_aside in sorted(type_dir.iterdir()):
            match = _SET_ASIDE.match(set_aside.name)
            if match is None or set_aside.is_symlink() or not set_aside.is_dir():
                continue
            original = type_dir / match["label"]
            removed_at = datetime.strptime(match["stamp"], _STAMP)
            ((recorded,),) = query_sql_file(
                con, _SQL, "removal_recorded.sql", {"path": str(original), "removed_at": removed_at}
            )
            if recorded:
                shutil.rmtree(set_aside)
                notes.append(f"finished removing {original} (recorded at {removed_at.isoformat()})")
            elif not original.exists():
                os.replace(set_aside, original)
                notes.append(f"put back {original}: its removal was never recorded")
    return notes


def _aware_utc(moment: datetime) -> datetime:
    return from_utc_naive(to_utc_naive(moment))
