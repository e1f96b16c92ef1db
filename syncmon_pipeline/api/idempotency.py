"""`Idempotency-Key`: a retried request gets the first answer and writes nothing twice.

A key belongs to the token that sent it. The first answer is stored as a small file under
`$SYNCMON_HOME/api/idempotency/` (atomic rename) before it is returned; a request with the same key
and the same method, path and body gets that answer again; the same key with a different request is
refused (422). Records older than `api.idempotency_hours` are forgotten. Exactly-once in the
warehouse does not rest on this alone: every event has an event_id and ingest skips ids it has.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


class IdempotencyKeyError(ValueError):
    """A malformed key, or a key reused for a different request (the message says which)."""


@dataclass(frozen=True)
class StoredAnswer:
    status_code: int
    body: Any


def request_fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


class IdempotencyStore:
    def __init__(self, folder: Path, ttl: timedelta):
        self.folder = folder
        self.ttl = ttl

    def _path(self, principal: str, key: str) -> Path:
        if not _KEY.match(key):
            raise IdempotencyKeyError("Idempotency-Key must be 1 to 255 printable ASCII characters")
        return self.folder / (hashlib.sha256(f"{principal}\0{key}".encode()).hexdigest() + ".json")

    def lookup(self, principal: str, key: str, fingerprint: str, now: datetime) -> StoredAnswer | None:
        path = self._path(principal, key)
        try:
            record = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        if datetime.fromisoformat(record["stored_at"]) + self.ttl < now:
            return None
        if record["fingerprint"] != fingerprint:
            raise IdempotencyKeyError(
                "this Idempotency-Key was used for a different request (method, path or body); use a new key"
            )
        return StoredAnswer(record["status_code"], record["body"])

    def save(self, principal: str, key: str, fingerprint: str, answer: StoredAnswer, now: datetime) -> None:
        path = self._path(principal, key)
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        record = {"fingerprint": fingerprint, "stored_at": now.isoformat(), "status_code": answer.status_code,
                  "body": answer.body}  # fmt: skip
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(record, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)

    def purge(self, now: datetime) -> int:
        """Forget records past the time to live; returns how many."""
        removed = 0
        for path in self.folder.glob("*.json") if self.folder.exists() else ():
            try:
                stored_at = datetime.fromisoformat(json.loads(path.read_text("utf-8"))["stored_at"])
            except (OSError, ValueError, KeyError):
                continue
            if stored_at + self.ttl < now:
                path.unlink(missing_ok=True)
                removed += 1
        return removed
