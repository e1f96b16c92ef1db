"""Alert state in the warehouse: load the engine's state, record what an engine call decided, read alerts back.

`record` writes one engine result in one transaction — the changed alerts, the engine state, the
silences, the new notifications in the ledger and the operator commands it applied — so a run killed
half way leaves either the old decision or the new one, never a notification without the alert state
that explains it, nor a command applied without the record that it was.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import fields
from datetime import datetime
from typing import Any

import duckdb

from syncmon_pipeline.commands.inbox import Command, Outcome
from syncmon_pipeline.sql_files import query_sql_file, run_sql_file
from syncmon_pipeline.timestamps import from_utc_naive, to_utc_naive

from . import ledger
from .engine_state import EngineState
from .model import Alert, Notification, Silence

_PACKAGE = "syncmon_pipeline.alerts.sql"
ALERT_COLUMNS: tuple[str, ...] = (
    "alert_id", "fingerprint", "rule", "alert_type", "severity", "integration_id", "provider", "labels",
    "status", "started_at", "pending_since", "fired_at", "acknowledged_at", "acknowledged_by", "resolved_at",
    "resolved_by", "last_observed_at", "value", "threshold", "summary", "evidence", "escalated_at",
    "escalation_count", "silenced_by", "inhibited_by",
)  # fmt: skip


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    run_sql_file(con, _PACKAGE, "store_tables.sql")
    ledger.ensure_ledger(con)


def load_state(con: duckdb.DuckDBPyConnection) -> EngineState:
    ensure_tables(con)
    rows = con.execute("SELECT state FROM alerts.engine_state WHERE id = 1").fetchall()
    return EngineState.from_json(rows[0][0]) if rows else EngineState.empty()


def _alert_params(alert: Alert, now: datetime) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for name in ALERT_COLUMNS:
        value = getattr(alert, name)
        if name in ("labels", "evidence"):
            value = json.dumps(dict(value), default=str, sort_keys=True)
        elif isinstance(value, datetime):
            value = to_utc_naive(value)
        params[name] = value
    params["updated_at"] = to_utc_naive(now)
    return params


def _silence_params(silence: Silence) -> dict[str, Any]:
    params = {f.name: getattr(silence, f.name) for f in fields(Silence)}
    params["matchers"] = json.dumps(dict(silence.matchers), sort_keys=True)
    return {k: to_utc_naive(v) if isinstance(v, datetime) else v for k, v in params.items()}


def _command_params(outcome: Outcome) -> dict[str, Any]:
    command = outcome.command
    return {
        "command_id": command.command_id, "kind": command.kind, "actor": command.actor, "status": outcome.status,
        "reason": outcome.reason, "applied_at": to_utc_naive(outcome.applied_at),
        "result": json.dumps(dict(outcome.result), default=str, sort_keys=True),
    }  # fmt: skip


def record(
    con: duckdb.DuckDBPyConnection,
    *,
    state: EngineState,
    changed: Iterable[Alert],
    notifications: Iterable[Notification],
    now: datetime,
    silences: Iterable[Silence] | None = None,
    commands: Iterable[Outcome] = (),
) -> int:
    """Persist one engine decision atomically; returns how many notifications were newly queued.

    `silences` defaults to the state's; `commands` are the outcomes of the operator commands this
    decision applied or rejected (replays, recorded before, are skipped)."""
    ensure_tables(con)
    con.execute("BEGIN TRANSACTION")
    try:
        for alert in changed:
            run_sql_file(con, _PACKAGE, "upsert_alert.sql", _alert_params(alert, now))
        for silence in state.silences if silences is None else silences:
            run_sql_file(con, _PACKAGE, "upsert_silence.sql", _silence_params(silence))
        con.execute(
            "INSERT OR REPLACE INTO alerts.engine_state VALUES (1, ?, ?)", [state.to_json(), to_utc_naive(now)]
        )
        queued = ledger.enqueue(con, list(notifications), now)
        for outcome in commands:
            if not outcome.replayed:
                run_sql_file(con, _PACKAGE, "record_applied_command.sql", _command_params(outcome))
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return queued


def _alert_from_row(columns: list[str], row: tuple) -> dict[str, Any]:
    record_ = dict(zip(columns, row))
    for key in ("labels", "evidence"):
        record_[key] = json.loads(record_[key]) if isinstance(record_[key], str) else record_[key]
    return {k: (from_utc_naive(v).isoformat() if isinstance(v, datetime) else v) for k, v in record_.items()}


def list_alerts(
    con: duckdb.DuckDBPyConnection, *, statuses: Iterable[str] = (), integration_id: str | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Alerts newest first, as JSON-ready dicts (timestamps ISO 8601 UTC)."""
    ensure_tables(con)
    wanted = list(statuses)
    cursor = con.execute(
        "SELECT * FROM alerts.alerts"
        " WHERE (len($statuses) = 0 OR list_contains($statuses, status))"
        "   AND ($integration_id IS NULL OR integration_id = $integration_id)"
        " ORDER BY coalesce(fired_at, pending_since) DESC, alert_id LIMIT $limit",
        {"statuses": wanted, "integration_id": integration_id, "limit": limit},
    )
    columns = [d[0] for d in cursor.description]
    return [_alert_from_row(columns, row) for row in cursor.fetchall()]


def find_alert(con: duckdb.DuckDBPyConnection, alert_id: str) -> dict[str, Any] | None:
    """One alert by id, or by a unique id prefix (ids are long; operators type the first few characters)."""
    ensure_tables(con)
    cursor = con.execute(
        "SELECT * FROM alerts.alerts WHERE starts_with(alert_id, ?) ORDER BY alert_id LIMIT 2", [alert_id]
    )
    columns = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    if len(rows) > 1 and rows[0][0] != alert_id:
        raise LookupError(f"alert id prefix {alert_id!r} is ambiguous; give more characters")
    return _alert_from_row(columns, rows[0]) if rows else None


def alert_counts(con: duckdb.DuckDBPyConnection) -> Mapping[str, int]:
    ensure_tables(con)
    return dict(con.execute("SELECT status, count(*) FROM alerts.alerts GROUP BY status").fetchall())


def recorded_outcomes(con: duckdb.DuckDBPyConnection, commands: Iterable[Command]) -> list[Outcome]:
    """The outcomes recorded for those of `commands` that were applied or rejected before (replays)."""
    ensure_tables(con)
    by_id = {c.command_id: c for c in commands}
    if not by_id:
        return []
    rows = query_sql_file(con, _PACKAGE, "applied_commands.sql", {"ids": sorted(by_id)})
    return [
        Outcome(by_id[command_id], status, reason, from_utc_naive(applied_at),
                json.loads(result) if isinstance(result, str) else dict(result or {}), replayed=True)
        for command_id, status, reason, applied_at, result in rows
    ]  # fmt: skip


def silence_exists(con: duckdb.DuckDBPyConnection, silence_id: str) -> bool:
    """Whether the id was ever used (the engine state forgets ended silences after a day)."""
    ensure_tables(con)
    return bool(query_sql_file(con, _PACKAGE, "silence_exists.sql", {"silence_id": silence_id})[0][0])
