"""SessionRecorder and write_events_atomically, against real files in tmp_path."""

from __future__ import annotations

import gzip
import itertools
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import orjson
import pytest

from syncmon_pipeline.contract import (
    AUTH_STATUSES,
    CONFLICT_STRATEGIES,
    DIRECTIONS,
    ERROR_CATEGORIES,
    ERROR_SEVERITIES,
    EVENT_TYPES,
    STATUSES,
    SYNC_TYPES,
    TERMINAL_STATUSES,
    TRIGGERS,
    contract_errors,
)
from syncmon_pipeline.recorder import SessionRecorder, write_events_atomically

T0 = datetime(2026, 11, 27, 10, 0, 0, 123456, tzinfo=UTC)


class FixedClock:
    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=250)
        return self.now


def counter_ids():
    counter = itertools.count(1)
    return lambda: f"00000000-0000-4000-8000-{next(counter):012d}"


def read_lines(path: Path) -> list[dict]:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    assert data.endswith(b"\n")
    return [orjson.loads(line) for line in data.splitlines()]


def recorder(tmp_path: Path, **kwargs) -> SessionRecorder:
    return SessionRecorder(tmp_path / "landing", "powerschool-district-12", "powerschool", clock=FixedClock(),
                           **kwargs)


def record_everything(rec: SessionRecorder) -> str:
    sid = rec.create_session("incremental", "inbound", entity_types=["students", "grades"])
    rec.status(sid, "queued")
    rec.start(sid, stage="fetch")
    rec.progress(sid, stage="load", progress_pct=50.0, entity_type="students", records_processed=10,
                 records_created=2, records_updated=6, records_deleted=1, records_skipped=0, records_failed=1)
    rec.error(sid, "validation", "students stu-1: required field 'state_id' is missing", severity="low",
              code="REQUIRED_FIELD", entity_type="students", entity_id="stu-1")
    rec.warning(sid, "field truncated", code="FIELD_TRUNCATED", entity_type="grades", entity_id="gra-9")
    rec.conflict(sid, "grades", entity_id="gra-9", field="score", strategy="manual", resolved=False)
    rec.metrics(sid, api_calls=12, api_errors=1, api_latency_ms_avg=180.5, api_latency_ms_p95=420.0,
                throughput_rps=33.3, cache_hits=4, cache_misses=8, cpu_pct=41.0, memory_mb=312.5,
                rate_limit_remaining=4800)
    rec.complete(sid, status="partially_completed", reason="1 of 10 records failed")
    rec.health_check(reachable=True, latency_ms=95.0, auth_status="valid", rate_limit_remaining=4900)
    failed = rec.create_session("incremental", "inbound", triggered_by="retry", retry_of=sid)
    rec.fail(failed, "sis unreachable", stage="fetch")
    return sid


def test_every_method_emits_contract_valid_events(tmp_path):
    rec = recorder(tmp_path, id_factory=counter_ids())
    sid = record_everything(rec)
    events = rec.pending
    assert [e["event_type"] for e in events] == [
        "session_created", "session_status", "session_status", "session_progress", "session_error",
        "session_warning", "session_conflict", "session_metrics", "session_status", "health_check",
        "session_created", "session_status",
    ]
    for event in events:
        assert contract_errors(event) == [], event
        assert event["schema_version"] == 1
        assert event["integration_id"] == "powerschool-district-12" and event["provider"] == "powerschool"
        assert datetime.fromisoformat(event["occurred_at"]).utcoffset() == timedelta(0)
        assert ("session_id" in event) == event["event_type"].startswith("session_")
    assert sid == "00000000-0000-4000-8000-000000000001"  # id_factory feeds session ids too
    assert len({e["event_id"] for e in events}) == len(events)
    assert events[-2]["payload"]["retry_of"] == sid
    path = rec.flush()
    assert read_lines(path) == events


