"""One attempt to deliver one notification: pick the transport, format, send, classify the outcome.

Transports never raise for a channel problem; they return a `SendResult` the ledger records:
`delivered`, `retry` (the channel may recover: connection refused, timeout, 5xx, 429, SMTP 4xx, a
missing environment variable) or `failed` (retrying cannot help: HTTP 4xx, SMTP 5xx, a refused
host, an unknown webhook). Errors name the webhook or variable, never a secret.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from syncmon_pipeline.alerts.channels import format_email, format_generic, format_slack, format_teams
from syncmon_pipeline.alerts.model import Message, Notification
from syncmon_pipeline.alerts.settings import AlertingSettings, DeliverySettings

from syncmon_pipeline.mail import Mailer, transport_name

from .smtp import build_email_message
from .webhook import post_webhook

Outcome = Literal["delivered", "retry", "failed"]


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    error: str | None = None
    http_status: int | None = None
    retry_after_seconds: float | None = None  # what the receiver asked for (429/503 Retry-After)


def backoff_seconds(attempt: int, delivery: DeliverySettings) -> float:
    """Delay after failed attempt number `attempt` (1-based): initial × 2^(attempt-1), capped."""
    exponent = min(attempt - 1, 62)  # 2**62 s is already far beyond any cap; avoids float overflow
    return min(delivery.backoff_initial_seconds * 2.0**exponent, delivery.backoff_max_seconds)


def transport_key(channel: str, target: str, environ: Mapping[str, str]) -> str:
    """What fails together: all e-mail goes through one SMTP server (or the outbox); each webhook on its own."""
    if channel == "email":
        return f"email:{transport_name(environ)}"
    return f"{channel}:{target}"


def webhook_body(message: Message, fmt: str, *, receiver: str, external_url: str) -> bytes:
    if fmt == "slack":
        payload = format_slack(message)
    elif fmt == "teams":
        payload = format_teams(message)
    else:
        payload = format_generic(message, receiver=receiver, external_url=external_url)
    return json.dumps(payload, ensure_ascii=False, sort_keys=False).encode("utf-8")


def _send_email(
    notification: Notification, *, settings: AlertingSettings, outbox: Path, environ: Mapping[str, str]
) -> SendResult:
    # Bad SMTP variables come back as "retry": a redeploy fixes them while the mail stays queued.
    mailer = Mailer.from_env(environ, outbox=outbox)
    email_message = build_email_message(notification, format_email(notification.message), mail_from=mailer.mail_from)
    outcome, error = mailer.send(email_message, notification.target, file_stem=notification.notification_id,
                                 timeout=settings.delivery.smtp_timeout_seconds)  # fmt: skip
    return SendResult(outcome, error)


def send_notification(
    notification: Notification,
    *,
    settings: AlertingSettings,
    outbox: Path,
    environ: Mapping[str, str],
    at: datetime,
) -> SendResult:
    """Send `notification` once; `at` is the attempt time (for Retry-After given as an HTTP date)."""
    if notification.channel == "email":
        return _send_email(notification, settings=settings, outbox=outbox, environ=environ)
    if notification.channel == "webhook":
        hook = settings.webhooks.get(notification.target)
        if hook is None:
            return SendResult("failed", f"no webhook named {notification.target!r} under alerting.webhooks")
        body = webhook_body(
            notification.message, hook.format, receiver=notification.target, external_url=settings.dagster_ui_url
        )
        answer = post_webhook(
            notification.target, hook, body,
            notification_id=notification.notification_id,
            allowed_hosts=settings.delivery.webhook_allowed_hosts,
            environ=environ, at=at,
        )  # fmt: skip
        return SendResult(answer.outcome, answer.error, answer.http_status, answer.retry_after_seconds)
    return SendResult("failed", f"unknown channel {notification.channel!r}")
