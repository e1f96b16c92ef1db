"""Alert, notification and silence reads over a snapshot cursor (the alerts snapshot, or the analyst one).

Nothing secret leaves here: a notification's target is an e-mail address or a webhook's *name*, its
message body is not returned (only its title), and error texts were redacted when recorded (redacted
again here, as a last line of defence).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from syncmon_pipeline.redaction import redact
from syncmon_pipeline.timestamps import to_utc_naive

from . import read_models as m
from .read_queries import pick, parse_json, quoted, records
from .snapshots import Lease

OPEN_STATUSES = ("pending", "firing", "acknowledged")
ALERT_KEY_KINDS = ("int", "datetime", "str")
SILENCE_KEY_KINDS = ("datetime", "str")


@dataclass(frozen=True)
class AlertFilters:
    statuses: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    alert_types: tuple[str, ...] = ()
    integration_id: str | None = None
    started_after: datetime | None = None
    started_before: datetime | None = None
    by_severity: bool = True

    def params(self) -> dict[str, Any]:
        return {"statuses": list(self.statuses), "severities": list(self.severities),
                "alert_types": list(self.alert_types), "integration_id": self.integration_id,
                "started_after": to_utc_naive(self.started_after), "started_before": to_utc_naive(self.started_before),
                "by_severity": self.by_severity}  # fmt: skip

    def fingerprint_fields(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in self.params().items()}


def alert_key(row: dict[str, Any]) -> tuple[Any, ...]:
    return row["sort_rank"], row["started_at"], row["alert_id"]


def alert_rows(cur: duckdb.DuckDBPyConnection, filters: AlertFilters, *, after: list[Any] | None,
               limit: int) -> list[dict[str, Any]]:  # fmt: skip
    rank, at, alert_id = after or (None, None, None)
    return records(cur, "read_alerts", {**filters.params(), "after_rank": rank, "after_at": to_utc_naive(at),
                                        "after_id": alert_id, "limit": limit})  # fmt: skip


def alert_item(row: dict[str, Any], model: type = m.AlertItem, **extra: Any):
    labels = parse_json(row.get("labels"))
    values = {**row, "labels": labels if isinstance(labels, dict) else {}}
    return pick(model, values, url=f"/v1/alerts/{quoted(row['alert_id'])}", **extra)


def _notifications(lease: Lease, alert_id: str) -> list[m.NotificationItem]:
    if not lease.has("alerts.notifications"):
        return []
    cur = lease.cursor
    attempts: dict[str, list[m.DeliveryAttempt]] = {}
    if lease.has("alerts.delivery_attempts"):
        for r in records(cur, "read_alert_attempts", {"alert_id": alert_id}):
            r["error"] = redact(r["error"])
            attempts.setdefault(r["notification_id"], []).append(pick(m.DeliveryAttempt, r))
    found = []
    for r in records(cur, "read_alert_notifications", {"alert_id": alert_id}):
        r["last_error"] = redact(r["last_error"])
        r["alert_ids"] = r["alert_ids"] or []
        found.append(pick(m.NotificationItem, r, delivery_attempts=attempts.get(r["notification_id"], [])))
    return found


def alert_detail(lease: Lease, alert_id: str) -> m.AlertDetail | None:
    rows = records(lease.cursor, "read_alert", {"alert_id": alert_id})
    if not rows:
        return None
    row = rows[0]
    return alert_item(row, m.AlertDetail, evidence=parse_json(row.get("evidence")),
                      notifications=_notifications(lease, alert_id), published_at=lease.published_at,
                      snapshot=lease.name)  # fmt: skip


def silence_key(row: dict[str, Any]) -> tuple[Any, ...]:
    return row["created_at"], row["silence_id"]


def silences(cur: duckdb.DuckDBPyConnection, *, now: datetime, include_expired: bool, after: list[Any] | None,
             limit: int) -> list[dict[str, Any]]:  # fmt: skip
    at, silence_id = after or (None, None)
    rows = records(cur, "read_silences", {"now": to_utc_naive(now), "include_expired": include_expired,
                                          "after_at": to_utc_naive(at), "after_id": silence_id, "limit": limit})  # fmt: skip
    for r in rows:
        r["matchers"] = parse_json(r["matchers"])
    return rows
