"""The alert changefeed: one NDJSON line per alert that started firing, was acknowledged or resolved, and per
command outcome, appended after each commit of the alert engine. The API tails it for its live stream.

Only what was committed is written (the caller appends after `store.record` returns), one batch with
one `write` on an O_APPEND descriptor then fsync, so a reader never sees a line from a rolled-back
decision and, on a local file system, never half a batch. When the file would pass MAX_BYTES it is
renamed to `alerts.ndjson.1` first (replacing the previous one); a reader notices the new inode and
starts from the top of the new file. Lines carry nothing secret: summaries were redacted at ingest,
reasons are the engine's own sentences.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from syncmon_pipeline.atomic_files import fsync_dir
from syncmon_pipeline.commands.inbox import Outcome

from .model import Alert

FEED_NAME = "alerts.ndjson"
MAX_BYTES = 16 * 1024 * 1024
ALERT_KINDS = {"firing": "alert_firing", "acknowledged": "alert_acknowledged", "resolved": "alert_resolved"}


def feed_file(changefeed_dir: Path) -> Path:
    return Path(changefeed_dir) / FEED_NAME


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


def _number(value: float | None) -> float | None:
    """JSON has no NaN or infinity: such a figure is reported as missing."""
    return None if value is None or not math.isfinite(value) else float(value)


def entries_for(
    changed_alerts: Iterable[Alert], previous_statuses: Mapping[str, str], now: datetime
) -> list[dict[str, Any]]:
    """A line per alert whose status became firing, acknowledged or resolved (its status in
    `previous_statuses`, by alert id, was another one or it was new). The engine's `changed` list also
    holds alerts whose figures or escalation moved without a status change: those are left out."""
    entries = []
    for alert in sorted(changed_alerts, key=lambda a: a.alert_id):
        kind = ALERT_KINDS.get(alert.status)
        if kind is None or previous_statuses.get(alert.alert_id) == alert.status:
            continue
        entries.append({
            "at": _iso(now), "kind": kind, "integration_id": alert.integration_id,
            "data": {
                "alert_id": alert.alert_id, "alert_type": alert.alert_type, "severity": alert.severity,
                "status": alert.status, "summary": alert.summary, "fired_at": _iso(alert.fired_at),
                "acknowledged_by": alert.acknowledged_by, "resolved_by": alert.resolved_by,
                "value": _number(alert.value), "threshold": _number(alert.threshold),
            },
        })  # fmt: skip
    return entries


def command_entries(outcomes: Iterable[Outcome], now: datetime) -> list[dict[str, Any]]:
    """A line per command outcome (`command_applied` or `command_rejected`)."""
    return [
        {
            "at": _iso(now), "kind": f"command_{o.status}", "integration_id": None,
            "data": {"command_id": o.command.command_id, "kind": o.command.kind, "status": o.status,
                     "reason": o.reason, "result": dict(o.result)},
        }
        for o in outcomes
    ]  # fmt: skip


def append_changes(path: Path, entries: Sequence[Mapping[str, Any]], *, max_bytes: int = MAX_BYTES) -> int:
    """Append `entries` as one batch (one write, then fsync); returns the bytes written."""
    if not entries:
        return 0
    data = "".join(json.dumps(e, default=str, allow_nan=False, separators=(",", ":")) + "\n" for e in entries)
    payload = data.encode("utf-8")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        size = 0
    if size and size + len(payload) > max_bytes:
        os.replace(path, path.with_name(path.name + ".1"))
        fsync_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        written = 0
        while written < len(payload):  # one write, unless the kernel takes less (then the rest)
            step = os.write(fd, payload[written:])
            if step == 0:
                raise OSError(f"could not append to {path}")
            written += step
        os.fsync(fd)
    finally:
        os.close(fd)
    if not size:
        fsync_dir(path.parent)  # a new file: persist its name too
    return written
