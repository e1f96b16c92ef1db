"""Shared fixtures: every test gets its own data directory; nothing is written into the tree."""

from __future__ import annotations

import copy
import gzip
import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from syncmon_pipeline.config import DataPaths
from syncmon_pipeline.ingest.load import IngestReport, ingest_files

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@contextmanager
def isolated_home(root: Path) -> Iterator[DataPaths]:
    """A data directory of its own under `root`, for module-scoped fixtures (`home` is per test)."""
    patch = pytest.MonkeyPatch()
    patch.setenv("SYNCMON_HOME", str(root / "home"))
    patch.setenv("DBT_TARGET_PATH", str(root / "home" / "dbt_target"))
    for name in ("SYNCMON_CONFIG", "DAGSTER_HOME", "SYNCMON_SMTP_HOST"):
        patch.delenv(name, raising=False)  # runs go to an ephemeral instance, mail to the outbox
    patch.chdir(root)
    try:
        yield DataPaths.from_env().ensure()
    finally:
        patch.undo()


@pytest.fixture(autouse=True)
def contract_unchanged() -> Iterator[None]:
    """Fail the test that rewrites the shipped contract (hypothesis-jsonschema inlines `$ref`s in place)."""
    from syncmon_pipeline import contract

    before = copy.deepcopy(contract.SCHEMA)
    yield
    assert contract.SCHEMA == before, "this test changed syncmon_pipeline.contract.SCHEMA; give it a deep copy"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DataPaths:
    monkeypatch.setenv("SYNCMON_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "home" / "dbt_target"))
    monkeypatch.delenv("SYNCMON_CONFIG", raising=False)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)  # runs go to an ephemeral instance, not the project's
    monkeypatch.chdir(tmp_path)
    return DataPaths.from_env().ensure()


def make_event(kind: str = "session_status", **overrides: object) -> dict:
    """A valid v1 event of the given type; keyword arguments replace top-level fields."""
    payloads = {
        "session_created": {"sync_type": "incremental", "direction": "inbound", "entity_types": ["students"],
                            "triggered_by": "schedule", "retry_of": None},
        "session_status": {"status": "running", "stage": "fetch", "reason": None},
        "session_progress": {"stage": "load", "progress_pct": 50.0, "entity_type": "students",
                             "records_processed": 10, "records_created": 1, "records_updated": 2,
                             "records_deleted": 0, "records_skipped": 0, "records_failed": 0},
        "session_error": {"category": "network", "severity": "high", "code": "E42", "message": "timeout",
                          "entity_type": "students", "entity_id": "17", "retryable": True, "retry_count": 1},
        "session_warning": {"code": "W1", "message": "slow page", "entity_type": None, "entity_id": None},
        "session_conflict": {"entity_type": "grades", "entity_id": "9", "field": "score",
                             "strategy": "source_wins", "resolved": True},
        "session_metrics": {"api_calls": 120, "api_errors": 1, "api_latency_ms_avg": 80.5,
                            "api_latency_ms_p95": 210.0, "throughput_rps": 12.5, "cache_hits": 40,
                            "cache_misses": 3, "cpu_pct": 35.0, "memory_mb": 512.0, "rate_limit_remaining": 880},
        "health_check": {"reachable": True, "latency_ms": 95.0, "auth_status": "valid",
                         "rate_limit_remaining": 900, "message": None},
    }
    event = {
        "event_id": str(uuid.uuid4()),
        "schema_version": 1,
        "event_type": kind,
        "occurred_at": "2026-11-27T10:00:00.000+00:00",
        "integration_id": "powerschool-district-12",
        "provider": "powerschool",
        "payload": payloads[kind],
    }
    if kind != "health_check":
        event["session_id"] = "session-1"
    event.update(overrides)
    return event


def write_lines(folder: Path, name: str, lines: list[str | bytes], *, newline: bytes = b"\n") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    body = b"".join((line if isinstance(line, bytes) else line.encode()) + newline for line in lines)
    path = folder / name
    path.write_bytes(gzip.compress(body) if name.endswith(".gz") else body)
    return path


def write_events(folder: Path, name: str, events: list[dict]) -> Path:
    return write_lines(folder, name, [json.dumps(e) for e in events])


@pytest.fixture
def ingest(home: DataPaths) -> Callable[..., IngestReport]:
    """Ingest the named landing files (default: all) into the test warehouse."""

    def run(*names: str, run_id: str | None = None, max_line_bytes: int = 1_048_576) -> IngestReport:
        paths = [home.landing / n for n in names] if names else sorted(home.landing.glob("*.ndjson*"))
        with duckdb.connect(str(home.warehouse)) as con:
            return ingest_files(
                con, paths, archive_root=home.processed, run_id=run_id or uuid.uuid4().hex, now=NOW,
                max_line_bytes=max_line_bytes,
            )

    return run


def query(home: DataPaths, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()
