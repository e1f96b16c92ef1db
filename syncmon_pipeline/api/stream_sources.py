"""What the live stream carries besides the events the API accepts itself, polled cheaply onto the bus.

- **Landing files** that others wrote (`*.ndjson`, `*.ndjson.gz`; not the API's own `api-*` files, whose
  events the events route publishes, nor hidden temporary files): each new file is read once and every
  event line published as `<event_type>` with `provisional: true`, free text redacted. A file larger
  than `MAX_FILE_BYTES` (or than that unpacked) or with more than `MAX_FILE_EVENTS` events gives one
  `landing_file` message instead. When landing files vanish (ingested: moved to processed/), one
  `ingested` message.
- **The alert changefeed** (`changefeed.py`).
- **Snapshots**: a new analyst or alerts snapshot (inode or mtime change) gives `snapshot_published`.

Files present when the service starts are the baseline: nothing is replayed. Every poll runs in a
worker thread (file I/O never blocks the event loop) and a failing poll is logged and retried.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from syncmon_pipeline.config import DataPaths
from syncmon_pipeline.contract import EVENT_TYPES
from syncmon_pipeline.ingest.landing import LANDING_SUFFIXES
from syncmon_pipeline.redaction import redact

from .bus import StreamBus
from .changefeed import ChangefeedTailer
from .landing_writer import API_FILE_PREFIX  # the API's own landing files: the events route published them

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_FILE_EVENTS = 5_000
POLL_SECONDS = 0.25
EVENT_FIELDS = ("event_id", "event_type", "occurred_at", "integration_id", "provider", "session_id")

Identity = tuple[int, int, int]  # inode, mtime (ns), size


def file_identity(path: Path) -> Identity | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def redact_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload redacted as ingest does it: the rules over its JSON text (they keep JSON valid), so
    `message`, `reason` and whatever unknown fields carry are covered alike."""
    return json.loads(redact(json.dumps(payload, ensure_ascii=False)) or "{}")


def stream_event(event: Any) -> tuple[str, dict[str, Any], str] | None:
    """(kind, data, integration) of one landing line as the stream shows it (the shape the events route
    publishes), or None for a line ingest would quarantine anyway (not an object, unknown event type, no
    integration)."""
    if not isinstance(event, dict):
        return None
    kind, integration = event.get("event_type"), event.get("integration_id")
    if kind not in EVENT_TYPES or not isinstance(integration, str) or not integration:
        return None
    data = {name: event.get(name) for name in EVENT_FIELDS}
    payload = event.get("payload")
    data["payload"] = redact_payload(payload) if isinstance(payload, dict) else None
    data["provisional"] = True
    return kind, data, integration


