"""The read endpoints' queries over a snapshot cursor: `.sql` files under `api/sql/`, bound parameters.

Rows come back JSON-safe: naive warehouse timestamps as aware UTC datetimes, Decimals as floats, NaN
and infinities as None, UUIDs as strings. Functions here know SQL and models, not HTTP.
"""

from __future__ import annotations

import json
import math
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import duckdb

from syncmon_pipeline.sql_files import query_sql_file
from syncmon_pipeline.timestamps import from_utc_naive, to_utc_naive

from . import read_models as m

_PACKAGE = "syncmon_pipeline.api"
MAX_SESSION_EVENTS = 1000  # per list in a session's detail


def plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return from_utc_naive(value)
    if isinstance(value, (float, Decimal)):
        number = float(value)
        return None if math.isnan(number) or math.isinf(number) else number
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, date):
        return value.isoformat()
    return value


def records(cur: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The rows of `api/sql/<name>.sql` as JSON-safe dicts."""
    found = query_sql_file(cur, _PACKAGE, f"sql/{name}.sql", params or {})
    columns = [d[0] for d in cur.description or []]
    return [{c: plain(v) for c, v in zip(columns, row)} for row in found]


def parse_json(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return None


def pick(model: type, row: dict[str, Any], **extra: Any):
    fields = model.model_fields
    return model(**{**{k: v for k, v in row.items() if k in fields}, **extra})


def quoted(value: str) -> str:
    return quote(value, safe="")


# -- as-of, integrations, health ---------------------------------------------------------------------------


def data_as_of(cur: duckdb.DuckDBPyConnection) -> tuple[datetime | None, datetime | None]:
    """(the health mart's as-of, the newest session event), aware UTC or None."""
    (row,) = records(cur, "read_as_of")
    return row["health_as_of"], row["data_as_of"]


HEALTH_FIELDS = tuple(m.IntegrationHealth.model_fields)


def integration_from_row(row: dict[str, Any]) -> m.Integration:
    health = None
    if row["has_health"]:
        values = {k: row[k] for k in HEALTH_FIELDS}
        values["open_error_categories"] = values["open_error_categories"] or []
        values["status"] = values["status"] or "unknown"
        health = m.IntegrationHealth(**values)
    return pick(m.Integration, {**row, "entity_types": row["entity_types"] or []}, health=health)


def integrations(cur: duckdb.DuckDBPyConnection, *, integration_id: str | None = None, provider: str | None = None,
                 status: str | None = None, after: str | None = None, limit: int) -> list[m.Integration]:  # fmt: skip
    rows = records(cur, "read_integrations", {"integration_id": integration_id, "provider": provider,
                                              "status": status, "after": after, "limit": limit})  # fmt: skip
    return [integration_from_row(r) for r in rows]


def hourly_buckets(cur: duckdb.DuckDBPyConnection, integration_id: str, start: datetime, end: datetime) -> list[m.HourlyBucket]:
    rows = records(cur, "read_health_hourly", {"integration_id": integration_id, "start": to_utc_naive(start),
                                               "end": to_utc_naive(end)})  # fmt: skip
    return [pick(m.HourlyBucket, r) for r in rows]


# -- sessions ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionFilters:
    integration_id: str | None = None
    provider: str | None = None
    statuses: tuple[str, ...] = ()
    sync_type: str | None = None
    outcome: str | None = None
    current: bool = False
    started_after: datetime | None = None
    started_before: datetime | None = None
    session_id: str | None = None

    def params(self) -> dict[str, Any]:
        return {"integration_id": self.integration_id, "provider": self.provider, "statuses": list(self.statuses),
                "sync_type": self.sync_type, "outcome": self.outcome, "current": self.current,
                "started_after": to_utc_naive(self.started_after), "started_before": to_utc_naive(self.started_before),
                "session_id": self.session_id}  # fmt: skip

    def fingerprint_fields(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in self.params().items()}


SESSION_KEY_KINDS = ("datetime", "str", "str")


def session_key(row: dict[str, Any]) -> tuple[Any, ...]:
    return row["sort_at"], row["integration_id"], row["session_id"]


def session_rows(cur: duckdb.DuckDBPyConnection, filters: SessionFilters, *, after: list[Any] | None,
                 limit: int) -> list[dict[str, Any]]:  # fmt: skip
    at, integration, session = after or (None, None, None)
    params = {**filters.params(), "after_at": to_utc_naive(at), "after_integration": integration,
              "after_session": session, "limit": limit}  # fmt: skip
    return records(cur, "read_sessions", params)


def session_url(integration_id: str, session_id: str) -> str:
    return f"/v1/sessions/{quoted(session_id)}?integration_id={quoted(integration_id)}"


def session_item(row: dict[str, Any]) -> m.SessionItem:
    values = {**row, "stage": row.get("status_stage"), "entity_types": row.get("entity_types") or []}
    return pick(m.SessionItem, values, url=session_url(row["integration_id"], row["session_id"]))


def session_aggregate(cur: duckdb.DuckDBPyConnection, filters: SessionFilters) -> m.SessionAggregate:
    params = filters.params()
    params.pop("session_id")
    (row,) = records(cur, "read_sessions_aggregate", params)
    return m.SessionAggregate(
        sessions=row["sessions"], by_status=dict(sorted((row["by_status"] or {}).items())),
        by_outcome=dict(sorted((row["by_outcome"] or {}).items())), success_rate=row["success_rate"],
        avg_duration_seconds=row["avg_duration_seconds"], p95_duration_seconds=row["p95_duration_seconds"],
    )  # fmt: skip


@dataclass
class _Timeline:
    entries: list[m.TimelineEntry] = field(default_factory=list)

    def add(self, at: datetime | None, kind: str, text: str) -> None:
        if at is not None:
            self.entries.append(m.TimelineEntry(at=at, kind=kind, text=text))  # type: ignore[arg-type]

    def ordered(self) -> list[m.TimelineEntry]:
        return sorted(self.entries, key=lambda e: e.at)  # stable: lifecycle first at equal instants


def _join(*parts: Any) -> str:
    return ", ".join(dict.fromkeys(str(p) for p in parts if p not in (None, "")))


def session_detail(cur: duckdb.DuckDBPyConnection, row: dict[str, Any], *, has_status_history: bool,
                   published_at: datetime | None) -> m.SessionDetail:  # fmt: skip
    key = {"integration_id": row["integration_id"], "session_id": row["session_id"], "limit": MAX_SESSION_EVENTS}
    errors = [pick(m.SessionErrorEvent, r) for r in records(cur, "read_session_errors", key)]
    warnings = [pick(m.SessionWarningEvent, r) for r in records(cur, "read_session_warnings", key)]
    conflicts = [pick(m.SessionConflictEvent, r) for r in records(cur, "read_session_conflicts", key)]
    metrics = [pick(m.SessionMetricsReport, r) for r in records(cur, "read_session_metrics", key)]
    history = ([pick(m.StatusChange, r) for r in records(cur, "read_session_status_history", key)]
               if has_status_history else None)  # fmt: skip
    timeline = _Timeline()
    timeline.add(row["created_at"], "created", _join(row.get("sync_type"), row.get("direction"), row.get("triggered_by")))
    timeline.add(row["started_at"], "started", "started")
    for change in history or ():
        timeline.add(change.occurred_at, "status", _join(change.status, change.stage, change.reason))
    for e in errors:
        timeline.add(e.occurred_at, "error", _join(e.category, e.severity, e.error_code, e.message))
    for w in warnings:
        timeline.add(w.occurred_at, "warning", _join(w.warning_code, w.message))
    for c in conflicts:
        timeline.add(c.occurred_at, "conflict", _join(c.entity_type, c.entity_id, c.field_name, c.strategy,
                                                      "resolved" if c.is_resolved else "unresolved"))  # fmt: skip
    for r in metrics:
        timeline.add(r.occurred_at, "metrics", _join(f"{r.api_calls} API calls" if r.api_calls is not None else None,
                                                     f"p95 {r.api_latency_ms_p95} ms" if r.api_latency_ms_p95 else None))  # fmt: skip
    if row["is_terminal"]:
        timeline.add(row["ended_at"], "ended", _join(row.get("status"), row.get("outcome"), row.get("status_reason")))
    lists = (errors, warnings, conflicts, metrics, history or [])
    return m.SessionDetail(
        session=session_item(row), timeline=timeline.ordered(), status_history=history, errors=errors,
        warnings=warnings, conflicts=conflicts, metrics=metrics,
        truncated=any(len(x) >= MAX_SESSION_EVENTS for x in lists), max_events=MAX_SESSION_EVENTS,
        published_at=published_at,
    )  # fmt: skip


def hour_floor(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def health_window(as_of: datetime) -> tuple[datetime, datetime]:
    """The 24 whole hours up to and including the hour of `as_of`."""
    end = hour_floor(as_of) + timedelta(hours=1)
    return end - timedelta(hours=24), end
