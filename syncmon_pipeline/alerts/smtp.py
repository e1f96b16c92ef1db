"""E-mail on the wire: the RFC 5322 message (shared with the outbox) and sending it through yagmail.

Settings come only from environment variables (secrets never live in syncmon.yaml). yagmail opens
the connection, negotiates TLS and logs in; the message itself is built with `email.message` so the
outbox `.eml` and the mail an SMTP server receives are the same bytes, with a clean text/HTML
`multipart/alternative` (yagmail's own `send` would fold the text part into the HTML part) and a
single `sendmail` (yagmail's `send` retries internally after a disconnect, which could send twice;
the ledger owns retries).
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Literal

import yagmail
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from syncmon_pipeline.alerts.channels import EmailContent
from syncmon_pipeline.alerts.channels.common import one_line
from syncmon_pipeline.alerts.model import Notification

DEFAULT_MAIL_FROM = "syncmon@syncmon.example"
_DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}
_VARIABLES = {
    "host": "SYNCMON_SMTP_HOST", "port": "SYNCMON_SMTP_PORT", "user": "SYNCMON_SMTP_USER",
    "password": "SYNCMON_SMTP_PASSWORD", "security": "SYNCMON_SMTP_SECURITY", "mail_from": "SYNCMON_MAIL_FROM",
}  # fmt: skip


class SmtpConfigError(ValueError):
    """SMTP environment variables that cannot be used; the message names the variable, never a secret."""


class SmtpSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = Field(min_length=1)
    port: int = Field(ge=1, le=65535)
    user: str | None = None
    password: SecretStr | None = None
    security: Literal["none", "starttls", "ssl"] = "starttls"
    mail_from: str = Field(min_length=3)

    @property
    def envelope_from(self) -> str:
        return parseaddr(self.mail_from)[1]

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> SmtpSettings | None:
        """The SMTP settings, or None when SYNCMON_SMTP_HOST is not set (e-mails then go to the outbox)."""
        values = {field: environ.get(variable, "").strip() or None for field, variable in _VARIABLES.items()}
        if values["host"] is None:
            return None
        security = (values["security"] or "starttls").lower()
        if security not in _DEFAULT_PORTS:
            raise SmtpConfigError(f"SYNCMON_SMTP_SECURITY must be one of none, starttls, ssl, got {security!r}")
        if values["user"] and not values["password"]:
            raise SmtpConfigError("SYNCMON_SMTP_PASSWORD is required when SYNCMON_SMTP_USER is set")
        if values["password"] and not values["user"]:
            raise SmtpConfigError("SYNCMON_SMTP_USER is required when SYNCMON_SMTP_PASSWORD is set")
        if values["mail_from"] is None:
            raise SmtpConfigError("SYNCMON_MAIL_FROM is required when SYNCMON_SMTP_HOST is set")
        if "@" not in parseaddr(values["mail_from"])[1]:
            raise SmtpConfigError(f"SYNCMON_MAIL_FROM is not an e-mail address: {values['mail_from']!r}")
        port = values["port"] or str(_DEFAULT_PORTS[security])
        try:
            return cls.model_validate({**values, "security": security, "port": port})
        except ValidationError as exc:
            # Name the variable; pydantic's `msg` never repeats the input, so no password is echoed.
            first = exc.errors()[0]
            raise SmtpConfigError(f"{_VARIABLES[str(first['loc'][0])]}: {first['msg']}") from None


def message_id_for(notification_id: str) -> str:
    """A Message-ID derived from the notification id: receivers and archives can spot a duplicate."""
    return f"<{notification_id}@syncmon>"


def build_email_message(notification: Notification, content: EmailContent, *, mail_from: str) -> EmailMessage:
    """The multipart text + HTML e-mail for `notification`; deterministic bytes for one notification."""
    message = EmailMessage()
    message["Subject"] = one_line(content.subject, 250)
    message["From"] = mail_from
    message["To"] = Address(addr_spec=notification.target) if "@" in notification.target else notification.target
    message["Date"] = format_datetime(notification.created_at)
    message["Message-ID"] = message_id_for(notification.notification_id)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: vacation responders stay quiet
    message["X-Syncmon-Notification-Id"] = notification.notification_id
    message["X-Syncmon-Transition"] = notification.transition
    message["X-Syncmon-Severity"] = notification.message.severity
    message.set_content(content.text)
    message.add_alternative(content.html, subtype="html")
    message.set_boundary(f"==syncmon-{notification.notification_id}==")
    return message


def _client(smtp: SmtpSettings, timeout: float) -> yagmail.SMTP:
    login = smtp.user or smtp.envelope_from
    extra: dict[str, object] = {"timeout": timeout}
    if smtp.security == "ssl":
        extra["context"] = ssl.create_default_context()  # verify the certificate (smtplib's default does not)
    starttls: dict[str, object] | bool = (
        {"context": ssl.create_default_context()} if smtp.security == "starttls" else False
    )
    return yagmail.SMTP(
        user={login: login},  # a dict keeps yagmail from appending "@gmail.com" to a bare login name
        password=smtp.password.get_secret_value() if smtp.password else None,
        host=smtp.host,
        port=smtp.port,
        smtp_ssl=smtp.security == "ssl",
        smtp_starttls=starttls,
        smtp_skip_login=smtp.user is None,
        soft_email_validation=False,
        **extra,
    )


def _server_text(exc: smtplib.SMTPResponseException) -> str:
    raw = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
    return one_line(raw, 160)


def send_smtp(
    message: EmailMessage, recipient: str, smtp: SmtpSettings, *, timeout: float
) -> tuple[Literal["delivered", "retry", "failed"], str | None]:
    """One SMTP transaction. SMTP 5xx is permanent ("failed"), 4xx and network trouble are "retry"."""
    client = _client(smtp, timeout)
    server = f"SMTP server {smtp.host}:{smtp.port}"
    try:
        client.login()
        client.smtp.send_message(message, from_addr=smtp.envelope_from, to_addrs=[recipient])
        return "delivered", None
    except smtplib.SMTPRecipientsRefused as exc:
        codes = sorted({code for code, _ in exc.recipients.values()})
        return ("failed" if max(codes) >= 500 else "retry"), f"{server} refused the recipient (SMTP {codes})"
    except smtplib.SMTPAuthenticationError as exc:
        return "failed", f"{server} refused the login of SYNCMON_SMTP_USER (SMTP {exc.smtp_code})"
    except smtplib.SMTPResponseException as exc:
        outcome = "failed" if exc.smtp_code >= 500 else "retry"
        return outcome, f"{server} answered SMTP {exc.smtp_code}: {_server_text(exc)}"
    except smtplib.SMTPNotSupportedError:
        return "failed", f"{server} does not support what SYNCMON_SMTP_SECURITY asks for"
    except smtplib.SMTPServerDisconnected:
        return "retry", f"{server} closed the connection"
    except smtplib.SMTPException as exc:
        return "retry", f"{server}: {type(exc).__name__}"
    except TimeoutError:
        return "retry", f"{server} did not answer within {timeout:g} s"
    except ssl.SSLError as exc:
        return "retry", f"TLS with {server} failed ({type(exc).__name__})"
    except OSError as exc:
        return "retry", f"cannot reach {server} ({type(exc).__name__})"
    finally:
        try:
            client.close()
        except (OSError, smtplib.SMTPException):
            pass  # the message is already accepted (or not); a failed QUIT changes nothing
