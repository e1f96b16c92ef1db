"""Generic webhook JSON: the Prometheus Alertmanager webhook payload (version 4) plus syncmon's own fields.

Any receiver that understands Alertmanager webhooks (PagerDuty/Opsgenie bridges, custom handlers)
reads it unchanged; the extra `syncmon` objects carry what Alertmanager has no field for (transition,
evidence, measured value). JSON is data, not markup, so text is redacted but not escaped: receivers
escape for whatever they render into.
"""

from __future__ import annotations

from typing import Any

from syncmon_pipeline.alerts.model import Message, MessageAlert

from .common import alert_fingerprint, alert_labels, iso_utc, sanitize_message

# Alertmanager's "not ended yet" value for endsAt.
ZERO_TIME = "0001-01-01T00:00:00Z"


def _common(mappings: list[dict[str, str]]) -> dict[str, str]:
    """The key/value pairs every mapping shares (Alertmanager's commonLabels / commonAnnotations)."""
    if not mappings:
        return {}
    first, rest = mappings[0], mappings[1:]
    return {k: v for k, v in first.items() if all(m.get(k) == v for m in rest)}


def _annotations(alert: MessageAlert) -> dict[str, str]:
    annotations = {"summary": alert.summary}
    if alert.value is not None:
        annotations["value"] = f"{alert.value:g}"
    if alert.threshold is not None:
        annotations["threshold"] = f"{alert.threshold:g}"
    return annotations


def _alert(alert: MessageAlert, external_url: str) -> dict[str, Any]:
    return {
        "status": "resolved" if alert.status == "resolved" else "firing",
        "labels": alert_labels(alert),
        "annotations": _annotations(alert),
        "startsAt": iso_utc(alert.fired_at or alert.started_at),
        "endsAt": iso_utc(alert.resolved_at) or ZERO_TIME,
        "generatorURL": external_url,
        "fingerprint": alert_fingerprint(alert),
        "syncmon": {
            "alertId": alert.alert_id,
            "state": alert.status,
            "startedAt": iso_utc(alert.started_at),
            "firedAt": iso_utc(alert.fired_at),
            "resolvedAt": iso_utc(alert.resolved_at),
            "value": alert.value,
            "threshold": alert.threshold,
            "evidence": dict(alert.evidence),
        },
    }


def format_generic(message: Message, *, receiver: str = "syncmon", external_url: str = "") -> dict[str, Any]:
    """The Alertmanager v4 webhook payload for `message` (a JSON-ready dict)."""
    message = sanitize_message(message)
    alerts = [_alert(a, external_url) for a in message.alerts]
    common_labels = _common([a["labels"] for a in alerts])
    # syncmon groups by integration by default; the group labels are those of the grouping that apply.
    group_labels = {k: common_labels[k] for k in ("integration_id",) if k in common_labels}
    return {
        "version": "4",
        "groupKey": message.group_key,
        "truncatedAlerts": 0,
        "status": message.status,
        "receiver": receiver,
        "groupLabels": group_labels,
        "commonLabels": common_labels,
        "commonAnnotations": _common([a["annotations"] for a in alerts]),
        "externalURL": external_url,
        "alerts": alerts,
        "syncmon": {
            "title": message.title,
            "transition": message.transition,
            "severity": message.severity,
            "createdAt": iso_utc(message.created_at),
            "text": message.text,
            "links": [{"label": label, "url": url} for label, url in message.links],
        },
    }
