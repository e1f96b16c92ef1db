"""The live stream's message bus: monotonic ids, a bounded buffer for Last-Event-ID resume.

Ids start from the wall clock in microseconds when the service starts and go up by one per message,
so they keep increasing across restarts; an id the buffer no longer holds (older than the buffer, or
from before a restart) cannot be resumed and the subscriber is told to resync.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from typing import Any


@dataclass(frozen=True)
class StreamMessage:
    id: int
    kind: str  # session_created | session_status | session_progress | session_error | alert_firing | ...
    at: str  # ISO 8601 UTC, when the service published it
    integration_id: str | None
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "at": self.at, "integration_id": self.integration_id,
                "data": self.data}  # fmt: skip


class StreamBus:
    def __init__(self, capacity: int = 20_000, first_id: int | None = None):
        self._buffer: deque[StreamMessage] = deque(maxlen=capacity)
        self._next_id = first_id if first_id is not None else int(time.time() * 1_000_000)
        self.first_id = self._next_id
        self._lock = threading.Lock()
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()

    @property
    def last_id(self) -> int:
        return self._next_id - 1

    def publish(self, kind: str, data: dict[str, Any], *, integration_id: str | None = None) -> StreamMessage:
        """Add one message (thread-safe) and wake every subscriber."""
        return self.publish_many([(kind, data, integration_id)])[0]

    def publish_many(self, messages: list[tuple[str, dict[str, Any], str | None]]) -> list[StreamMessage]:
        """Add (kind, data, integration_id) messages with consecutive ids, one timestamp, one wake-up: a
        batch of 1,000 events costs one lock and one wake per subscriber, not a thousand."""
        at = datetime.now(UTC).isoformat()
        with self._lock:
            first = self._next_id
            made = [StreamMessage(first + i, kind, at, integration_id, data)
                    for i, (kind, data, integration_id) in enumerate(messages)]  # fmt: skip
            self._next_id += len(made)
            self._buffer.extend(made)
            waiters = list(self._waiters)
        for loop, event in waiters:
            loop.call_soon_threadsafe(event.set)
        return made

    @property
    def oldest_position(self) -> int:
        """The oldest position `since` can still serve (the id before the oldest buffered message)."""
        with self._lock:
            return (self._buffer[0].id if self._buffer else self._next_id) - 1

    @property
    def waiting(self) -> int:
        """Subscribers waiting in `wait` right now (the stream tests check that disconnects leave none)."""
        with self._lock:
            return len(self._waiters)

    def since(self, last_id: int) -> list[StreamMessage] | None:
        """Messages after `last_id`; None when some of them are gone (the caller must resync).

        Ids in the buffer are consecutive, so the messages after `last_id` are its last
        `newest - last_id` entries: taken from the right, the cost is what is returned, not the buffer.
        """
        with self._lock:
            newest = self._next_id - 1
            if last_id >= newest:
                return []
            oldest = self._buffer[0].id if self._buffer else self._next_id
            if last_id + 1 < oldest:
                return None
            found = list(islice(reversed(self._buffer), newest - last_id))
        found.reverse()
        return found

    async def wait(self, last_id: int, timeout: float) -> list[StreamMessage] | None:
        """Messages after `last_id`, waiting up to `timeout` seconds for the first; None means resync."""
        found = self.since(last_id)
        if found is None or found:
            return found
        event = asyncio.Event()
        waiter = (asyncio.get_running_loop(), event)
        with self._lock:
            self._waiters.add(waiter)
        try:
            found = self.since(last_id)
            if found is None or found:
                return found
            try:
                await asyncio.wait_for(event.wait(), timeout)
            except TimeoutError:
                return []
            return self.since(last_id)
        finally:
            with self._lock:
                self._waiters.discard(waiter)
