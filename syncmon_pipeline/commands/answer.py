"""Answer a command outside the alert job (report requests): its outcome file, then a changefeed line.

The alert job writes its outcomes itself, after the transaction that applied them; everything else that
settles a command (the report asset, report_request_sensor) calls `answer_command`, so the API sees
every outcome in the same two places.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from syncmon_pipeline.alerts.changefeed import append_changes, command_entries

from .inbox import Command, Outcome, write_outcome

_log = logging.getLogger(__name__)


def answer_command(
    commands_dir: Path, changefeed: Path, command: Command, *, status: str, reason: str | None,
    result: Mapping[str, Any], now: datetime,
) -> Outcome:  # fmt: skip
    outcome = Outcome(command, status, reason, now, dict(result))
    write_outcome(commands_dir, command, status=status, reason=reason, applied_at=now, result=result)
    try:
        append_changes(changefeed, command_entries([outcome], now))
    except OSError as error:  # the outcome file is the record; the stream line is a courtesy
        _log.warning("changefeed %s not appended for %s: %s", changefeed, command.command_id, error)
    return outcome
