"""Which landing files an ingest run should take next (pure; the sensor is a thin shell).

The cursor is the (mtime, name) of the newest file already requested. Files
still being written are invisible: writers use a hidden temporary name and
rename when done, and a file younger than `settle_seconds` waits a tick. A
file that stays in landing long after the cursor passed it (a run that was
never launched, a file dropped with an old mtime) is requested again; ingest
is idempotent, so asking twice is safe.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

LANDING_SUFFIXES = (".ndjson", ".ndjson.gz")


@dataclass(frozen=True, order=True)
class LandingFile:
    mtime: float
    name: str
    size: int


@dataclass(frozen=True)
class Cursor:
    mtime: float = 0.0
    name: str = ""

    def serialize(self) -> str:
        return json.dumps({"mtime": self.mtime, "name": self.name})

    @classmethod
    def parse(cls, text: str | None) -> Cursor:
        if not text:
            return cls()
        data = json.loads(text)
        return cls(float(data["mtime"]), str(data["name"]))

    def passed(self, file: LandingFile) -> bool:
        return (file.mtime, file.name) <= (self.mtime, self.name)


@dataclass(frozen=True)
class Batch:
    files: tuple[LandingFile, ...]
    cursor: Cursor

    @property
    def run_key(self) -> str:
        """Same files (same name, mtime and size) ⇒ same key, so a replayed tick launches nothing new."""
        digest = hashlib.sha256()
        for file in self.files:
            digest.update(f"{file.name}\0{file.mtime}\0{file.size}\n".encode())
        return f"landing-{digest.hexdigest()[:24]}"


def is_landing_file_name(name: str) -> bool:
    return not name.startswith(".") and name.endswith(LANDING_SUFFIXES)


def list_landing_files(landing: Path) -> list[LandingFile]:
    """Complete landing files (hidden and temporary names skipped), oldest first."""
    if not landing.is_dir():
        return []
    files = []
    for entry in landing.iterdir():
        if not is_landing_file_name(entry.name):
            continue
        try:
            stat = entry.stat()
        except FileNotFoundError:  # moved aside by a concurrent ingest
            continue
        if entry.is_file():
            files.append(LandingFile(stat.st_mtime, entry.name, stat.st_size))
    return sorted(files)


def next_batch(
    files: list[LandingFile],
    cursor: Cursor,
    *,
    now: float,
    settle_seconds: float,
    straggler_seconds: float,
    max_files: int,
) -> Batch | None:
    """The next batch to ingest and the cursor after it, or None when nothing is ready."""
    settled = [f for f in files if now - f.mtime >= settle_seconds]
    new = [f for f in settled if not cursor.passed(f)]
    stragglers = [f for f in settled if cursor.passed(f) and now - f.mtime >= straggler_seconds]
    # New files first, so a pile of stragglers can never starve them.
    fresh = sorted(new)[:max_files]
    chosen = tuple(fresh + sorted(stragglers)[: max_files - len(fresh)])
    if not chosen:
        return None
    newest_new = max(fresh, default=None)
    next_cursor = Cursor(newest_new.mtime, newest_new.name) if newest_new else cursor
    return Batch(chosen, next_cursor)