def landing_files(folder: Path) -> dict[str, Identity]:
    found: dict[str, Identity] = {}
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return found
    for entry in entries:
        if entry.name.startswith(".") or not entry.name.endswith(LANDING_SUFFIXES):
            continue
        try:
            if entry.is_file():
                st = entry.stat()
                found[entry.name] = (st.st_ino, st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            continue  # ingested between the listing and the stat
    return found


class TooLarge(Exception):
    pass


def read_lines(path: Path, max_bytes: int) -> list[bytes]:
    opener: Callable[..., Any] = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise TooLarge()
    return data.splitlines()


@dataclass
class _Seen:
    identity: Identity
    seen_id: int  # the bus position when the file was first seen


class LandingWatcher:
    def __init__(self, folder: Path, bus: StreamBus, *, max_bytes: int = MAX_FILE_BYTES,
                 max_events: int = MAX_FILE_EVENTS):  # fmt: skip
        self.folder, self.bus = folder, bus
        self.max_bytes, self.max_events = max_bytes, max_events
        self.known: dict[str, _Seen] = {}

    def start(self) -> None:
        self.known = {name: _Seen(identity, self.bus.last_id) for name, identity in landing_files(self.folder).items()}

    def poll(self) -> int:
        """Publish the events of files that appeared since the last poll; returns the messages published."""
        current = landing_files(self.folder)
        vanished = [name for name in self.known if name not in current]
        new = sorted((identity[1], name) for name, identity in current.items()
                     if name not in self.known or self.known[name].identity[0] != identity[0])  # fmt: skip
        published = 0
        for _, name in new:
            self.known[name] = _Seen(current[name], self.bus.last_id)
            if not name.startswith(API_FILE_PREFIX):
                published += self._publish_file(name, current[name][2])
        for name in vanished:
            del self.known[name]
        if vanished:
            # Messages up to `through_id` came before every file still waiting: their events are in the warehouse.
            through = min((s.seen_id for s in self.known.values()), default=self.bus.last_id + 1) - 1
            self.bus.publish("ingested", {"files": len(vanished), "remaining": len(self.known),
                                          "through_id": min(through, self.bus.last_id)})  # fmt: skip
            published += 1
        return published

    def _publish_file(self, name: str, size: int) -> int:
        path = self.folder / name
        if size > self.max_bytes:
            return self._summary(name, size, None, "too_large")
        try:
            lines = read_lines(path, self.max_bytes)
        except FileNotFoundError:
            return 0  # already ingested
        except TooLarge:
            return self._summary(name, size, None, "too_large")
        except (OSError, EOFError) as error:  # a broken gzip file: ingest quarantines it
            log.warning("landing watcher: could not read %s: %s", name, type(error).__name__)
            return self._summary(name, size, None, "unreadable")
        found = []
        for line in lines:
            if not line.strip():
                continue
            try:
                parsed = stream_event(json.loads(line))
            except ValueError:
                continue
            if parsed is not None:
                found.append(parsed)
            if len(found) > self.max_events:
                return self._summary(name, size, None, "too_many_events")
        for kind, data, integration in found:
            self.bus.publish(kind, data, integration_id=integration)
        return len(found)

    def _summary(self, name: str, size: int, events: int | None, reason: str) -> int:
        self.bus.publish("landing_file", {"file": name, "bytes": size, "events": events, "reason": reason})
        return 1


class SnapshotWatcher:
    def __init__(self, snapshots: dict[str, Path], bus: StreamBus):
        self.snapshots, self.bus = snapshots, bus
        self.last: dict[str, Identity | None] = {}
        self.published_ids: dict[str, int] = {}  # snapshot -> id of its latest snapshot_published message

    def start(self) -> None:
        self.last = {name: file_identity(path) for name, path in self.snapshots.items()}

    def poll(self) -> int:
        published = 0
        for name, path in self.snapshots.items():
            identity = file_identity(path)
            if identity != self.last.get(name) and identity is not None:
                at = datetime.fromtimestamp(identity[1] / 1e9, UTC).isoformat()
                message = self.bus.publish("snapshot_published", {"snapshot": name, "published_at": at})
                self.published_ids[name] = message.id
                published += 1
            self.last[name] = identity
        return published


class StreamSources:
    """The pollers of one service, as asyncio tasks (each poll in a worker thread)."""

    def __init__(self, paths: DataPaths, bus: StreamBus, poll_seconds: float = POLL_SECONDS):
        self.pollers: dict[str, Any] = {
            "landing": LandingWatcher(paths.landing, bus),
            "changefeed": ChangefeedTailer(paths.changefeed, bus),
            "snapshots": SnapshotWatcher({"analytics": paths.analytics_snapshot, "alerts": paths.alerts_snapshot},
                                         bus),  # fmt: skip
        }
        self.bus, self.poll_seconds = bus, poll_seconds
        self.tasks: list[asyncio.Task] = []

    def published_since(self, snapshot: str) -> int:
        """The bus position just before `snapshot` was last published (the service's start if not since)."""
        found = self.pollers["snapshots"].published_ids.get(snapshot)
        return found - 1 if found is not None else self.bus.first_id - 1

    async def start(self) -> None:
        for poller in self.pollers.values():
            await asyncio.to_thread(poller.start)
        self.tasks = [asyncio.create_task(self._run(name, poller), name=f"stream-source-{name}")
                      for name, poller in self.pollers.items()]  # fmt: skip

    async def _run(self, name: str, poller: Any) -> None:
        failing = False
        while True:
            try:
                await asyncio.to_thread(poller.poll)
                failing = False
            except Exception:  # noqa: BLE001 - a source must survive a bad file or a full disk
                if not failing:
                    log.exception("stream source %s failed; retrying every %.2f s", name, self.poll_seconds)
                failing = True
            await asyncio.sleep(self.poll_seconds)

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks = []
