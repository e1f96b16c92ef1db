"""E-mail: a one-line subject, a plain-text body and an HTML body, both from jinja2 templates.

The HTML template is rendered with autoescape on (the `.html` extension selects it), so any `<`, `&`
or quote in alert text arrives as text, never as markup. The plain-text template is not escaped:
it is plain text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from syncmon_pipeline.alerts.model import Message

from .common import SEVERITY_COLOURS, alert_labels, figure, human_time, one_line, sanitize_message

_EVIDENCE_CHARS = 4000  # an e-mail is read by people; the full evidence stays in the warehouse
SUBJECT_CHARS = 200


@dataclass(frozen=True)
class EmailContent:
    subject: str
    text: str
    html: str


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("syncmon_pipeline.alerts.channels", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False, default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _evidence_text(evidence: Any) -> str:
    if not evidence:
        return ""
    text = json.dumps(evidence, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    return text if len(text) <= _EVIDENCE_CHARS else text[:_EVIDENCE_CHARS] + "\n…"


def _context(message: Message) -> dict[str, Any]:
    alerts = [
        {
            "alert_id": a.alert_id,
            "alert_type": a.alert_type,
            "severity": a.severity,
            "status": a.status,
            "integration_id": a.integration_id,
            "provider": a.provider,
            "summary": a.summary,
            "started_at": human_time(a.started_at),
            "fired_at": human_time(a.fired_at),
            "resolved_at": human_time(a.resolved_at) if a.resolved_at else None,
            "value": figure(a.value),
            "threshold": figure(a.threshold),
            "labels": alert_labels(a),
            "evidence": _evidence_text(a.evidence),
        }
        for a in message.alerts
    ]
    return {
        "title": message.title,
        "status": message.status,
        "severity": message.severity,
        "transition": message.transition,
        "text": message.text,
        "created_at": human_time(message.created_at),
        "colour": SEVERITY_COLOURS[message.severity],
        "alerts": alerts,
        "links": list(message.links),
    }


def format_email(message: Message) -> EmailContent:
    """Render `message` as an e-mail (subject, plain text, HTML); all free text is redacted first."""
    context = _context(sanitize_message(message))
    environment = _environment()
    return EmailContent(
        subject=one_line(context["title"], SUBJECT_CHARS),
        text=environment.get_template("email.txt").render(context),
        html=environment.get_template("email.html").render(context),
    )
