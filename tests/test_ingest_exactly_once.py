"""Exactly once: re-dropped files, replayed batches and killed runs never double-count or lose an event."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from conftest import make_event, query, write_events, write_lines


def test_each_line_is_accounted_for_in_the_ledger(home, ingest):
    events = [make_event() for _ in range(10)]
    write_lines(home.landing, "mixed.ndjson", [json.dumps(e) for e in events] + ["{oops", json.dumps(events[0])])
    ingest()
    ledger = query(home, "SELECT lines_total, lines_ok, lines_duplicate, lines_quarantined FROM raw.ingested_files")
    assert ledger == [(12, 10, 1, 1)]
    assert query(home, "SELECT count(*) FROM raw.sync_events") == [(10,)]
    assert query(home, "SELECT count(*) FROM raw.quarantine") == [(1,)]


def test_redropping_a_file_adds_nothing(home, ingest):
    events = [make_event() for _ in range(7)]
    write_events(home.landing, "a.ndjson", events)
    first = ingest()
    write_events(home.landing, "a.ndjson", events)  # same bytes again
    second = ingest()
    assert first.events_inserted == 7
    assert (second.files[0].outcome, second.events_inserted, second.lines_duplicate) == ("duplicate_file", 0, 7)
    assert query(home, "SELECT count(*) FROM raw.sync_events") == [(7,)]
    archived = sorted(p.name for p in home.processed.rglob("*.ndjson"))
    assert len(archived) == 2 and "a.ndjson" in archived  # both drops kept, neither deleted


def test_replayed_events_in_a_new_file_are_skipped(home, ingest):
    events = [make_event() for _ in range(5)]
    write_events(home.landing, "a.ndjson", events)
    ingest()
    write_events(home.landing, "b.ndjson", events[:3] + [make_event()])
    report = ingest()
    assert (report.events_inserted, report.lines_duplicate) == (1, 3)
    assert query(home, "SELECT count(*), count(DISTINCT event_id) FROM raw.sync_events") == [(6, 6)]


def test_replaying_a_batch_whose_files_are_gone_is_a_no_op(home, ingest):
    write_events(home.landing, "a.ndjson", [make_event() for _ in range(3)])
    ingest("a.ndjson")
    again = ingest("a.ndjson")
    assert [f.outcome for f in again.files] == ["missing"]
    assert query(home, "SELECT count(*) FROM raw.sync_events") == [(3,)]


def test_crash_between_commit_and_move_is_recognised(home, ingest):
    write_events(home.landing, "a.ndjson", [make_event() for _ in range(3)])
    (outcome,) = ingest().files
    shutil.move(outcome.archived_path, home.landing / "a.ndjson")  # as if the run died before moving it
    (again,) = ingest().files
    assert again.outcome == "archived_after_crash"
    assert Path(outcome.archived_path).exists()
    assert query(home, "SELECT count(*) FROM raw.ingested_files") == [(1,)]
    assert query(home, "SELECT count(*) FROM raw.sync_events") == [(3,)]


KILLABLE_INGEST = textwrap.dedent(
    """
    import sys, duckdb, uuid
    from datetime import UTC, datetime
    from pathlib import Path
    from syncmon_pipeline.ingest.load import ingest_files
    home = Path(sys.argv[1])
    with duckdb.connect(str(home / "warehouse" / "syncmon.duckdb")) as con:
        ingest_files(con, sorted((home / "landing").glob("*.ndjson")), archive_root=home / "processed",
                     run_id=uuid.uuid4().hex, now=datetime.now(UTC))
    """
)


def test_a_run_killed_midway_and_rerun_loses_and_duplicates_nothing(home, ingest):
    expected = 0
    for index in range(12):
        events = [make_event("session_progress") for _ in range(4000)]
        write_events(home.landing, f"batch-{index:02d}.ndjson", events)
        expected += len(events)
    child = subprocess.Popen(
        [sys.executable, "-c", KILLABLE_INGEST, str(home.home)],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    wal = home.warehouse.with_name("syncmon.duckdb.wal")
    deadline = time.monotonic() + 60
    while child.poll() is None and not wal.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL, "the ingest finished before it could be killed"

    report = ingest()
    assert query(home, "SELECT count(*), count(DISTINCT event_id) FROM raw.sync_events") == [(expected, expected)]
    assert report.events_inserted == expected
    assert query(home, "SELECT count(*), count(DISTINCT sha256) FROM raw.ingested_files") == [(12, 12)]
    assert not list(home.landing.glob("*.ndjson"))
