"""Accepted events → landing files, grouped: one file per flush, not one per request.

Requests hand their lines to one flusher task and wait for it. A flush happens once the lines waiting
reach `flush_events` (a batch that is already a good file goes at once), or `window` after the first
of them arrived (small requests from many synchronizers share a file). Each flush is one atomic file
(`recorder.write_lines_atomically`: temporary name, fsync, rename, directory fsync); a request's 202
is sent only after the file holding its lines has been renamed into place. A failed write fails every
request in that flush, and none of their lines is in landing.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from syncmon_pipeline.recorder import write_lines_atomically

API_FILE_PREFIX = "api-"  # the stream's landing watcher skips these: their events were published already


@dataclass
class _Waiting:
    lines: list[bytes]
    done: asyncio.Future


def flush_due(waiting_events: int, first_waited: float, *, flush_events: int, window: float) -> bool:
    """Whether to write now: enough lines for a file of their own, or the oldest has waited the window."""
    return waiting_events >= flush_events or first_waited >= window


class LandingWriter:
    def __init__(
        self, landing_dir: Path, *, window_seconds: float, flush_events: int = 1000, max_events: int = 50_000,
        clock: Callable[[], datetime],
    ):  # fmt: skip
        self.landing_dir = landing_dir
        self.window = window_seconds
        self.flush_events = flush_events
        self.max_events = max_events
        self.clock = clock
        self._waiting: list[_Waiting] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._sequence = itertools.count(1)
        self.files_written = 0

    async def write(self, lines: list[bytes]) -> str:
        """Put `lines` in landing; returns the file name once it is there."""
        if not lines:
            raise ValueError("nothing to write")
        waiting = _Waiting(lines, asyncio.get_running_loop().create_future())
        self._waiting.append(waiting)
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())
        return await waiting.done

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while self._waiting:
            first_at = loop.time()
            while not flush_due(sum(len(w.lines) for w in self._waiting), loop.time() - first_at,
                                flush_events=self.flush_events, window=self.window):  # fmt: skip
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), max(0.0, self.window - (loop.time() - first_at)))
                except TimeoutError:
                    pass
            batch = self._take()
            name = self._next_name()
            try:
                path = await asyncio.to_thread(write_lines_atomically, self.landing_dir,
                                               [line for w in batch for line in w.lines], name)  # fmt: skip
            except Exception as error:  # every request of this flush fails; none of its lines landed
                for waiting in batch:
                    if not waiting.done.done():
                        waiting.done.set_exception(error)
                continue
            self.files_written += 1
            for waiting in batch:
                if not waiting.done.done():
                    waiting.done.set_result(path.name)

    def _take(self) -> list[_Waiting]:
        """Whole requests, oldest first, up to `max_events` lines (a bigger single request goes alone)."""
        batch, total = [], 0
        while self._waiting and (not batch or total + len(self._waiting[0].lines) <= self.max_events):
            waiting = self._waiting.pop(0)
            batch.append(waiting)
            total += len(waiting.lines)
        return batch

    def _next_name(self) -> str:
        stamp = self.clock().strftime("%Y%m%dT%H%M%S%f")
        return f"{API_FILE_PREFIX}{stamp}-{os.getpid()}-{next(self._sequence):06d}"