def test_the_methods_can_say_everything_the_contract_can(tmp_path):
    rec = recorder(tmp_path, max_events_per_file=10_000)
    for sync_type, direction, trigger in itertools.product(SYNC_TYPES, DIRECTIONS, TRIGGERS):
        rec.create_session(sync_type, direction, triggered_by=trigger, entity_types=("users",))
    sid = rec.create_session("full", "bidirectional", session_id="my-own-session-id")
    assert sid == "my-own-session-id"
    for status in STATUSES:
        rec.status(sid, status, stage="load", reason=f"now {status}")
    for status in TERMINAL_STATUSES:
        rec.complete(sid, status=status)
    for category, severity in itertools.product(ERROR_CATEGORIES, ERROR_SEVERITIES):
        rec.error(sid, category, "boom", severity=severity, retryable=True, retry_count=3)
    for strategy in CONFLICT_STRATEGIES:
        rec.conflict(sid, "users", strategy=strategy, resolved=strategy != "manual")
    for auth_status in (*AUTH_STATUSES, None):
        rec.health_check(reachable=True, auth_status=auth_status)
    rec.health_check(reachable=False, message="connect ETIMEDOUT")
    rec.warning(sid, "no progress for 600 s")
    rec.progress(sid)  # all counts default to 0, percentage unknown
    rec.metrics(sid)  # every metric optional
    assert {e["event_type"] for e in rec.pending} == set(EVENT_TYPES)
    assert all(contract_errors(e) == [] for e in rec.pending)


def test_metrics_omit_unset_fields(tmp_path):
    rec = recorder(tmp_path)
    event = rec.metrics("s-1", api_calls=3, cpu_pct=0.0)
    assert event["payload"] == {"api_calls": 3, "cpu_pct": 0.0}


@pytest.mark.parametrize(
    ("call", "needle"),
    [
        (lambda r: r.status("s", "exploded"), "status"),
        (lambda r: r.create_session("sometimes", "inbound"), "sync_type"),
        (lambda r: r.create_session("full", "sideways"), "direction"),
        (lambda r: r.create_session("full", "inbound", triggered_by="cron"), "triggered_by"),
        (lambda r: r.progress("s", records_processed=-1), "records_processed"),
        (lambda r: r.progress("s", progress_pct=150), "progress_pct"),
        (lambda r: r.error("s", "cosmic_ray", "bit flip"), "category"),
        (lambda r: r.error("s", "network", "down", severity="urgent"), "severity"),
        (lambda r: r.error("s", "network", "down", retry_count=-2), "retry_count"),
        (lambda r: r.conflict("s", "users", strategy="coin_flip"), "strategy"),
        (lambda r: r.metrics("s", memory_mb=-5.0), "memory_mb"),
        (lambda r: r.health_check(reachable=True, auth_status="meh"), "auth_status"),
        (lambda r: r.health_check(reachable="yes"), "reachable"),
        (lambda r: r.status("", "running"), "session_id"),
        (lambda r: r.complete("s", status="running"), "terminal"),
        (lambda r: r.start("s", at=datetime(2026, 11, 27, 10, 0)), "naive"),
        (lambda r: r.create_session("full", "inbound", entity_types="students"), "entity_types"),
    ],
)
def test_invalid_values_raise_value_error_naming_the_problem(tmp_path, call, needle):
    rec = recorder(tmp_path)
    with pytest.raises(ValueError, match=needle):
        call(rec)
    assert len(rec) == 0  # nothing invalid was buffered


def test_recorder_rejects_bad_setup(tmp_path):
    with pytest.raises(ValueError, match="integration_id"):
        SessionRecorder(tmp_path, "", "powerschool")
    with pytest.raises(ValueError, match="max_events_per_file"):
        SessionRecorder(tmp_path, "a", "b", max_events_per_file=0)
    naive_clock = SessionRecorder(tmp_path, "a", "b", clock=lambda: datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="naive"):
        naive_clock.health_check(reachable=True)


def test_explicit_times_are_written_in_utc_with_offset(tmp_path):
    rec = recorder(tmp_path)
    local = datetime(2026, 11, 27, 5, 0, 0, tzinfo=timezone(timedelta(hours=-5)))
    event = rec.health_check(reachable=True, at=local)
    assert event["occurred_at"] == "2026-11-27T10:00:00.000000+00:00"


