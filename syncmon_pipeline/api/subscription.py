"""One subscriber of the live stream, whatever carries it (SSE or WebSocket): filter, resume, heartbeats.

`follow` yields what to send, in order: the bus messages after the subscriber's position that pass
its filter, one `resync` when that position cannot be resumed (the buffer no longer holds what
follows it, or it is not a position of this service), and a `heartbeat` whenever nothing was sent
for `heartbeat_seconds`. A resync and a heartbeat carry the position reached (`id`), so a client
that reconnects with the last id it saw skips what it has, filtered messages included.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .bus import StreamBus, StreamMessage
from .problems import Problem

KIND_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_FILTER_VALUES = 100
CONTROL_KINDS = ("resync", "heartbeat")  # sent to every subscriber, never published on the bus


@dataclass(frozen=True)
class StreamFilter:
    """Which messages a subscriber wants. A kind matches itself and its family (`alert` → `alert_*`).

    Messages that concern no integration (snapshot_published, ingested, landing_file) pass an
    integration filter: they matter to every view; leave them out with `kind`.
    """

    integration_ids: frozenset[str] = frozenset()
    kinds: tuple[str, ...] = ()

    @classmethod
    def parse(cls, integration_ids: Iterable[str] | None, kinds: Iterable[str] | None) -> StreamFilter:
        integrations = [i for i in (integration_ids or ()) if i != ""]
        wanted = [k for k in (kinds or ()) if k != ""]
        if len(integrations) > MAX_FILTER_VALUES or len(wanted) > MAX_FILTER_VALUES:
            raise Problem(422, f"at most {MAX_FILTER_VALUES} integration_id and kind values each")
        for value in integrations:
            if len(value) > 200:
                raise Problem(422, "integration_id: at most 200 characters")
        for kind in wanted:
            if not KIND_PATTERN.match(kind):
                raise Problem(422, f"kind: {kind[:70]!r} is not a message kind (lower-case letters, digits, _)")
        return cls(frozenset(integrations), tuple(sorted(set(wanted))))

    def matches(self, message: StreamMessage) -> bool:
        if self.integration_ids and message.integration_id is not None:
            if message.integration_id not in self.integration_ids:
                return False
        if self.kinds:
            return any(message.kind == k or message.kind.startswith(k + "_") for k in self.kinds)
        return True


def parse_last_event_id(*candidates: str | None) -> int | str | None:
    """The first id given (header before query): an int, "invalid" (not one of ours: resync) or None."""
    for value in candidates:
        if value is None or value.strip() == "":
            continue
        text = value.strip()
        return int(text) if text.isdigit() and len(text) <= 20 else "invalid"
    return None


def _now() -> str:
    return datetime.now(UTC).isoformat()


def control(kind: str, position: int, **data: Any) -> dict[str, Any]:
    """A resync or heartbeat message in the shape of a bus message."""
    return {"id": position, "kind": kind, "at": _now(), "integration_id": None, "data": data}


RESYNC_DETAIL = (
    "messages after your last id are no longer available: reload the state from the REST reads"
    " (GET /v1/dashboard, /v1/sessions, /v1/alerts), then keep following from this id"
)


def resync(position: int, requested: int | str | None) -> dict[str, Any]:
    return control("resync", position, last_event_id=requested, detail=RESYNC_DETAIL)


@dataclass(frozen=True)
class Start:
    position: int  # follow the messages after this id
    resync: dict[str, Any] | None  # sent first when the requested position cannot be resumed


def start_at(bus: StreamBus, requested: int | str | None) -> Start:
    """Where a new subscriber starts; taken before it is told it is connected, so nothing falls in between."""
    if requested is None:
        return Start(bus.last_id, None)  # live from now
    if isinstance(requested, int) and bus.first_id - 1 <= requested <= bus.last_id:
        return Start(requested, None)  # `follow` still resyncs if the buffer no longer holds what comes next
    # Not a position of this service: before its start (a restart), in its future, or not a number.
    position = bus.last_id
    return Start(position, resync(position, requested))


async def follow(
    bus: StreamBus, start: Start, stream_filter: StreamFilter, heartbeat_seconds: float
) -> AsyncIterator[dict[str, Any]]:
    """What a subscriber receives, as message dicts (`StreamMessage.to_json()` shape), until cancelled."""
    position = start.position
    if start.resync is not None:
        yield start.resync
    last_sent = time.monotonic()
    while True:
        timeout = max(0.0, heartbeat_seconds - (time.monotonic() - last_sent))
        found = await bus.wait(position, timeout)
        if found is None:  # fell behind by more than the buffer holds, or resumed from too far back
            missed_after, position = position, bus.last_id
            yield resync(position, missed_after)
            last_sent = time.monotonic()
            continue
        for message in found:
            position = message.id
            if stream_filter.matches(message):
                yield message.to_json()
                last_sent = time.monotonic()
        if time.monotonic() - last_sent >= heartbeat_seconds:
            yield control("heartbeat", position)
            last_sent = time.monotonic()
