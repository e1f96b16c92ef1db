"""Webhook delivery: one JSON POST with requests, and the rules that keep it safe.

Only http(s) URLs, optionally only to allow-listed hosts; connect and read timeouts; redirects are
never followed (a redirect could take the payload, and any auth header, somewhere the config never
named); environment proxies and ~/.netrc are ignored (`trust_env = False`), so what is sent and where
depends on syncmon.yaml and the variables it names only. Secret header values come from environment
variables. An error names the webhook and its scheme://host only: Slack and Teams put the credential
in the URL path or query, so neither is ever written to the ledger or a log.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal, NamedTuple
from urllib.parse import urlsplit

import logging

import requests

from syncmon_pipeline.alerts.settings import WebhookSettings

_MAX_RETRY_AFTER_SECONDS = 24 * 3600  # a broken receiver must not park a notification for years


def _no_request_lines(record: logging.LogRecord) -> bool:
    """urllib3 logs every request line, path and query included, at DEBUG: drop those, keep warnings."""
    return record.levelno > logging.DEBUG


# Installed once on import: with debug logging switched on, webhook credentials would otherwise be logged.
logging.getLogger("urllib3.connectionpool").addFilter(_no_request_lines)


class WebhookAnswer(NamedTuple):
    outcome: Literal["delivered", "retry", "failed"]
    error: str | None
    http_status: int | None = None
    retry_after_seconds: float | None = None


def redacted_url(url: str) -> str:
    """scheme://host[:port] — no userinfo, path or query (where webhook credentials live)."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{host}{port}"


def parse_retry_after(value: str | None, at: datetime) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date (RFC 9110); None if absent/bad."""
    if not value or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        seconds = float(text)
    else:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        seconds = (when - at).total_seconds()
    return min(max(seconds, 0.0), _MAX_RETRY_AFTER_SECONDS)


def _headers(
    hook: WebhookSettings, notification_id: str, environ: Mapping[str, str], where: str
) -> dict[str, str] | WebhookAnswer:
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "syncmon-alerts",
        "Idempotency-Key": notification_id,  # lets a receiver drop a retry of a request it already handled
    }
    for header, variable in hook.headers_from_env.items():
        value = environ.get(variable)
        if not value:
            # Fixed by setting the variable and restarting: keep the notification queued meanwhile.
            return WebhookAnswer("retry", f"{where}: environment variable {variable} for header {header} is not set")
        if "\r" in value or "\n" in value:
            return WebhookAnswer("failed", f"{where}: environment variable {variable} holds a line break")
        headers[header] = value
    return headers


def post_webhook(
    name: str,
    hook: WebhookSettings,
    body: bytes,
    *,
    notification_id: str,
    allowed_hosts: Sequence[str],
    environ: Mapping[str, str],
    at: datetime,
) -> WebhookAnswer:
    """POST `body` to the webhook once and classify the answer; never raises for network trouble."""
    where = f"webhook {name!r} ({redacted_url(hook.url)})"
    parts = urlsplit(hook.url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        return WebhookAnswer("failed", f"{where}: only http(s) URLs with a host are allowed; not sent")
    allowed = {h.strip().lower().rstrip(".") for h in allowed_hosts}
    if allowed and host.rstrip(".") not in allowed:
        return WebhookAnswer("failed", f"{where}: host {host} is not in delivery.webhook_allowed_hosts; not sent")
    headers = _headers(hook, notification_id, environ, where)
    if isinstance(headers, WebhookAnswer):
        return headers
    timeout = hook.timeout_seconds
    try:
        with requests.Session() as session:
            session.trust_env = False
            response = session.post(
                hook.url, data=body, headers=headers, timeout=(timeout, timeout), allow_redirects=False, stream=True
            )
            response.close()  # the answer's body is never read or stored: only its status matters
    # Exception messages from requests quote the URL (path and query) or header values: never store them.
    except requests.exceptions.ConnectTimeout:
        return WebhookAnswer("retry", f"{where}: no connection within {timeout:g} s")
    except requests.exceptions.ReadTimeout:
        return WebhookAnswer("retry", f"{where}: no answer within {timeout:g} s")
    except requests.exceptions.SSLError:
        return WebhookAnswer("retry", f"{where}: TLS handshake failed")
    except requests.exceptions.ConnectionError as exc:
        return WebhookAnswer("retry", f"{where}: connection failed ({type(exc).__name__})")
    except (requests.exceptions.InvalidURL, requests.exceptions.InvalidHeader, ValueError) as exc:
        return WebhookAnswer("failed", f"{where}: request rejected before sending ({type(exc).__name__})")
    except requests.exceptions.RequestException as exc:
        return WebhookAnswer("retry", f"{where}: {type(exc).__name__}")
    status = response.status_code
    if 200 <= status < 300:
        return WebhookAnswer("delivered", None, status)
    if status == 429 or status >= 500:
        retry_after = parse_retry_after(response.headers.get("Retry-After"), at)
        return WebhookAnswer("retry", f"{where}: answered HTTP {status}", status, retry_after)
    if 300 <= status < 400:
        return WebhookAnswer("failed", f"{where}: answered HTTP {status}; redirects are not followed", status)
    return WebhookAnswer("failed", f"{where}: answered HTTP {status}", status)
