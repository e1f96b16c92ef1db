"""Tail the alert engine's changefeed (`changefeed/alerts.ndjson`) by byte offset onto the stream bus.

The alert engine appends one JSON object per line after each commit:
`{"at": iso, "kind": "alert_firing" | ..., "integration_id": str | null, "data": {...}}`, and rotates the
file by renaming it to `alerts.ndjson.1` when it grows past 16 MB. The tailer starts at the end of the
file (old history is not replayed), reads only complete lines (a partial last line waits for its
newline), and on rotation (a new inode) first reads what is left of the renamed file, then the new one
from its start.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from syncmon_pipeline.redaction import redact

from .bus import StreamBus
from .subscription import CONTROL_KINDS, KIND_PATTERN

log = logging.getLogger(__name__)

CHANGEFEED_NAME = "alerts.ndjson"
READ_CHUNK = 4 * 1024 * 1024  # bytes per poll at most; the rest waits for the next poll
MAX_LINE = 1024 * 1024  # a "line" longer than this without a newline is dropped
FREE_TEXT = ("summary", "message", "reason", "detail", "note", "comment")


def redact_free_text(data: dict[str, Any]) -> dict[str, Any]:
    return {k: redact(v) if k in FREE_TEXT and isinstance(v, str) else v for k, v in data.items()}


class ChangefeedTailer:
    def __init__(self, folder: Path, bus: StreamBus):
        self.path = folder / CHANGEFEED_NAME
        self.rotated = folder / f"{CHANGEFEED_NAME}.1"
        self.bus = bus
        self.inode: int | None = None
        self.offset = 0
        self.partial = b""

    def start(self) -> None:
        """Begin at the current end: what was committed before the service started is not replayed."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            self.inode, self.offset = None, 0  # a file that appears later is read from its start
            return
        self.inode, self.offset = st.st_ino, st.st_size

    def poll(self) -> int:
        """Publish the complete lines appended since the last poll; returns how many were published."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            st = None
        published = 0
        if self.inode is not None and (st is None or st.st_ino != self.inode):
            published += self._drain_rotated()
            self.inode, self.offset, self.partial = None, 0, b""
        if st is None:
            return published
        if self.inode is None:
            self.inode, self.offset = st.st_ino, 0
        elif st.st_size < self.offset:  # truncated in place: start over
            self.offset, self.partial = 0, b""
        if st.st_size > self.offset:
            published += self._read(self.path)
        return published

    def _drain_rotated(self) -> int:
        """What was appended to the file we followed before it was renamed to `.1`."""
        try:
            if self.rotated.stat().st_ino != self.inode:
                return 0
        except FileNotFoundError:
            return 0
        total = 0
        while True:
            count, more = self._read_once(self.rotated)
            total += count
            if not more:
                return total

    def _read(self, path: Path) -> int:
        count, _ = self._read_once(path)
        return count

    def _read_once(self, path: Path) -> tuple[int, bool]:
        try:
            with open(path, "rb") as handle:
                handle.seek(self.offset)
                chunk = handle.read(READ_CHUNK)
                more = len(chunk) == READ_CHUNK
        except FileNotFoundError:
            return 0, False
        if not chunk:
            return 0, False
        self.offset += len(chunk)
        lines = (self.partial + chunk).split(b"\n")
        self.partial = lines.pop()
        if len(self.partial) > MAX_LINE:
            log.warning("changefeed: dropped a line longer than %d bytes without a newline", MAX_LINE)
            self.partial = b""
        return sum(self._publish(line) for line in lines if line.strip()), more

    def _publish(self, line: bytes) -> int:
        try:
            entry = json.loads(line)
        except ValueError:
            log.warning("changefeed: skipped a line that is not JSON")
            return 0
        if not isinstance(entry, dict):
            return 0
        kind, data, integration = entry.get("kind"), entry.get("data"), entry.get("integration_id")
        if not isinstance(kind, str) or not KIND_PATTERN.match(kind) or kind in CONTROL_KINDS:
            log.warning("changefeed: skipped a line without a valid kind")
            return 0
        data = redact_free_text(data) if isinstance(data, dict) else {}
        if isinstance(entry.get("at"), str):
            data.setdefault("at", entry["at"])
        self.bus.publish(kind, data, integration_id=integration if isinstance(integration, str) else None)
        return 1

