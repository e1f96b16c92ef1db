"""Operator commands from the inbox, folded into the engine state one after another before an evaluation.

Pure, like the engine: each command calls the engine function an operator would (acknowledge, resolve,
add_silence, expire_silence) at the same `now`, and the next command sees the state it left. A command
that cannot apply (unknown or ambiguous alert id, resolved alert, silence id taken, no such silence)
is rejected with the engine's reason and leaves the state as it was; so is one that trips an unexpected
error (states are immutable: nothing half-applied remains), rather than failing every evaluation after
it. What the warehouse knows (alert id prefixes, silence ids no longer in the state) comes in as two
small look-up functions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from syncmon_pipeline.commands.args import aware_time
from syncmon_pipeline.commands.inbox import Command, Outcome
from syncmon_pipeline.redaction import error_line

from . import engine
from .engine_notify import EngineResult
from .engine_state import EngineState
from .model import Alert, Notification, Silence
from .settings import AlertingSettings


@dataclass(frozen=True)
class Batch:
    """Several engine results as one decision, for one `store.record`."""

    state: EngineState
    changed: tuple[Alert, ...]  # every alert any step changed, in its last version
    notifications: tuple[Notification, ...]
    silences: tuple[Silence, ...]  # every silence any step held, in its last version (an expiry reaches the table)
    outcomes: tuple[Outcome, ...] = ()

    @classmethod
    def start(cls, state: EngineState) -> Batch:
        return cls(state, (), (), tuple(state.silences))

    def then(self, result: EngineResult) -> Batch:
        changed = {a.alert_id: a for a in self.changed} | {a.alert_id: a for a in result.changed}
        silences = {s.silence_id: s for s in self.silences} | {s.silence_id: s for s in result.state.silences}
        return Batch(
            result.state, tuple(changed[k] for k in sorted(changed)), (*self.notifications, *result.notifications),
            tuple(silences[k] for k in sorted(silences)), self.outcomes,
        )  # fmt: skip

    def with_outcome(self, outcome: Outcome) -> Batch:
        return Batch(self.state, self.changed, self.notifications, self.silences, (*self.outcomes, outcome))


def reason_of(error: Exception) -> str:
    """The error's own sentence (a KeyError's str() would add quotes around it)."""
    return str(error.args[0]) if error.args and isinstance(error.args[0], str) else str(error)


def apply_commands(
    state: EngineState,
    commands: Sequence[Command],
    *,
    now: datetime,
    settings: AlertingSettings,
    full_alert_id: Callable[[str], str],
    silence_taken: Callable[[str], bool],
    replays: Iterable[Outcome] = (),
) -> Batch:
    """Apply `commands` in order; `replays` (outcomes recorded earlier, by command id) are not applied again
    but returned as they were. `full_alert_id` turns an id or unique prefix into the id (LookupError
    otherwise); `silence_taken` says whether a silence id was ever used."""
    done = {o.command.command_id: o for o in replays}
    batch = Batch.start(state)
    for command in commands:
        if command.command_id in done:
            batch = batch.with_outcome(done[command.command_id])
            continue
        try:
            result, outcome = _apply(batch, command, now, settings, full_alert_id, silence_taken)
        except (LookupError, ValueError) as error:
            batch = batch.with_outcome(Outcome(command, "rejected", reason_of(error), now, {}))
            continue
        except Exception as error:  # noqa: BLE001 - a command that trips a bug must not stop every evaluation
            reason = f"could not be applied: {error_line(error)}"
            batch = batch.with_outcome(Outcome(command, "rejected", reason, now, {}))
            continue
        batch = batch.then(result).with_outcome(Outcome(command, "applied", None, now, outcome))
    return batch


def _closed_earlier(batch: Batch, alert_id: str) -> None:
    """An alert an earlier command of the batch resolved may have left the state already: say what happened."""
    closed = next((a for a in batch.changed if a.alert_id == alert_id and a.status == "resolved"), None)
    if closed is not None and alert_id not in batch.state.alerts:
        raise ValueError(f"alert {alert_id} is already resolved ({closed.resolved_by} at"
                         f" {closed.resolved_at:%Y-%m-%d %H:%M} UTC)")  # fmt: skip


def _apply(
    batch: Batch, command: Command, now: datetime, settings: AlertingSettings,
    full_alert_id: Callable[[str], str], silence_taken: Callable[[str], bool],
) -> tuple[EngineResult, dict[str, Any]]:  # fmt: skip
    state, args = batch.state, command.args
    if command.kind in ("acknowledge_alert", "resolve_alert"):
        alert_id = full_alert_id(args["alert_id"])
        _closed_earlier(batch, alert_id)
        act = engine.acknowledge if command.kind == "acknowledge_alert" else engine.resolve
        result = act(state, alert_id, command.actor, now, settings)
        alert = {a.alert_id: a for a in result.changed}.get(alert_id) or result.state.alerts[alert_id]
        return result, {"alert_id": alert_id, "status": alert.status}
    if command.kind == "add_silence":
        silence_id = args["silence_id"]
        if silence_taken(silence_id):
            raise ValueError(f"silence {silence_id!r} already exists; expire it or choose another id")
        silence = Silence(
            silence_id=silence_id, matchers=dict(args["matchers"]),
            starts_at=aware_time(args["starts_at"], "starts_at"), ends_at=aware_time(args["ends_at"], "ends_at"),
            author=command.actor, comment=args.get("comment", ""), created_at=now,
        )  # fmt: skip
        result = engine.add_silence(state, silence, now, settings)
        return result, {"silence_id": silence_id, "ends_at": silence.ends_at.astimezone(UTC).isoformat()}
    if command.kind == "expire_silence":
        return engine.expire_silence(state, args["silence_id"], now, settings), {"silence_id": args["silence_id"]}
    raise ValueError(f"{command.kind} is not an alert command")
