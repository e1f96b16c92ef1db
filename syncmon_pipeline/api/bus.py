"""The live stream's message bus: monotonic ids, a bounded buffer for Last-Event-ID resume.

Ids start from the wall clock in microseconds when the service starts and go up by one per message,
so they keep increasing across restarts; an id the buffer no longer holds (older than the buffer, or
from before a restart) cannot be resumed and the subscriber is told to resync.

Messages published together are kept as one block, made into `StreamMessage`s only when a subscriber
first reads them: a batch of 1,000 accepted events costs the door one list, not a thousand objects
(which the garbage collector would walk again and again while the buffer holds them).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

class StreamMessage:
    """One message. Its `data` may be rendered on first read (`render(source)`): the door publishes a
    batch of 1,000 accepted events as raw events and redacts each only when a subscriber reads it."""

    __slots__ = ("id", "kind", "at", "integration_id", "_data", "_source", "_render")

    def __init__(
        self, id: int, kind: str, at: str, integration_id: str | None, data: dict[str, Any] | None = None,
        *, source: Any = None, render: Callable[[Any], dict[str, Any]] | None = None,
    ):  # fmt: skip
        self.id, self.kind, self.at, self.integration_id = id, kind, at, integration_id
        self._data, self._source, self._render = data, source, render

    @property
    def data(self) -> dict[str, Any]:
        if self._data is None:  # rendering twice (two threads at once) gives the same dict: harmless
            self._data = self._render(self._source) if self._render is not None else {}
            self._source = None
        return self._data

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "at": self.at, "integration_id": self.integration_id,
                "data": self.data}  # fmt: skip


class _Block:
    """Messages with consecutive ids from `first`, published at once: (kind, integration_id, source)
    each, the data being `render(source)`; `start` of them were dropped to keep the buffer's capacity."""

    __slots__ = ("first", "at", "items", "render", "start", "_messages")

    def __init__(self, first: int, at: str, items: list[tuple[str, str | None, Any]], render: Callable[[Any], dict] | None):
        self.first, self.at, self.items, self.render, self.start = first, at, items, render, 0
        self._messages: list[StreamMessage] | None = None

    def __len__(self) -> int:
        return len(self.items) - self.start

    def messages(self) -> list[StreamMessage]:
        if self._messages is None:
            if self.render is None:
                self._messages = [StreamMessage(self.first + i, kind, self.at, integration_id, data)
                                  for i, (kind, integration_id, data) in enumerate(self.items)]  # fmt: skip
            else:
                self._messages = [StreamMessage(self.first + i, kind, self.at, integration_id, source=source,
                                                render=self.render)
                                  for i, (kind, integration_id, source) in enumerate(self.items)]  # fmt: skip
        return self._messages

    def after(self, last_id: int) -> list[StreamMessage]:
        return self.messages()[max(self.start, last_id + 1 - self.first):]


class StreamBus:
    def __init__(self, capacity: int = 20_000, first_id: int | None = None):
        self.capacity = capacity
        self._blocks: deque[_Block] = deque()
        self._held = 0  # messages in the blocks
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
        block = self._add([(kind, integration_id, data) for kind, data, integration_id in messages], None)
        return block.messages() if block is not None else []

    def publish_rendered(self, items: list[tuple[str, str | None, Any]], render: Callable[[Any], dict[str, Any]]) -> None:
        """Like `publish_many` for (kind, integration_id, source): each message's data is `render(source)`,
        made when a subscriber first reads it (nothing is rendered for a stream nobody follows)."""
        self._add(items, render)

    def _add(self, items: list[tuple[str, str | None, Any]], render: Callable[[Any], dict] | None) -> _Block | None:
        if not items:
            return None
        at = datetime.now(UTC).isoformat()
        with self._lock:
            block = _Block(self._next_id, at, items, render)
            self._next_id += len(items)
            self._blocks.append(block)
            self._held += len(items)
            while self._held > self.capacity:  # drop the oldest messages, whole blocks where it can
                oldest, excess = self._blocks[0], self._held - self.capacity
                dropped = min(len(oldest), excess)
                oldest.start += dropped
                self._held -= dropped
                if len(oldest) == 0:
                    self._blocks.popleft()
            waiters = list(self._waiters)
        for loop, event in waiters:
            loop.call_soon_threadsafe(event.set)
        return block

    def _oldest_id(self) -> int:
        return self._blocks[0].first + self._blocks[0].start if self._blocks else self._next_id

    @property
    def oldest_position(self) -> int:
        """The oldest position `since` can still serve (the id before the oldest buffered message)."""
        with self._lock:
            return self._oldest_id() - 1

    @property
    def waiting(self) -> int:
        """Subscribers waiting in `wait` right now (the stream tests check that disconnects leave none)."""
        with self._lock:
            return len(self._waiters)

    def since(self, last_id: int) -> list[StreamMessage] | None:
        """Messages after `last_id`; None when some of them are gone (the caller must resync).

        Taken from the newest block back to the one holding `last_id + 1`: the cost is what is
        returned, not the buffer."""
        with self._lock:
            newest = self._next_id - 1
            if last_id >= newest:
                return []
            if last_id + 1 < self._oldest_id():
                return None
            parts = []
            for block in reversed(self._blocks):
                parts.append(block.after(last_id))
                if block.first <= last_id + 1:
                    break
        return [message for part in reversed(parts) for message in part]

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
