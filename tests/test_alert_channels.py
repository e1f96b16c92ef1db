"""Channel formatters: golden files for every rendering, escaping of hostile text, redaction, the outbox .eml.

The golden files live in tests/golden/alerts/. After an intended change of a rendering, regenerate
them and review the diff:

    SYNCMON_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_alert_channels.py -q
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from syncmon_pipeline.alerts.channels import (
    escape_slack,
    escape_teams,
    format_email,
    format_generic,
    format_slack,
    format_teams,
    message_from_json,
    message_to_json,
)
from syncmon_pipeline.alerts.model import Message, MessageAlert, Notification, fingerprint_of, notification_id_for
from syncmon_pipeline.alerts.outbox import eml_path, write_eml
from syncmon_pipeline.alerts.smtp import SmtpConfigError, SmtpSettings, build_email_message, message_id_for
from syncmon_pipeline.alerts.transports import backoff_seconds
from syncmon_pipeline.alerts.settings import DeliverySettings
from syncmon_pipeline.alerts.webhook import parse_retry_after, redacted_url

GOLDEN = Path(__file__).parent / "golden" / "alerts"
UPDATE = os.environ.get("SYNCMON_UPDATE_GOLDEN") == "1"
T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
SECRETS = ("hunter2", "abc123", "ops@school.example", "pw-in-url")


def hostile_message() -> Message:
    """Everything an attacker or an unlucky log line could put into alert text."""
    failing = MessageAlert(
        alert_id="a1b2c3d4e5f6a7b8c9d0e1f2",
        alert_type="sync_failure",
        severity="critical",
        status="firing",
        integration_id="powerschool-district-12",
        provider="powerschool",
        summary="3 of 4 sessions failed: <script>alert('x')</script> & <!channel> <@U123> *bold* _it_ "
        "[click](http://evil.example) password=hunter2",
        started_at=T0 - timedelta(minutes=20),
        fired_at=T0 - timedelta(minutes=15),
        resolved_at=None,
        value=3.0,
        threshold=2.0,
        labels={"stage": "load <b>"},
        evidence={
            "session_ids": ["s-1", "s-2", "s-3"],
            "figures": {"failed": 3, "finished": 4},
            "last_error": "auth failed: token=abc123 for ops@school.example at https://u:pw-in-url@api.example/x",
        },
    )
    resolved = MessageAlert(
        alert_id="f1e2d3c4b5a6f7e8d9c0b1a2",
        alert_type="high_error_rate",
        severity="error",
        status="resolved",
        integration_id="powerschool-district-12",
        provider="powerschool",
        summary="error share back to 10% (was 60%)",
        started_at=T0 - timedelta(hours=2),
        fired_at=T0 - timedelta(hours=2),
        resolved_at=T0 - timedelta(minutes=5),
        value=0.1,
        threshold=0.5,
    )
    return Message(
        title="[FIRING:1] sync_failure powerschool-district-12 <script>x</script> & co",
        status="firing",
        severity="critical",
        transition="escalation",
        group_key='{}:{integration_id="powerschool-district-12"}',
        alerts=(failing, resolved),
        created_at=T0,
        text="Escalated: unacknowledged for 15 min.\n- page & <@U999> **now**",
        links=(
            ("Open in Dagster", "http://127.0.0.1:3000/assets/marts/fct_sessions?a=1&b=2"),
            ("evil", "javascript:alert(1)"),
        ),
    )


def check_golden(name: str, rendered: str | bytes) -> None:
    path = GOLDEN / name
    data = rendered.encode("utf-8") if isinstance(rendered, str) else rendered
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return
    assert path.exists(), f"missing golden file {path}; run with SYNCMON_UPDATE_GOLDEN=1 to create it"
    assert data == path.read_bytes(), f"{name} differs from its golden file; if intended, regenerate (see module doc)"


def as_json(payload: object) -> str:
    return json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def all_text(payload: object) -> str:
    return json.dumps(payload, ensure_ascii=False)


def a_notification(message: Message | None = None) -> Notification:
    message = message or hostile_message()
    alert_ids = tuple(a.alert_id for a in message.alerts)
    return Notification(
        notification_id=notification_id_for(alert_ids, "escalation", 1, "email", "operator@syncmon.example"),
        channel="email",
        target="operator@syncmon.example",
        transition="escalation",
        sequence=1,
        fingerprints=tuple(fingerprint_of(a.alert_type, a.integration_id, a.labels) for a in message.alerts),
        alert_ids=alert_ids,
        integration_id="powerschool-district-12",
        message=message,
        created_at=T0,
    )


# --- golden files --------------------------------------------------------------------------------------


def test_email_rendering_matches_golden_files() -> None:
    content = format_email(hostile_message())
    check_golden("email_subject.txt", content.subject + "\n")
    check_golden("email.txt", content.text)
    check_golden("email.html", content.html)


@pytest.mark.parametrize(
    ("name", "render"),
    [
        ("generic.json", lambda m: format_generic(m, receiver="ops", external_url="http://127.0.0.1:3000")),
        ("slack.json", format_slack),
        ("teams.json", format_teams),
    ],
)
def test_webhook_payloads_match_golden_files(name, render) -> None:
    check_golden(name, as_json(render(hostile_message())))


def test_outbox_eml_matches_golden_file(tmp_path: Path) -> None:
    notification = a_notification()
    email = build_email_message(notification, format_email(notification.message), mail_from="syncmon@syncmon.example")
    check_golden("outbox.eml", write_eml(email, tmp_path, notification.notification_id).read_bytes())


# --- escaping and redaction -------------------------------------------------------------------------------


def test_no_secret_reaches_any_channel() -> None:
    message = hostile_message()
    content = format_email(message)
    rendered = [content.subject, content.text, content.html] + [
        all_text(f(message)) for f in (format_generic, format_slack, format_teams)
    ]
    for text in rendered:
        for secret in SECRETS:
            assert secret not in text
        assert "REDACTED" in text or text == content.subject


def test_email_html_escapes_user_text_and_drops_unsafe_links() -> None:
    content = format_email(hostile_message())
    assert "<script>" not in content.html and "<b>" not in content.html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in content.html
    assert "&amp; &lt;!channel&gt;" in content.html
    assert "javascript:" not in content.html
    assert 'href="http://127.0.0.1:3000/assets/marts/fct_sessions?a=1&amp;b=2"' in content.html
    # The plain-text part is text: it shows what was written, unescaped.
    assert "<script>alert('x')</script>" in content.text
    assert "\n" not in content.subject


def test_slack_escapes_control_characters_and_disables_auto_parsing() -> None:
    payload = format_slack(hostile_message())
    text = all_text(payload)
    for raw in ("<!channel>", "<@U123>", "<@U999>", "<script>", "<b>"):
        assert raw not in text
    assert "&lt;!channel&gt;" in text and "&lt;@U123&gt;" in text and "&amp;" in text
    # The only `<...>` left is the link syncmon made itself, with its URL's `&` escaped.
    assert "<http://127.0.0.1:3000/assets/marts/fct_sessions?a=1&amp;b=2|Open in Dagster>" in text
    assert "javascript:" not in text
    objects = [b["text"] for b in payload["blocks"] if isinstance(b.get("text"), dict)]
    objects += [f for b in payload["blocks"] for f in b.get("fields", []) + b.get("elements", [])]
    assert all(o["verbatim"] for o in objects if o["type"] == "mrkdwn")
    assert escape_slack("a & <b> >") == "a &amp; &lt;b&gt; &gt;"


def test_teams_escapes_markdown_and_tags() -> None:
    payload = format_teams(hostile_message())
    card = payload["attachments"][0]["content"]
    assert payload["type"] == "message"
    assert payload["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    text = all_text(card)
    assert "\\\\*bold\\\\*" in text and "\\\\_it\\\\_" in text and "\\\\[click\\\\]" in text
    assert "\\\\<script\\\\>" in text and "\\\\<@U123\\\\>" in text
    assert [a["url"] for a in card["actions"]] == ["http://127.0.0.1:3000/assets/marts/fct_sessions?a=1&b=2"]
    assert escape_teams("- a *b*\n12. c [d](e)\n  + f") == "\\- a \\*b\\*\n12\\. c \\[d\\](e)\n  \\+ f"


def test_generic_payload_is_alertmanager_v4() -> None:
    message = hostile_message()
    payload = format_generic(message, receiver="ops", external_url="http://127.0.0.1:3000")
    assert payload["version"] == "4" and payload["receiver"] == "ops" and payload["status"] == "firing"
    assert payload["groupKey"] == message.group_key
    assert payload["groupLabels"] == {"integration_id": "powerschool-district-12"}
    assert payload["commonLabels"] == {"integration_id": "powerschool-district-12", "provider": "powerschool"}
    firing, resolved = payload["alerts"]
    assert firing["status"] == "firing" and firing["endsAt"] == "0001-01-01T00:00:00Z"
    assert firing["startsAt"] == "2026-11-27T11:45:00Z"
    assert firing["labels"]["alertname"] == "sync_failure" and firing["labels"]["stage"] == "load <b>"
    assert firing["fingerprint"] == fingerprint_of("sync_failure", "powerschool-district-12", {"stage": "load <b>"})
    assert firing["syncmon"]["evidence"]["session_ids"] == ["s-1", "s-2", "s-3"]
    assert "[REDACTED]" in firing["syncmon"]["evidence"]["last_error"]
    assert resolved["status"] == "resolved" and resolved["endsAt"] == "2026-11-27T11:55:00Z"
    assert payload["syncmon"]["transition"] == "escalation"


# --- the outbox .eml --------------------------------------------------------------------------------------


def test_outbox_eml_is_a_real_multipart_message_and_rewrites_idempotently(tmp_path: Path) -> None:
    notification = a_notification()
    email = build_email_message(notification, format_email(notification.message), mail_from="syncmon@syncmon.example")
    path = write_eml(email, tmp_path, notification.notification_id)
    first = path.read_bytes()
    assert path == eml_path(tmp_path, notification.notification_id)
    assert b"\r\n" in first  # RFC 5322 line ends

    parsed = BytesParser(policy=policy.default).parsebytes(first)
    assert parsed.get_content_type() == "multipart/alternative"
    assert parsed["Message-ID"] == message_id_for(notification.notification_id)
    assert parsed["To"] == "operator@syncmon.example" and parsed["From"] == "syncmon@syncmon.example"
    assert parsed["Subject"].strip().startswith("[FIRING:1] sync_failure")  # folding may leave a space
    assert parsed["Auto-Submitted"] == "auto-generated"
    text = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    assert "3 of 4 sessions failed: <script>" in text and "password=[REDACTED]" in text
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert all(secret not in first.decode("utf-8", "replace") for secret in SECRETS)

    write_eml(email, tmp_path, notification.notification_id)  # a replay writes the same file again
    assert path.read_bytes() == first
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no second copy, no temp file left


def test_message_survives_the_ledger_json_round_trip() -> None:
    message = hostile_message()
    assert message_from_json(message_to_json(message)) == message


# --- transport helpers ------------------------------------------------------------------------------------


def test_smtp_settings_from_env_name_the_variable_and_never_the_password() -> None:
    assert SmtpSettings.from_env({}) is None
    assert SmtpSettings.from_env({"SYNCMON_SMTP_HOST": "  "}) is None
    base = {"SYNCMON_SMTP_HOST": "smtp.example.com", "SYNCMON_MAIL_FROM": "Syncmon <syncmon@example.com>"}
    settings = SmtpSettings.from_env(base)
    assert settings is not None and settings.security == "starttls" and settings.port == 587
    assert settings.envelope_from == "syncmon@example.com"
    assert SmtpSettings.from_env({**base, "SYNCMON_SMTP_SECURITY": "SSL"}).port == 465
    assert SmtpSettings.from_env({**base, "SYNCMON_SMTP_SECURITY": "none"}).port == 25
    cases = {
        "SYNCMON_SMTP_SECURITY": {**base, "SYNCMON_SMTP_SECURITY": "tls13"},
        "SYNCMON_SMTP_PORT": {**base, "SYNCMON_SMTP_PORT": "smtp"},
        "SYNCMON_SMTP_PASSWORD": {**base, "SYNCMON_SMTP_USER": "apikey"},
        "SYNCMON_SMTP_USER": {**base, "SYNCMON_SMTP_PASSWORD": "hunter2"},
        "SYNCMON_MAIL_FROM": {"SYNCMON_SMTP_HOST": "smtp.example.com"},
    }
    for variable, environ in cases.items():
        with pytest.raises(SmtpConfigError, match=variable) as caught:
            SmtpSettings.from_env(environ)
        assert "hunter2" not in str(caught.value)
    with pytest.raises(SmtpConfigError, match="SYNCMON_SMTP_PORT"):
        SmtpSettings.from_env({**base, "SYNCMON_SMTP_PORT": "70000"})
    secret = SmtpSettings.from_env({**base, "SYNCMON_SMTP_USER": "apikey", "SYNCMON_SMTP_PASSWORD": "hunter2"})
    assert "hunter2" not in repr(secret)


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert parse_retry_after("120", T0) == 120
    assert parse_retry_after("Fri, 27 Nov 2026 12:05:00 GMT", T0) == 300
    assert parse_retry_after("Fri, 27 Nov 2026 11:00:00 GMT", T0) == 0  # in the past: retry now
    assert parse_retry_after("soon", T0) is None and parse_retry_after(None, T0) is None
    assert parse_retry_after("99999999", T0) == 24 * 3600


def test_backoff_doubles_from_the_initial_delay_up_to_the_cap() -> None:
    delivery = DeliverySettings(backoff_initial_seconds=30, backoff_max_seconds=3600)
    assert [backoff_seconds(a, delivery) for a in (1, 2, 3, 4, 8, 500)] == [30, 60, 120, 240, 3600, 3600]


def test_redacted_url_keeps_scheme_and_host_only() -> None:
    url = "https://user:pw@hooks.slack.com:8443/services/T0/B0/SECRET?token=q#frag"
    assert redacted_url(url) == "https://hooks.slack.com:8443"
    assert redacted_url("http://[::1]/x") == "http://[::1]"
