"""Slack incoming-webhook payload: a fallback `text` plus Block Kit blocks.

Slack's escaping rule: `&`, `<` and `>` in text become `&amp;`, `&lt;`, `&gt;` — that is what stops
`<!channel>`, `<@U123>` or `<https://evil|click>` in alert text from pinging a room or hiding a link.
Every mrkdwn object also sets `verbatim: true`, so Slack does not auto-link bare URLs, channel names
or @mentions inside alert text. Slack has no escape for `*`/`_`/`~`: those may still style text, which
is cosmetic, never a ping or a link.
"""

from __future__ import annotations

from typing import Any

from syncmon_pipeline.alerts.model import Message, MessageAlert

from .common import figure, human_time, one_line, sanitize_message

# Block Kit limits: 50 blocks per message, 150 characters in a header, 3000 in a section text.
MAX_ALERTS = 20
_HEADER_CHARS = 150
_SECTION_CHARS = 3000
_FIELD_CHARS = 2000
_SEVERITY_EMOJI = {"info": ":information_source:", "warning": ":warning:", "error": ":red_circle:",
                   "critical": ":rotating_light:"}  # fmt: skip


def escape_slack(text: str) -> str:
    """Escape the three characters Slack treats as control characters (`&` first)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _mrkdwn(text: str, limit: int = _SECTION_CHARS) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": _cut(text, limit), "verbatim": True}


def _alert_blocks(alert: MessageAlert) -> list[dict[str, Any]]:
    heading = (
        f"{_SEVERITY_EMOJI[alert.severity]} *{escape_slack(alert.alert_type)}* · "
        f"`{escape_slack(alert.integration_id)}` ({escape_slack(alert.provider)})"
    )
    fields = [
        _mrkdwn(f"*Severity*\n{alert.severity}", _FIELD_CHARS),
        _mrkdwn(f"*State*\n{alert.status}", _FIELD_CHARS),
        _mrkdwn(f"*Value*\n{figure(alert.value)} (threshold {figure(alert.threshold)})", _FIELD_CHARS),
        _mrkdwn(f"*Fired*\n{human_time(alert.fired_at or alert.started_at)}", _FIELD_CHARS),
    ]
    if alert.resolved_at:
        fields.append(_mrkdwn(f"*Resolved*\n{human_time(alert.resolved_at)}", _FIELD_CHARS))
    return [
        {"type": "section", "text": _mrkdwn(f"{heading}\n{escape_slack(alert.summary)}"), "fields": fields},
        {"type": "context", "elements": [_mrkdwn(f"alert id `{escape_slack(alert.alert_id)}`")]},
    ]


def format_slack(message: Message) -> dict[str, Any]:
    """The JSON body for a Slack incoming webhook (a JSON-ready dict); text is redacted, then escaped."""
    message = sanitize_message(message)
    title = escape_slack(one_line(message.title, _HEADER_CHARS))
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(title, _HEADER_CHARS)}},
        {"type": "section", "text": _mrkdwn(
            f"*Status:* {message.status} ({message.transition}) · *Severity:* {message.severity}"
            f" · {human_time(message.created_at)}"
        )},
    ]  # fmt: skip
    if message.text:
        blocks.append({"type": "section", "text": _mrkdwn(escape_slack(message.text))})
    for alert in message.alerts[:MAX_ALERTS]:
        blocks.append({"type": "divider"})
        blocks.extend(_alert_blocks(alert))
    if len(message.alerts) > MAX_ALERTS:
        more = len(message.alerts) - MAX_ALERTS
        blocks.append({"type": "context", "elements": [_mrkdwn(f"…and {more} more alert(s)")]})
    if message.links:
        links = " · ".join(
            f"<{escape_slack(url.replace('|', '%7C'))}|{escape_slack(one_line(label, 80))}>" for label, url in message.links
        )
        blocks.append({"type": "context", "elements": [_mrkdwn(links)]})
    return {"text": title, "blocks": blocks}
