"""Data retention: old raw rows move to Parquet exactly once, old report folders go, the ledger says what happened."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from syncmon_pipeline.config import DataPaths
from syncmon_pipeline.retention import RetentionReport, apply_retention
from syncmon_pipeline.retention import cleanup

from conftest import NOW, make_event, query, write_events, write_lines

OLD = NOW - timedelta(days=120)
CUTOFF = NOW - timedelta(days=90)


def naive(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None)


def at(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def retain(home: DataPaths, now: datetime = NOW, *, database: Path | None = None) -> RetentionReport:
    with duckdb.connect(str(database or home.warehouse)) as con:
        return apply_retention(
            con, now=now, raw_events_days=90, reports_days=90, archive_dir=home.archive, reports_dir=home.reports
        )


def archive_files(home: DataPaths, folder: str = "raw_events") -> list[Path]:
    return sorted((home.archive / folder).glob("*")) if (home.archive / folder).exists() else []


def parquet_rows(path: Path, order_by: str = "occurred_at, event_id") -> list[tuple]:
    with duckdb.connect() as con:
        return con.execute(f"SELECT * FROM read_parquet(?) ORDER BY {order_by}", [str(path)]).fetchall()


@pytest.fixture
def old_and_recent(home, ingest) -> list[tuple]:
    """Three events from four months ago and two from today in the warehouse; returns the old rows."""
    old = [make_event(occurred_at=at(OLD + timedelta(hours=i))) for i in range(3)]
    recent = [make_event(occurred_at=at(NOW - timedelta(hours=i + 1))) for i in range(2)]
    write_events(home.landing, "events.ndjson", old + recent)
    assert ingest().events_inserted == 5
    return query(home, "SELECT * FROM raw.sync_events WHERE occurred_at < ? ORDER BY occurred_at, event_id",
                 [naive(CUTOFF)])  # fmt: skip


def test_old_events_move_to_one_parquet_file_and_recent_ones_stay(home, old_and_recent):
    report = retain(home)

    assert query(home, "SELECT count(*), min(occurred_at) >= ? FROM raw.sync_events",
                 [naive(CUTOFF)]) == [(2, True)]  # fmt: skip
    (path,) = archive_files(home)
    assert "2026-08-29" in path.name and path.suffix == ".parquet"
    assert parquet_rows(path) == old_and_recent  # every column, typed as in the table
    assert report.raw_events_archived == 3 and report.files_written == 1 and report.quarantine_archived == 0
    assert report.raw_events_cutoff == CUTOFF and report.archives[0].path == path
    assert "archived 3 raw event(s)" in report.render()
    assert report.metadata()["raw_events_archived"] == 3


def test_the_ledger_row_describes_the_file(home, old_and_recent):
    report = retain(home)

    (path,) = archive_files(home)
    ((archive_id, archived_at, source, cutoff, ledger_path, rows, first, last, size, sha),) = query(
        home, "SELECT * FROM retention.archives"
    )
    assert archive_id == report.archives[0].archive_id and archive_id in path.name
    assert (archived_at, source, cutoff) == (naive(NOW), "raw.sync_events", naive(CUTOFF))
    assert (ledger_path, rows) == (str(path), 3)
    assert (first, last) == (old_and_recent[0][3], old_and_recent[-1][3])
    assert size == path.stat().st_size and sha == hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_second_run_archives_nothing_new(home, old_and_recent):
    retain(home)
    again = retain(home, NOW + timedelta(hours=1))

    assert again.archives == () and again.recovered == ()
    assert len(archive_files(home)) == 1
    assert query(home, "SELECT count(*) FROM retention.archives") == [(1,)]


def test_nothing_old_means_no_file_and_no_ledger_row(home, ingest):
    write_events(home.landing, "events.ndjson", [make_event()])
    ingest()

    report = retain(home)

    assert report.archives == () and archive_files(home) == []
    assert query(home, "SELECT count(*) FROM retention.archives") == [(0,)]
    assert query(home, "SELECT count(*) FROM raw.sync_events") == [(1,)]


def test_a_run_that_died_before_its_commit_loses_nothing_and_leaves_no_stray_file(home, old_and_recent, tmp_path):
    # The state a crash between the rename and the commit leaves: the file is there, the ledger and
    # the rows are as before. Produce it by archiving into a copy of the warehouse and dropping the copy.
    doomed = tmp_path / "doomed.duckdb"
    shutil.copyfile(home.warehouse, doomed)
    assert not home.warehouse.with_name(home.warehouse.name + ".wal").exists()  # the copy is complete
    retain(home, database=doomed)
    (stray,) = archive_files(home)
    (home.archive / "raw_events" / f".{stray.name}.tmp").write_bytes(b"half written")
    (home.archive / "raw_events" / "someone-elses.parquet").write_bytes(b"not ours")

    report = retain(home)

    assert len(report.recovered) == 2 and all("never committed" in note for note in report.recovered)
    (kept,) = report.archives
    assert not stray.exists() and kept.path.exists()
    assert sorted(p.name for p in archive_files(home)) == sorted([kept.path.name, "someone-elses.parquet"])
    assert parquet_rows(kept.path) == old_and_recent  # archived once
    assert query(home, "SELECT count(*), sum(rows) FROM retention.archives") == [(1, 3)]
    assert query(home, "SELECT count(*) FROM raw.sync_events") == [(2,)]


def test_a_failure_before_the_commit_keeps_the_rows_and_removes_the_file(home, old_and_recent, monkeypatch):
    def fail(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(cleanup, "_durable_rename", fail)
    with pytest.raises(OSError, match="disk full"):
        retain(home)

    assert archive_files(home) == []
    assert query(home, "SELECT count(*) FROM raw.sync_events") == [(5,)]
    assert query(home, "SELECT count(*) FROM retention.archives") == [(0,)]


def test_quarantined_lines_are_archived_to_their_own_file(home, ingest):
    write_lines(home.landing, "mixed.ndjson", ["{not json", json.dumps(make_event()), "[1, 2]"])
    ingest()
    quarantined = query(home, "SELECT * FROM raw.quarantine ORDER BY quarantined_at, source_file, line_no")
    assert len(quarantined) == 2

    report = retain(home, NOW + timedelta(days=91))  # everything ingested at NOW is now past retention

    (path,) = archive_files(home, "quarantine")
    assert parquet_rows(path, "quarantined_at, source_file, line_no") == quarantined
    assert report.quarantine_archived == 2 and report.raw_events_archived == 1 and report.files_written == 2
    assert query(home, "SELECT count(*) FROM raw.quarantine") == [(0,)]
    assert query(home, "SELECT source_table, rows, first_occurred_at FROM retention.archives"
                       " WHERE source_table = 'raw.quarantine'") == [("raw.quarantine", 2, naive(NOW))]


def report_folder(home: DataPaths, report_type: str, label: str, *, end: datetime | None = None,
                  body: str | None = None, mtime: datetime | None = None) -> Path:  # fmt: skip
    folder = home.reports / report_type / label
    folder.mkdir(parents=True)
    if end is not None:
        body = json.dumps({"period": {"start": (end - timedelta(days=7)).isoformat(), "end": end.isoformat()}})
    if body is not None:
        (folder / "report.json").write_text(body)
    (folder / "report.html").write_text("<html></html>")
    if mtime is not None:
        os.utime(folder, (mtime.timestamp(), mtime.timestamp()))
    return folder


def test_report_folders_go_when_their_period_ended_before_the_cutoff(home):
    ancient = NOW - timedelta(days=200)
    old_week = report_folder(home, "performance", "2026-W30", end=NOW - timedelta(days=100), mtime=NOW)
    this_week = report_folder(home, "performance", "2026-W47", end=NOW - timedelta(days=2), mtime=ancient)
    no_json_old = report_folder(home, "usage", "2026-07", mtime=ancient)
    no_json_new = report_folder(home, "usage", "2026-11", mtime=NOW - timedelta(days=1))
    broken_old = report_folder(home, "data_quality", "2026-06-01", body="{not json", mtime=ancient)
    naive_end = report_folder(home, "compliance", "2026-Q2", body=json.dumps({"period": {"end": "2026-06-30T00:00"}}))
    old_custom = report_folder(home, "custom", "q2-review", end=NOW - timedelta(days=95), mtime=NOW)
    stranger = home.reports / "assets" / "old"  # not a report type: never a candidate, however old
    stranger.mkdir(parents=True)
    os.utime(stranger, (ancient.timestamp(), ancient.timestamp()))
    home.dashboard.write_text("<html>dashboard</html>")
    os.utime(home.dashboard, (ancient.timestamp(), ancient.timestamp()))

    report = retain(home)

    removed = {folder.path: folder.period_end_from for folder in report.reports_removed}
    assert removed == {old_week: "report.json", no_json_old: "mtime", broken_old: "mtime", naive_end: "report.json",
                       old_custom: "report.json"}
    assert not any(path.exists() for path in removed)
    assert this_week.exists() and no_json_new.exists() and stranger.exists() and home.dashboard.exists()
    assert sorted(p.name for p in (home.reports / "performance").iterdir()) == ["2026-W47"]  # nothing set aside
    rows = query(home, "SELECT removed_at, report_type, period_label, path, period_end FROM retention.removed_reports"
                       " ORDER BY path")  # fmt: skip
    removed_at = naive(NOW)
    assert rows == sorted([
        (removed_at, "compliance", "2026-Q2", str(naive_end), datetime(2026, 6, 30)),
        (removed_at, "custom", "q2-review", str(old_custom), naive(NOW - timedelta(days=95))),
        (removed_at, "data_quality", "2026-06-01", str(broken_old), naive(ancient)),
        (removed_at, "performance", "2026-W30", str(old_week), naive(NOW - timedelta(days=100))),
        (removed_at, "usage", "2026-07", str(no_json_old), naive(ancient)),
    ], key=lambda row: row[3])  # fmt: skip


def test_an_interrupted_report_removal_is_finished_or_undone_by_the_ledger(home):
    with duckdb.connect(str(home.warehouse)) as con:
        cleanup.ensure_tables(con)
        con.execute("INSERT INTO retention.removed_reports VALUES (?, 'usage', '2026-05', ?, ?)",
                    [datetime(2026, 11, 1), str(home.reports / "usage" / "2026-05"), datetime(2026, 6, 1)])  # fmt: skip
    recorded = report_folder(home, "usage", ".2026-05.removing-20261101T000000000000", end=NOW)
    unrecorded = report_folder(home, "usage", ".2026-10.removing-20261101T000000000000", end=NOW)

    report = retain(home)

    assert not recorded.exists() and not unrecorded.exists()
    assert (home.reports / "usage" / "2026-10" / "report.json").exists()  # put back: its period is recent
    assert not (home.reports / "usage" / "2026-05").exists()
    assert len(report.recovered) == 2 and report.reports_removed == ()


def test_retention_job_runs_with_settings_and_with_launchpad_overrides(home, ingest):
    from syncmon_pipeline.defs.resources import WarehouseResource
    from syncmon_pipeline.defs.retention import retention_job, retention_schedule

    now = datetime.now(UTC)  # the job reads the clock; place the events around it
    ages = {"ancient": 200, "middling": 50, "fresh": 0}
    events = [make_event(occurred_at=at(now - timedelta(days=days, hours=1)), session_id=name)
              for name, days in ages.items()]  # fmt: skip
    write_events(home.landing, "events.ndjson", events)
    ingest()
    resources = {"warehouse": WarehouseResource(database=str(home.warehouse))}

    with dg.DagsterInstance.ephemeral() as instance:
        default = retention_job.execute_in_process(resources=resources, instance=instance)
        shorter = retention_job.execute_in_process(
            resources=resources, instance=instance,
            run_config={"ops": {"apply_retention_op": {"config": {"raw_events_days": 30}}}},
        )  # fmt: skip

    assert default.success and shorter.success
    assert "archived 1 raw event(s)" in default.output_for_node("apply_retention_op")
    (output,) = [e for e in default.all_events if e.event_type_value == "STEP_OUTPUT"]
    metadata = output.event_specific_data.metadata
    assert metadata["raw_events_archived"].value == 1 and metadata["files_written"].value == 1
    assert query(home, "SELECT session_id FROM raw.sync_events") == [("fresh",)]
    assert query(home, "SELECT count(*) FROM retention.archives") == [(2,)]
    assert len(archive_files(home)) == 2
    assert retention_schedule.cron_schedule == "30 3 * * *" and retention_schedule.execution_timezone == "UTC"
    assert retention_schedule.default_status == dg.DefaultScheduleStatus.RUNNING
