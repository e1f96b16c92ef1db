"""The client that synchronizers call to report their sessions (event contract v1).

Two layers:

- `write_events_atomically` writes one NDJSON file into the landing folder so
  that it only ever appears complete: the bytes go to a hidden temporary file
  (`.{name}.tmp`, ignored by the landing sensor), are fsynced, then renamed.
- `SessionRecorder` builds contract-valid events for one integration, validates
  each before buffering (a synchronizer learns at once that it sent something
  invalid) and flushes the buffer as one atomic file.

Example::

    with SessionRecorder(landing, "powerschool-district-12", "powerschool") as rec:
        sid = rec.create_session("incremental", "inbound", entity_types=["students"])
        rec.start(sid, stage="fetch")
        rec.progress(sid, stage="load", entity_type="students", records_processed=120, records_updated=118,
                     records_failed=2)
        rec.metrics(sid, api_calls=4, api_latency_ms_avg=180.0)
        rec.complete(sid, status="completed_with_warnings")
"""

from __future__ import annotations

import gzip
import os
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from syncmon_pipeline.atomic_files import fsync_dir
from syncmon_pipeline.contract import SCHEMA_VERSION, TERMINAL_STATUSES, contract_errors

__all__ = ["SessionRecorder", "build_event", "format_occurred_at", "write_events_atomically"]

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
# Level 6 is gzip's default trade-off; mtime=0 keeps the output byte-identical between runs.
_GZIP_LEVEL = 6


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _new_uuid() -> str:
    return str(uuid.uuid4())


