"""What the alert job, the management jobs and `syncmon alerts` do, over a warehouse connection.

Each function loads the engine state, asks the pure engine for a decision at the given time, and
records it atomically (`store.record`). Delivery is separate (`ledger.deliver_due`), so a channel that
is down never blocks evaluation and a decision is never lost because a send failed.

Operator commands from the inbox are applied by `evaluate_alerts`, before it evaluates and in the same
transaction (`alerts.commands`); the caller writes their outcome files after the commit. Given a
`changefeed` file, every function appends what it committed to it (`alerts.changefeed`), right after
the commit.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from syncmon_pipeline.commands.inbox import Command, Outcome
from syncmon_pipeline.timestamps import to_utc_naive

from . import changefeed as feed
from . import commands as alert_commands
from . import engine, store
from .catalog import RULE_CATALOG
from .model import Alert, Observation, Silence
from .observations import RuleFailure, observe_isolated
from .pipeline_failures import failure_observations, record_rule_failures
from .settings import AlertingSettings


@dataclass(frozen=True)
class EvaluationSummary:
    evaluated_at: datetime
    observations: int
    notifications_queued: int
    next_wakeup: datetime | None
    active: tuple[Alert, ...]  # pending, firing and acknowledged alerts after this evaluation
    changed: tuple[Alert, ...]
    held_back: Mapping[str, int] = field(default_factory=dict)
    rule_failures: tuple[RuleFailure, ...] = ()  # (rule, integration) pairs skipped at this evaluation
    outcomes: tuple[Outcome, ...] = ()  # one per command given, in order (replays included, marked)

    def firing(self) -> tuple[Alert, ...]:
        return tuple(a for a in self.active if a.status in ("firing", "acknowledged"))


def _active(state: engine.EngineState) -> tuple[Alert, ...]:
    alerts = [a for a in state.alerts.values() if a.status in ("pending", "firing", "acknowledged")]
    return tuple(sorted(alerts, key=lambda a: (a.integration_id, a.alert_type, a.alert_id)))


_log = logging.getLogger(__name__)


def _append_changes(
    changefeed: Path | None, batch: alert_commands.Batch, before: engine.EngineState, now: datetime
) -> None:
    """After the commit: the decision stands whatever happens here, so a failing append is logged, not raised
    (the API's stream misses those lines; the alert tables and the snapshot still have them)."""
    if changefeed is None:
        return
    previous = {alert_id: alert.status for alert_id, alert in before.alerts.items()}
    fresh = [o for o in batch.outcomes if not o.replayed]
    entries = [*feed.command_entries(fresh, now), *feed.entries_for(batch.changed, previous, now)]
    try:
        feed.append_changes(changefeed, entries)
    except OSError as error:
        _log.warning("alert changefeed %s not appended (%d lines lost): %s", changefeed, len(entries), error)


def _record(
    con: duckdb.DuckDBPyConnection, batch: alert_commands.Batch, before: engine.EngineState, now: datetime,
    changefeed: Path | None,
) -> int:  # fmt: skip
    queued = store.record(
        con, state=batch.state, changed=batch.changed, notifications=batch.notifications, now=now,
        silences=batch.silences, commands=batch.outcomes,
    )  # fmt: skip
    _append_changes(changefeed, batch, before, now)
    return queued


def _record_one(
    con: duckdb.DuckDBPyConnection, before: engine.EngineState, result: engine.EngineResult, now: datetime,
    changefeed: Path | None,
) -> int:  # fmt: skip
    return _record(con, alert_commands.Batch.start(before).then(result), before, now, changefeed)


def _command_lookups(con: duckdb.DuckDBPyConnection):
    return (lambda alert_id: _full_alert_id(con, alert_id)), (lambda silence_id: store.silence_exists(con, silence_id))


def evaluate_alerts(
    con: duckdb.DuckDBPyConnection,
    *,
    now: datetime,
    settings: AlertingSettings,
    extra_observations: Sequence[Observation] = (),
    commands: Sequence[Command] = (),
    changefeed: Path | None = None,
) -> EvaluationSummary:
    """Apply the operator `commands` (in order, each once), observe every rule at `now`, run the engine,
    and record alerts, notifications and command outcomes in one transaction.

    A command already recorded is not applied again (its recorded outcome is returned, `replayed`).
    A rule that fails for an integration is skipped for it and recorded as a pipeline failure (its
    `sync_failure` alert is part of this same evaluation); every other rule and integration proceeds.
    """
    state = store.load_state(con)
    full_alert_id, silence_taken = _command_lookups(con)
    batch = alert_commands.apply_commands(
        state, commands, now=now, settings=settings, full_alert_id=full_alert_id, silence_taken=silence_taken,
        replays=store.recorded_outcomes(con, commands),
    )  # fmt: skip
    observed = observe_isolated(con, [now], settings)
    record_rule_failures(con, observed.failures, rules=list(RULE_CATALOG), now=now)
    observations = [*observed.observations, *failure_observations(con, now), *extra_observations]
    result = engine.evaluate(batch.state, observations, now, settings)
    batch = batch.then(result)
    queued = _record(con, batch, state, now, changefeed)
    return EvaluationSummary(
        evaluated_at=now,
        observations=len(observations),
        notifications_queued=queued,
        next_wakeup=result.next_wakeup,
        active=_active(result.state),
        changed=batch.changed,
        held_back=dict(getattr(result, "held_back", {}) or {}),
        rule_failures=tuple(observed.failures),
        outcomes=batch.outcomes,
    )


def _full_alert_id(con: duckdb.DuckDBPyConnection, alert_id: str) -> str:
    found = store.find_alert(con, alert_id)
    if found is None:
        raise LookupError(f"no alert with id {alert_id!r}; `syncmon alerts list` shows the ids")
    return str(found["alert_id"])


def acknowledge_alert(
    con: duckdb.DuckDBPyConnection, alert_id: str, *, by: str, now: datetime, settings: AlertingSettings,
    changefeed: Path | None = None,
) -> Alert:
    """Acknowledge: the alert stays open but stops escalating and repeating."""
    full_id = _full_alert_id(con, alert_id)
    before = store.load_state(con)
    result = engine.acknowledge(before, full_id, by, now, settings)
    _record_one(con, before, result, now, changefeed)
    return result.state.alerts[full_id]


def resolve_alert(
    con: duckdb.DuckDBPyConnection, alert_id: str, *, by: str, now: datetime, settings: AlertingSettings,
    changefeed: Path | None = None,
) -> Alert:
    full_id = _full_alert_id(con, alert_id)
    before = store.load_state(con)
    result = engine.resolve(before, full_id, by, now, settings)
    _record_one(con, before, result, now, changefeed)
    changed = {a.alert_id: a for a in result.changed}
    return changed.get(full_id) or result.state.alerts[full_id]


def add_silence(
    con: duckdb.DuckDBPyConnection,
    *,
    matchers: Mapping[str, str],
    starts_at: datetime,
    ends_at: datetime,
    author: str,
    comment: str,
    now: datetime,
    settings: AlertingSettings,
    silence_id: str | None = None,
    changefeed: Path | None = None,
) -> Silence:
    """Add a silence; `silence_id` lets the caller choose the id (to expire it later), else a random one."""
    if not matchers:
        raise ValueError("a silence needs at least one matcher (label=value)")
    if ends_at <= starts_at:
        raise ValueError("a silence must end after it starts")
    if silence_id is not None and store.silence_exists(con, silence_id):
        raise ValueError(f"silence {silence_id!r} already exists; expire it or choose another id")
    silence = Silence(
        silence_id=silence_id or uuid.uuid4().hex[:12], matchers=dict(matchers), starts_at=starts_at,
        ends_at=ends_at, author=author, comment=comment, created_at=now,
    )  # fmt: skip
    before = store.load_state(con)
    _record_one(con, before, engine.add_silence(before, silence, now, settings), now, changefeed)
    return silence


def expire_silence(
    con: duckdb.DuckDBPyConnection, silence_id: str, *, now: datetime, settings: AlertingSettings,
    changefeed: Path | None = None,
) -> None:
    before = store.load_state(con)
    _record_one(con, before, engine.expire_silence(before, silence_id, now, settings), now, changefeed)


def list_silences(
    con: duckdb.DuckDBPyConnection, *, now: datetime, include_expired: bool = False
) -> list[dict]:
    """Silences in force (or still to come) at `now`; all of them with include_expired."""
    store.ensure_tables(con)
    cursor = con.execute(
        "SELECT * FROM alerts.silences WHERE $all OR (expired_at IS NULL AND ends_at > $now)"
        " ORDER BY starts_at DESC",
        {"all": include_expired, "now": to_utc_naive(now)},
    )
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]
