"""What every formatter needs: the message with its free text redacted, alert labels and figures as text.

Redaction happens here, once, before any channel-specific escaping: a secret that slipped past
ingest (the engine writes summaries and evidence from warehouse data and operator input) must not
reach an inbox or a chat room. Escaping stays with each formatter because every format has its own rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from syncmon_pipeline.alerts.model import Message, MessageAlert, fingerprint_of
from syncmon_pipeline.redaction import redact

SEVERITY_COLOURS: Mapping[str, str] = {
    "info": "#2b6cb0",
    "warning": "#b7791f",
    "error": "#c53030",
    "critical": "#822727",
}


def _clean(text: str) -> str:
    return redact(text) or ""


def redact_value(value: Any) -> Any:
    """Redact every string inside a JSON-like value (evidence rows carry free text from the warehouse)."""
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, Mapping):
        return {str(k): redact_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_value(v) for v in value]
    return value


def _http_link(url: str) -> bool:
    return urlsplit(url.strip()).scheme.lower() in ("http", "https")


def sanitize_message(message: Message) -> Message:
    """The message with every free-text field redacted and only http(s) links kept.

    A `javascript:` or `data:` link would survive HTML escaping, so it is dropped rather than escaped.
    """
    alerts = tuple(
        replace(
            alert,
            summary=_clean(alert.summary),
            labels={k: _clean(v) for k, v in alert.labels.items()},
            evidence=redact_value(dict(alert.evidence)),
        )
        for alert in message.alerts
    )
    links = tuple((_clean(label), _clean(url)) for label, url in message.links if _http_link(url))
    return replace(message, title=_clean(message.title), text=_clean(message.text), alerts=alerts, links=links)


def alert_labels(alert: MessageAlert) -> dict[str, str]:
    """Alertmanager-style labels: alertname, severity, integration and provider, then the alert's own labels."""
    return {
        "alertname": alert.alert_type,
        "severity": alert.severity,
        "integration_id": alert.integration_id,
        "provider": alert.provider,
        **{str(k): str(v) for k, v in sorted(alert.labels.items())},
    }


def alert_fingerprint(alert: MessageAlert) -> str:
    # Built-in rules are named after their alert type (the config only accepts catalog rules), so the
    # engine's fingerprint can be recomputed from what the message carries.
    return fingerprint_of(alert.alert_type, alert.integration_id, alert.labels)


def iso_utc(moment: datetime | None) -> str | None:
    """RFC 3339 in UTC with a Z, the form Alertmanager receivers expect."""
    if moment is None:
        return None
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")


def human_time(moment: datetime | None) -> str:
    return "—" if moment is None else (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(
        UTC
    ).strftime("%Y-%m-%d %H:%M:%S UTC")


def figure(value: float | None) -> str:
    """A measured value or threshold as people read it: no trailing zeros, no float noise."""
    if value is None:
        return "—"
    return f"{value:.4g}" if abs(value) < 1e6 else f"{value:,.0f}"


def one_line(text: str, limit: int) -> str:
    """Collapse whitespace (headers and chat titles are one line) and cut at `limit` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