def format_occurred_at(at: datetime) -> str:
    """RFC 3339 in UTC with microseconds, e.g. `2026-11-27T10:00:00.123456+00:00`; naive datetimes are refused."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"timestamp {at.isoformat()} is naive; pass a timezone-aware datetime")
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def build_event(
    event_type: str,
    payload: Mapping[str, Any],
    *,
    integration_id: str,
    provider: str,
    occurred_at: datetime,
    session_id: str | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    """One event dict in contract field order (not validated; see `SessionRecorder.emit`)."""
    event: dict[str, Any] = {
        "event_id": event_id or _new_uuid(),
        "schema_version": SCHEMA_VERSION,
        "event_type": event_type,
        "occurred_at": format_occurred_at(occurred_at),
        "integration_id": integration_id,
        "provider": provider,
    }
    if session_id is not None:
        event["session_id"] = session_id
    event["payload"] = dict(payload)
    return event


def _check_file_name(name: str) -> None:
    if not name or name.startswith(".") or "/" in name or "\\" in name or name != name.strip():
        raise ValueError(f"invalid landing file name {name!r}: must be a plain, non-hidden file name")


def write_events_atomically(
    landing_dir: Path, events: Iterable[Mapping[str, Any]], name: str, *, compress: bool = False
) -> Path:
    """Write `events` as `{name}.ndjson[.gz]` in `landing_dir` so the file only ever appears complete.

    One orjson-serialised object per line, each ending in `\\n` (see `write_lines_atomically`).
    """
    _check_file_name(name)
    Path(landing_dir).mkdir(parents=True, exist_ok=True)
    dumps = orjson.dumps
    return write_lines_atomically(landing_dir, [dumps(event) for event in events], name, compress=compress)


def write_lines_atomically(landing_dir: Path, lines: Iterable[bytes], name: str, *, compress: bool = False) -> Path:
    """Write NDJSON `lines` (no newlines inside) as `{name}.ndjson[.gz]`, appearing only when complete.

    The bytes go to `.{name}.tmp` (hidden, ignored by the landing sensor), are fsynced and then
    renamed over the final name with `os.replace`; the directory is fsynced so the rename survives a
    crash. The temporary file is removed on any error. Creates `landing_dir` when missing.
    """
    _check_file_name(name)
    landing_dir = Path(landing_dir)
    landing_dir.mkdir(parents=True, exist_ok=True)
    data = b"".join([line + b"\n" for line in lines])
    if compress:
        data = gzip.compress(data, compresslevel=_GZIP_LEVEL, mtime=0)
    final = landing_dir / f"{name}.ndjson{'.gz' if compress else ''}"
    tmp = landing_dir / f".{name}.tmp"
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(landing_dir)
    return final


class SessionRecorder:
    """Buffers contract-valid events of one integration and writes them to the landing folder atomically.

    Every method takes an optional `at` (timezone-aware; default `clock()`) and
    validates the event against the contract before buffering it, raising
    `ValueError` that names the problem. The buffer is flushed as one file when
    it reaches `max_events_per_file`, on `flush()`, and when leaving a `with`
    block (also on exception). Thread-safe.
    """

    def __init__(
        self,
        landing_dir: Path,
        integration_id: str,
        provider: str,
        *,
        clock: Callable[[], datetime] = _utc_now,
        compress: bool = False,
        max_events_per_file: int = 1000,
        id_factory: Callable[[], str] = _new_uuid,
    ) -> None:
        if max_events_per_file < 1:
            raise ValueError(f"max_events_per_file must be >= 1, got {max_events_per_file}")
        for field, value in (("integration_id", integration_id), ("provider", provider)):
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"{field} must be a non-empty string, got {value!r}")
        self.landing_dir = Path(landing_dir)
        self.integration_id = integration_id
        self.provider = provider
        self.compress = compress
        self.max_events_per_file = max_events_per_file
        self._clock = clock
        self._id_factory = id_factory
        self._buffer: list[dict[str, Any]] = []
        self._lock = threading.RLock()
        self._file_prefix = _SAFE_NAME.sub("_", integration_id).lstrip(".") or "integration"
        self.files_written: list[Path] = []

    # -- buffering ---------------------------------------------------------------------------

    def __enter__(self) -> SessionRecorder:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.flush()

    def __len__(self) -> int:
        return len(self._buffer)

    @property
    def pending(self) -> list[dict[str, Any]]:
        """A copy of the events buffered and not yet written."""
        with self._lock:
            return list(self._buffer)

    def flush(self) -> Path | None:
        """Write the buffered events as one atomic file; None when there is nothing to write."""
        with self._lock:
            if not self._buffer:
                return None
            stamp = self._now().astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
            name = f"{self._file_prefix}-{stamp}-{uuid.uuid4().hex[:8]}"
            path = write_events_atomically(self.landing_dir, self._buffer, name, compress=self.compress)
            self._buffer = []
            self.files_written.append(path)
            return path

    close = flush

    def emit(
        self,
        event_type: str,
        payload: Mapping[str, Any],
        *,
        session_id: str | None = None,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """Validate and buffer one event of any type; the typed methods below all go through here."""
        event = build_event(
            event_type,
            payload,
            integration_id=self.integration_id,
            provider=self.provider,
            occurred_at=self._when(at),
            session_id=session_id,
            event_id=self._id_factory(),
        )
        problems = contract_errors(event)
        if problems:
            raise ValueError(f"invalid {event_type} event for {self.integration_id}: " + "; ".join(problems))
        with self._lock:
            self._buffer.append(event)
            if len(self._buffer) >= self.max_events_per_file:
                self.flush()
        return event

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("the recorder clock returned a naive datetime; it must be timezone-aware")
        return now

    def _when(self, at: datetime | None) -> datetime:
        if at is None:
            return self._now()
        if not isinstance(at, datetime):
            raise ValueError(f"at must be a datetime, got {type(at).__name__}")
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError(f"at={at.isoformat()} is naive; pass a timezone-aware datetime")
        return at

    # -- sessions ----------------------------------------------------------------------------

    def create_session(
        self,
        sync_type: str,
        direction: str,
        *,
        entity_types: Sequence[str] = (),
        triggered_by: str = "schedule",
        retry_of: str | None = None,
        session_id: str | None = None,
        at: datetime | None = None,
    ) -> str:
        """Record `session_created` and return the session id (a new uuid4 unless given)."""
        if isinstance(entity_types, str):
            raise ValueError("entity_types must be a sequence of names, not a single string")
        sid = session_id if session_id is not None else self._id_factory()
        payload = {"sync_type": sync_type, "direction": direction, "entity_types": list(entity_types),
                   "triggered_by": triggered_by, "retry_of": retry_of}
        self.emit("session_created", payload, session_id=sid, at=at)
        return sid

    def status(
        self,
        session_id: str,
        status: str,
        *,
        stage: str | None = None,
        reason: str | None = None,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """Record a `session_status` change (any of the thirteen statuses)."""
        payload = {"status": status, "stage": stage, "reason": reason}
        return self.emit("session_status", payload, session_id=session_id, at=at)

    def start(self, session_id: str, stage: str | None = None, *, at: datetime | None = None) -> dict[str, Any]:
        return self.status(session_id, "running", stage=stage, at=at)

    def complete(
        self,
        session_id: str,
        status: str = "completed",
        *,
        reason: str | None = None,
        stage: str | None = None,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """Record a terminal status (completed by default)."""
        if status not in TERMINAL_STATUSES:
            raise ValueError(f"complete() needs a terminal status {TERMINAL_STATUSES}, got {status!r}")
        return self.status(session_id, status, stage=stage, reason=reason, at=at)

    def fail(
        self, session_id: str, reason: str, stage: str | None = None, *, at: datetime | None = None
    ) -> dict[str, Any]:
        return self.status(session_id, "failed", stage=stage, reason=reason, at=at)

    def progress(
        self,
        session_id: str,
        *,
        stage: str | None = None,
        progress_pct: float | None = None,
        entity_type: str | None = None,
        records_processed: int = 0,
        records_created: int = 0,
        records_updated: int = 0,
        records_deleted: int = 0,
        records_skipped: int = 0,
        records_failed: int = 0,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        payload = {"stage": stage, "progress_pct": progress_pct, "entity_type": entity_type,
                   "records_processed": records_processed, "records_created": records_created,
                   "records_updated": records_updated, "records_deleted": records_deleted,
                   "records_skipped": records_skipped, "records_failed": records_failed}
        return self.emit("session_progress", payload, session_id=session_id, at=at)

    def error(
        self,
        session_id: str,
        category: str,
        message: str,
        *,
        severity: str = "medium",
        code: str | None = None,
        entity_type: str | None = None,
        entity_id: str | None = None,
        retryable: bool = False,
        retry_count: int = 0,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        payload = {"category": category, "severity": severity, "code": code, "message": message,
                   "entity_type": entity_type, "entity_id": entity_id, "retryable": retryable,
                   "retry_count": retry_count}
        return self.emit("session_error", payload, session_id=session_id, at=at)

    def warning(
        self,
        session_id: str,
        message: str,
        *,
        code: str | None = None,
        entity_type: str | None = None,
        entity_id: str | None = None,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        payload = {"code": code, "message": message, "entity_type": entity_type, "entity_id": entity_id}
        return self.emit("session_warning", payload, session_id=session_id, at=at)

    def conflict(
        self,
        session_id: str,
        entity_type: str,
        *,
        entity_id: str | None = None,
        field: str | None = None,
        strategy: str = "source_wins",
        resolved: bool = True,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        payload = {"entity_type": entity_type, "entity_id": entity_id, "field": field, "strategy": strategy,
                   "resolved": resolved}
        return self.emit("session_conflict", payload, session_id=session_id, at=at)

    def metrics(
        self,
        session_id: str,
        *,
        api_calls: int | None = None,
        api_errors: int | None = None,
        api_latency_ms_avg: float | None = None,
        api_latency_ms_p95: float | None = None,
        throughput_rps: float | None = None,
        cache_hits: int | None = None,
        cache_misses: int | None = None,
        cpu_pct: float | None = None,
        memory_mb: float | None = None,
        rate_limit_remaining: int | None = None,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """Record `session_metrics`; fields left as None are omitted from the payload."""
        values = {"api_calls": api_calls, "api_errors": api_errors, "api_latency_ms_avg": api_latency_ms_avg,
                  "api_latency_ms_p95": api_latency_ms_p95, "throughput_rps": throughput_rps,
                  "cache_hits": cache_hits, "cache_misses": cache_misses, "cpu_pct": cpu_pct,
                  "memory_mb": memory_mb, "rate_limit_remaining": rate_limit_remaining}
        payload = {key: value for key, value in values.items() if value is not None}
        return self.emit("session_metrics", payload, session_id=session_id, at=at)

    def health_check(
        self,
        *,
        reachable: bool,
        latency_ms: float | None = None,
        auth_status: str | None = None,
        rate_limit_remaining: int | None = None,
        message: str | None = None,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """Record a `health_check` of the integration (not tied to a session)."""
        payload = {"reachable": reachable, "latency_ms": latency_ms, "auth_status": auth_status,
                   "rate_limit_remaining": rate_limit_remaining, "message": message}
        return self.emit("health_check", payload, at=at)
