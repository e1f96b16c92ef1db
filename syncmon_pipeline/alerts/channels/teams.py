"""Microsoft Teams: an Adaptive Card (schema 1.4) inside a message attachment, as Teams webhooks expect.

Teams renders a Markdown subset in TextBlock and FactSet text (bold, italic, lists, links) and no
HTML. Alert text is escaped with CommonMark backslash escapes so `**`, `_`, `[label](url)` or a line
starting with `- ` show as typed instead of styling text or forging a link; `<` and `>` are escaped
too, so nothing that looks like a tag (`<at>` mentions) reaches the renderer.
"""

from __future__ import annotations

import re
from typing import Any

from syncmon_pipeline.alerts.model import Message, MessageAlert

from .common import figure, human_time, one_line, sanitize_message

MAX_ALERTS = 20
_INLINE = re.compile(r"([\\`*_~\[\]<>#|{}])")
_BULLET = re.compile(r"^(\s*)([-+])(?=\s)", re.MULTILINE)
_NUMBERED = re.compile(r"^(\s*\d+)\.(?=\s)", re.MULTILINE)
_COLOURS = {"info": "Accent", "warning": "Warning", "error": "Attention", "critical": "Attention"}


def escape_teams(text: str) -> str:
    """Backslash-escape Markdown that Teams would interpret (inline marks, and list markers at line starts)."""
    escaped = _INLINE.sub(r"\\\1", text)
    escaped = _BULLET.sub(r"\1\\\2", escaped)  # "- x" -> "\- x"
    return _NUMBERED.sub(r"\1\\.", escaped)  # "1. x" -> "1\. x" (only punctuation can be escaped)


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _alert_items(alert: MessageAlert) -> list[dict[str, Any]]:
    facts = [
        ("Severity", alert.severity),
        ("State", alert.status),
        ("Value", f"{figure(alert.value)} (threshold {figure(alert.threshold)})"),
        ("Fired", human_time(alert.fired_at or alert.started_at)),
    ]
    if alert.resolved_at:
        facts.append(("Resolved", human_time(alert.resolved_at)))
    facts.append(("Alert id", escape_teams(alert.alert_id)))
    return [
        _text(
            f"**{escape_teams(alert.alert_type)}** · {escape_teams(alert.integration_id)}"
            f" ({escape_teams(alert.provider)})",
            separator=True, spacing="Medium", color=_COLOURS[alert.severity],
        ),
        _text(escape_teams(alert.summary)),
        {"type": "FactSet", "facts": [{"title": title, "value": value} for title, value in facts]},
    ]


def format_teams(message: Message) -> dict[str, Any]:
    """The JSON body for a Teams incoming webhook / workflow (a JSON-ready dict); text redacted, then escaped."""
    message = sanitize_message(message)
    body: list[dict[str, Any]] = [
        _text(escape_teams(one_line(message.title, 200)), size="Large", weight="Bolder",
              color=_COLOURS[message.severity]),
        _text(f"Status **{message.status}** ({message.transition}) · severity **{message.severity}**"
              f" · {human_time(message.created_at)}", isSubtle=True, spacing="None"),
    ]  # fmt: skip
    if message.text:
        body.append(_text(escape_teams(message.text)))
    for alert in message.alerts[:MAX_ALERTS]:
        body.extend(_alert_items(alert))
    if len(message.alerts) > MAX_ALERTS:
        body.append(_text(f"…and {len(message.alerts) - MAX_ALERTS} more alert(s)", isSubtle=True))
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "msteams": {"width": "Full"},
    }
    if message.links:
        card["actions"] = [
            {"type": "Action.OpenUrl", "title": one_line(label, 80), "url": url} for label, url in message.links
        ]
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }
