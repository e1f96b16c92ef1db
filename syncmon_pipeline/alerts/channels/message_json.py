"""The ledger stores each notification's Message as JSON; delivery turns it back into a Message.

Storing the message (not the alert ids) means a notification says exactly what it said when it was
queued, even if it is delivered hours later after a channel outage.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

from syncmon_pipeline.alerts.model import Message, MessageAlert

_ALERT_TIMES = ("started_at", "fired_at", "resolved_at")


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    return str(value)  # evidence is meant to be JSON already; anything else is kept readable, not lost


def message_to_json(message: Message) -> str:
    record = asdict(message)
    record["alerts"] = [{**asdict(a), "labels": dict(a.labels), "evidence": dict(a.evidence)} for a in message.alerts]
    return json.dumps(record, default=_default, sort_keys=True, ensure_ascii=False)


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def message_from_json(text: str | dict[str, Any]) -> Message:
    record = json.loads(text) if isinstance(text, str) else text
    alerts = tuple(
        MessageAlert(**{**a, **{k: _time(a.get(k)) for k in _ALERT_TIMES}}) for a in record["alerts"]
    )
    return Message(
        title=record["title"],
        status=record["status"],
        severity=record["severity"],
        transition=record["transition"],
        group_key=record["group_key"],
        alerts=alerts,
        created_at=datetime.fromisoformat(record["created_at"]),
        text=record.get("text", ""),
        links=tuple((label, url) for label, url in record.get("links", ())),
    )