def test_context_manager_flushes_on_exit_and_on_exception(tmp_path):
    landing = tmp_path / "landing"
    with recorder(tmp_path) as rec:
        record_everything(rec)
    files = sorted(landing.iterdir())
    assert len(files) == 1 and files[0].name.startswith("powerschool-district-12-")
    assert files[0].name.endswith(".ndjson")
    assert len(read_lines(files[0])) == 12

    with pytest.raises(RuntimeError, match="synchronizer crashed"), recorder(tmp_path) as rec:
        sid = rec.create_session("delta", "outbound")
        rec.fail(sid, "synchronizer crashed")
        raise RuntimeError("synchronizer crashed")
    files = sorted(landing.iterdir())
    assert len(files) == 2
    assert all(not p.name.startswith(".") for p in files)


def test_auto_flush_at_max_events_and_unique_names(tmp_path):
    rec = recorder(tmp_path, max_events_per_file=5)
    for _ in range(12):
        rec.health_check(reachable=True)
    assert len(rec.files_written) == 2 and len(rec) == 2
    assert rec.flush() is not None
    assert rec.flush() is None  # nothing left
    names = [p.name for p in rec.files_written]
    assert len(set(names)) == 3
    assert [len(read_lines(p)) for p in rec.files_written] == [5, 5, 2]


def test_gzip_output_is_readable_and_stable(tmp_path):
    rec = recorder(tmp_path, compress=True)
    record_everything(rec)
    events = rec.pending
    path = rec.flush()
    assert path.name.endswith(".ndjson.gz")
    assert read_lines(path) == events
    a = write_events_atomically(tmp_path / "a", events, "batch", compress=True)
    b = write_events_atomically(tmp_path / "b", events, "batch", compress=True)
    assert a.read_bytes() == b.read_bytes()  # no timestamp in the gzip header


def test_atomic_write_creates_folder_and_leaves_no_temp_file(tmp_path):
    landing = tmp_path / "deep" / "landing"
    events = [{"n": i, "text": "é"} for i in range(100)]
    path = write_events_atomically(landing, events, "batch-1")
    assert path == landing / "batch-1.ndjson"
    assert [p.name for p in landing.iterdir()] == ["batch-1.ndjson"]
    assert path.read_bytes() == b"".join(orjson.dumps(e) + b"\n" for e in events)


def test_atomic_write_failure_leaves_nothing_behind(tmp_path):
    landing = tmp_path / "landing"

    def exploding():
        yield {"ok": 1}
        raise OSError("disk on fire")

    with pytest.raises(OSError, match="disk on fire"):
        write_events_atomically(landing, exploding(), "broken")
    with pytest.raises(TypeError):
        write_events_atomically(landing, [{"ok": 1}, {"bad": object()}], "unserialisable")
    assert list(landing.iterdir()) == []


def test_failed_rename_removes_the_temp_file(tmp_path):
    landing = tmp_path / "landing"
    (landing / "taken.ndjson").mkdir(parents=True)  # a directory where the file should go
    with pytest.raises(OSError):
        write_events_atomically(landing, [{"a": 1}], "taken")
    assert sorted(p.name for p in landing.iterdir()) == ["taken.ndjson"]


@pytest.mark.parametrize("name", ["", ".hidden", "a/b", "..", " padded"])
def test_file_names_must_be_plain(tmp_path, name):
    with pytest.raises(ValueError, match="file name"):
        write_events_atomically(tmp_path, [], name)


def test_readers_only_ever_see_complete_files(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    per_file, files = 5000, 15
    events = [{"event_id": f"{i:08d}", "payload": {"text": "x" * 60}} for i in range(per_file)]
    seen: dict[str, int] = {}
    problems: list[str] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            for path in landing.iterdir():
                if path.name.startswith(".") or path.name.endswith(".tmp") or path.name in seen:
                    continue
                lines = path.read_bytes().splitlines()
                if len(lines) != per_file:
                    problems.append(f"{path.name}: {len(lines)} lines")
                seen[path.name] = len(lines)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for k in range(files):
            write_events_atomically(landing, events, f"batch-{k:03d}")
    finally:
        done.set()
        watcher.join()
    assert problems == []
    assert sorted(p.name for p in landing.iterdir()) == [f"batch-{k:03d}.ndjson" for k in range(files)]
