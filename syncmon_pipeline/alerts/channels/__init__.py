"""Channels: one pure formatter per channel over the channel-independent `Message`.

Each formatter redacts free text first (`common.sanitize_message`), then escapes for its format:
HTML autoescape for e-mail, Slack's `&`/`<`/`>` rule, Markdown backslash escapes for Teams; the
generic Alertmanager-style JSON is data and needs no escaping. Sending lives elsewhere
(`alerts.smtp`, `alerts.outbox`, `alerts.webhook`), so formatters can be golden-file tested.
"""

from .email import EmailContent, format_email
from .generic import format_generic
from .message_json import message_from_json, message_to_json
from .slack import escape_slack, format_slack
from .teams import escape_teams, format_teams

__all__ = [
    "EmailContent",
    "escape_slack",
    "escape_teams",
    "format_email",
    "format_generic",
    "format_slack",
    "format_teams",
    "message_from_json",
    "message_to_json",
]
