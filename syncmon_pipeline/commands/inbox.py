"""The command inbox: operator actions as small JSON files, written by the API, applied by the pipeline.

The API never opens the warehouse (DuckDB allows one writing process), so an acknowledgement, a
silence or a report request becomes a file in `$SYNCMON_HOME/commands/pending/<command_id>.json`.
The alert job applies alert commands in the transaction of its evaluation; report_request_sensor turns
report commands into runs. Each outcome goes to `done/<command_id>.json` (the command plus `status`
applied|rejected, `reason`, `applied_at`, `result`) and the pending file is removed after it.

Format (the API relies on it): `{"command_id": "cmd_<32 hex>", "kind", "actor", "created_at": ISO 8601
UTC, "args": {...}}`; kinds and args in `args.py`. Every file appears atomically (hidden temporary
name, fsync, rename, fsync of the folder), so a reader never sees half of one. A pending file that
cannot be read as a command is never dropped: it becomes a rejected outcome saying why.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from syncmon_pipeline.atomic_files import fsync_dir, write_atomically

from .args import ALERT_KINDS, KINDS, REPORT_KINDS, aware_time, validate_args

__all__ = [
    "ALERT_KINDS", "KINDS", "REPORT_KINDS", "Command", "Outcome", "backlog", "command_status", "has_pending",
    "is_command_id", "new_command_id", "pending_command", "read_pending", "submit", "write_outcome",
]  # fmt: skip

STATUSES = ("applied", "rejected")
MAX_COMMAND_BYTES = 64 * 1024  # a command is a few hundred bytes; a bigger file is not one
MAX_ACTOR_CHARS = 200
_COMMAND_ID = re.compile(r"^cmd_[0-9a-f]{32}$")


def new_command_id() -> str:
    return f"cmd_{uuid.uuid4().hex}"


def is_command_id(text: object) -> bool:
    """Whether `text` is a command id; only such ids ever become file names (no path can escape the inbox)."""
    return isinstance(text, str) and _COMMAND_ID.match(text) is not None


@dataclass(frozen=True)
class Command:
    command_id: str
    kind: str
    actor: str  # who asked (the API's token name); recorded as acknowledged_by / resolved_by / author
    created_at: datetime  # aware, UTC
    args: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"command_id": self.command_id, "kind": self.kind, "actor": self.actor,
                "created_at": self.created_at.isoformat(), "args": self.args}  # fmt: skip

    @classmethod
    def from_json(cls, data: object) -> Command:
        """A command from its JSON object; a ValueError names what is wrong."""
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        command_id, kind, actor = data.get("command_id"), data.get("kind"), data.get("actor")
        if not is_command_id(command_id):
            raise ValueError(f"command_id: {command_id!r} is not cmd_<32 hex>")
        if kind not in KINDS:
            raise ValueError(f"kind: unknown command kind {kind!r}; kinds are {', '.join(KINDS)}")
        if not isinstance(actor, str) or not actor or len(actor) > MAX_ACTOR_CHARS:
            raise ValueError(f"actor: expected a non-empty string of at most {MAX_ACTOR_CHARS} characters")
        created_at = aware_time(data.get("created_at"), "created_at").astimezone(UTC)
        return cls(command_id, kind, actor, created_at, validate_args(kind, data.get("args")))


@dataclass(frozen=True)
class Outcome:
    """What became of one command; `replayed`: it had been applied before, this is the recorded outcome again."""

    command: Command
    status: str  # applied | rejected
    reason: str | None
    applied_at: datetime
    result: dict[str, Any] = field(default_factory=dict)
    replayed: bool = False


def _pending_dir(commands_dir: Path) -> Path:
    return Path(commands_dir) / "pending"


def _done_dir(commands_dir: Path) -> Path:
    return Path(commands_dir) / "done"


def _dumps(record: Mapping[str, Any]) -> bytes:
    return (json.dumps(record, sort_keys=True, default=str) + "\n").encode("utf-8")


def submit(
    commands_dir: Path, *, kind: str, args: Mapping[str, Any], actor: str, now: datetime,
    command_id: str | None = None,
) -> Command:
    """Validate a command and queue it as `pending/<id>.json` (atomically). Re-submitting an id that was
    applied already is harmless: the pipeline sees it is done and does nothing again."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    command = Command.from_json({
        "command_id": command_id or new_command_id(), "kind": kind, "actor": actor,
        "created_at": now.astimezone(UTC).isoformat(), "args": dict(args),
    })  # fmt: skip
    data = _dumps(command.to_json())
    if len(data) > MAX_COMMAND_BYTES:
        raise ValueError(f"command larger than {MAX_COMMAND_BYTES} bytes")
    _done_dir(commands_dir).mkdir(parents=True, exist_ok=True)
    write_atomically(_pending_dir(commands_dir) / f"{command.command_id}.json", data)
    return command


def _pending_files(commands_dir: Path) -> list[Path]:
    """Complete pending files (temporary ones are hidden), oldest name first; none when the inbox is new."""
    try:
        entries = list(os.scandir(_pending_dir(commands_dir)))
    except FileNotFoundError:
        return []
    return sorted(Path(e.path) for e in entries if e.name.endswith(".json") and not e.name.startswith("."))


def _load(path: Path) -> Command:
    if path.stat().st_size > MAX_COMMAND_BYTES:
        raise ValueError(f"larger than {MAX_COMMAND_BYTES} bytes")
    try:
        data = json.loads(path.read_bytes())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not valid JSON ({exc})") from None
    command = Command.from_json(data)
    if command.command_id != path.stem:
        raise ValueError(f"command_id {command.command_id!r} does not match the file name {path.name!r}")
    return command


def _reject_unreadable(commands_dir: Path, path: Path, reason: str, now: datetime) -> None:
    """Keep what can be read of a broken file in its rejected outcome, so nothing disappears unexplained."""
    try:
        raw = json.loads(path.read_bytes()) if path.stat().st_size <= MAX_COMMAND_BYTES else None
    except (OSError, ValueError):
        raw = None
    raw = raw if isinstance(raw, dict) else {}
    record = {
        "command_id": path.stem, "kind": raw.get("kind") if isinstance(raw.get("kind"), str) else None,
        "actor": raw.get("actor") if isinstance(raw.get("actor"), str) else None,
        "created_at": raw.get("created_at") if isinstance(raw.get("created_at"), str) else None,
        "args": raw.get("args") if isinstance(raw.get("args"), dict) else {},
        "status": "rejected", "reason": f"invalid command file: {reason}",
        "applied_at": now.astimezone(UTC).isoformat(), "result": {},
    }  # fmt: skip
    write_atomically(_done_dir(commands_dir) / path.name, _dumps(record))
    path.unlink(missing_ok=True)
    fsync_dir(path.parent)


def read_pending(
    commands_dir: Path, kinds: Collection[str] | None = None, *, now: datetime | None = None
) -> list[Command]:
    """Pending commands of `kinds` (all kinds when None), by (created_at, command_id).

    A file that is not a valid command (whatever its kind) is rejected on the spot, with the reason,
    at `now` (default: the current time), and left out.
    """
    commands = []
    for path in _pending_files(commands_dir):
        try:
            command = _load(path)
        except FileNotFoundError:
            continue  # applied by someone else between the listing and the read
        except (OSError, ValueError) as exc:
            _reject_unreadable(commands_dir, path, str(exc), now or datetime.now(UTC))
            continue
        if kinds is None or command.kind in kinds:
            commands.append(command)
    return sorted(commands, key=lambda c: (c.created_at, c.command_id))


def has_pending(commands_dir: Path, kinds: Collection[str] | None = None) -> bool:
    """Whether something awaits: a command of `kinds`, or a broken file (reading the inbox rejects it).
    Cheap enough for every sensor tick: a folder listing and a few tiny files."""
    for path in _pending_files(commands_dir):
        if kinds is None:
            return True
        try:
            kind = json.loads(path.read_bytes()).get("kind")
        except FileNotFoundError:
            continue
        except (OSError, ValueError, AttributeError):
            return True
        if not isinstance(kind, str) or kind in kinds or kind not in KINDS:
            return True
    return False


def pending_command(commands_dir: Path, command_id: str) -> Command | None:
    """One pending command by id; None when it is not pending (done, unknown, unreadable or not an id)."""
    if not is_command_id(command_id):
        return None
    try:
        return _load(_pending_dir(commands_dir) / f"{command_id}.json")
    except (OSError, ValueError):
        return None


def outcome_record(outcome: Outcome) -> dict[str, Any]:
    """The done file's content: the command, then what became of it."""
    return {
        **outcome.command.to_json(), "status": outcome.status, "reason": outcome.reason,
        "applied_at": outcome.applied_at.astimezone(UTC).isoformat(), "result": dict(outcome.result),
    }  # fmt: skip


def write_outcome(
    commands_dir: Path, command: Command, *, status: str, reason: str | None, applied_at: datetime,
    result: Mapping[str, Any],
) -> Path:
    """Write `done/<id>.json` atomically, then remove the pending file (in that order: a crash in between
    leaves both, and the done record wins)."""
    if status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
    record = outcome_record(Outcome(command, status, reason, applied_at, dict(result)))
    done = write_atomically(_done_dir(commands_dir) / f"{command.command_id}.json", _dumps(record))
    pending = _pending_dir(commands_dir) / f"{command.command_id}.json"
    if pending.exists():
        pending.unlink(missing_ok=True)
        fsync_dir(pending.parent)
    return done


def command_status(commands_dir: Path, command_id: str) -> dict[str, Any] | None:
    """The done record; else the pending command with `"status": "queued"`; else None (also for a string
    that is not a command id, so no path outside the inbox is ever read)."""
    if not is_command_id(command_id):
        return None
    for folder, extra in ((_done_dir(commands_dir), {}), (_pending_dir(commands_dir), {"status": "queued"})):
        try:
            record = json.loads((folder / f"{command_id}.json").read_bytes())
        except FileNotFoundError:
            continue
        except (OSError, ValueError):
            return None
        if isinstance(record, dict):
            return {**record, **extra}
    return None


def backlog(commands_dir: Path, now: datetime) -> tuple[int, float | None]:
    """(pending commands, age in seconds of the oldest one); the age is None when nothing is pending."""
    files = _pending_files(commands_dir)
    oldest: datetime | None = None
    for path in files:
        try:
            created = aware_time(json.loads(path.read_bytes()).get("created_at"), "created_at")
        except FileNotFoundError:
            continue
        except (OSError, ValueError, AttributeError):
            try:  # a broken file still counts; its age is the file's
                created = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            except OSError:
                continue
        oldest = created if oldest is None or created < oldest else oldest
    return len(files), (None if oldest is None else max(0.0, (now - oldest).total_seconds()))
