"""The next moment the alert engine has something time-based to do, kept in a small file for the sensor.

Sensors never open the warehouse (DuckDB allows one writer), so the alert job writes the earliest
due time — group wait ending, a repeat, an escalation, a delivery retry — next to the data, and the
alert sensor reads it to launch an evaluation on time.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path


def write_wakeup(path: Path, when: datetime | None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"next_wakeup": when.isoformat() if when else None}), "utf-8")
    os.replace(tmp, path)


def read_wakeup(path: Path) -> datetime | None:
    """The recorded wake-up time; None when there is none or the file is unreadable (the sensor then polls)."""
    try:
        value = json.loads(path.read_text("utf-8")).get("next_wakeup")
        return datetime.fromisoformat(value) if value else None
    except (OSError, ValueError, AttributeError):
        return None
