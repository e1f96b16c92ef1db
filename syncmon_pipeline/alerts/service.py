"""What the alert job, the management jobs and `syncmon alerts` do, over a warehouse connection.

Each function loads the engine state, asks the pure engine for a decision at the given time, and
records it atomically (`store.record`). Delivery is separate (`ledger.deliver_due`), so a channel that
is down never blocks evaluation and a decision is never lost because a send failed.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from syncmon_pipeline.timestamps import to_utc_naive

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

    def firing(self) -> tuple[Alert, ...]:
        return tuple(a for a in self.active if a.status in ("firing", "acknowledged"))


def _active(state: engine.EngineState) -> tuple[Alert, ...]:
    alerts = [a for a in state.alerts.values() if a.status in ("pending", "firing", "acknowledged")]
    return tuple(sorted(alerts, key=lambda a: (a.integration_id, a.alert_type, a.alert_id)))


def _record(con: duckdb.DuckDBPyConnection, result: engine.EngineResult, now: datetime) -> int:
    return store.record(
        con, state=result.state, changed=result.changed, notifications=result.notifications, now=now
    )


def evaluate_alerts(
    con: duckdb.DuckDBPyConnection,
    *,
    now: datetime,
    settings: AlertingSettings,
    extra_observations: Sequence[Observation] = (),
) -> EvaluationSummary:
    """Observe every rule at `now`, run the engine, and record alerts and notifications.

    A rule that fails for an integration is skipped for it and recorded as a pipeline failure (its
    `sync_failure` alert is part of this same evaluation); every other rule and integration proceeds.
    """
    state = store.load_state(con)
    observed = observe_isolated(con, [now], settings)
    record_rule_failures(con, observed.failures, rules=list(RULE_CATALOG), now=now)
    observations = [*observed.observations, *failure_observations(con, now), *extra_observations]
    result = engine.evaluate(state, observations, now, settings)
    queued = _record(con, result, now)
    return EvaluationSummary(
        evaluated_at=now,
        observations=len(observations),
        notifications_queued=queued,
        next_wakeup=result.next_wakeup,
        active=_active(result.state),
        changed=tuple(result.changed),
        held_back=dict(getattr(result, "held_back", {}) or {}),
        rule_failures=tuple(observed.failures),
    )


def _full_alert_id(con: duckdb.DuckDBPyConnection, alert_id: str) -> str:
    found = store.find_alert(con, alert_id)
    if found is None:
        raise LookupError(f"no alert with id {alert_id!r}; `syncmon alerts list` shows the ids")
    return str(found["alert_id"])


def acknowledge_alert(
    con: duckdb.DuckDBPyConnection, alert_id: str, *, by: str, now: datetime, settings: AlertingSettings
) -> Alert:
    """Acknowledge: the alert stays open but stops escalating and repeating."""
    full_id = _full_alert_id(con, alert_id)
    result = engine.acknowledge(store.load_state(con), full_id, by, now, settings)
    _record(con, result, now)
    return result.state.alerts[full_id]


def resolve_alert(
    con: duckdb.DuckDBPyConnection, alert_id: str, *, by: str, now: datetime, settings: AlertingSettings
) -> Alert:
    full_id = _full_alert_id(con, alert_id)
    result = engine.resolve(store.load_state(con), full_id, by, now, settings)
    _record(con, result, now)
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
) -> Silence:
    if not matchers:
        raise ValueError("a silence needs at least one matcher (label=value)")
    if ends_at <= starts_at:
        raise ValueError("a silence must end after it starts")
    silence = Silence(
        silence_id=uuid.uuid4().hex[:12], matchers=dict(matchers), starts_at=starts_at, ends_at=ends_at,
        author=author, comment=comment, created_at=now,
    )  # fmt: skip
    result = engine.add_silence(store.load_state(con), silence, now, settings)
    _record(con, result, now)
    return silence


def expire_silence(
    con: duckdb.DuckDBPyConnection, silence_id: str, *, now: datetime, settings: AlertingSettings
) -> None:
    result = engine.expire_silence(store.load_state(con), silence_id, now, settings)
    _record(con, result, now)


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
