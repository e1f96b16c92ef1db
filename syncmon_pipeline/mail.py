"""The one mail path of alerts and reports: which transport, which sender, one classified attempt.

SMTP when SYNCMON_SMTP_HOST is set (settings only from the environment), else an `.eml` file in the
outbox folder. An attempt never raises for a mail problem; it returns `delivered`, `retry` (the
server or the disk may recover, or a redeploy fixes the settings) or `failed` (retrying cannot
help). Callers own their ledgers and decide when to try again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Literal

from syncmon_pipeline.alerts.outbox import write_eml
from syncmon_pipeline.alerts.smtp import DEFAULT_MAIL_FROM, SmtpConfigError, SmtpSettings, send_smtp

Outcome = Literal["delivered", "retry", "failed"]


def transport_name(environ: Mapping[str, str]) -> Literal["smtp", "outbox"]:
    """What e-mail goes through; all e-mail fails together, whatever sends it."""
    return "smtp" if environ.get("SYNCMON_SMTP_HOST", "").strip() else "outbox"


@dataclass(frozen=True)
class Mailer:
    outbox: Path
    smtp: SmtpSettings | None = None
    config_error: str | None = None  # SMTP variables that cannot be used; names the variable, never a secret
    fallback_from: str = DEFAULT_MAIL_FROM

    @classmethod
    def from_env(cls, environ: Mapping[str, str], *, outbox: Path) -> Mailer:
        fallback = environ.get("SYNCMON_MAIL_FROM", "").strip() or DEFAULT_MAIL_FROM
        try:
            return cls(outbox, SmtpSettings.from_env(environ), None, fallback)
        except SmtpConfigError as exc:
            return cls(outbox, None, f"SMTP settings: {exc}", fallback)

    @property
    def transport(self) -> Literal["smtp", "outbox"]:
        return "smtp" if self.smtp or self.config_error else "outbox"

    @property
    def mail_from(self) -> str:
        return self.smtp.mail_from if self.smtp else self.fallback_from

    def send(self, message: EmailMessage, recipient: str, *, file_stem: str, timeout: float) -> tuple[Outcome, str | None]:
        """One attempt to deliver `message` to `recipient`; `file_stem` names its outbox file."""
        if self.config_error:
            return "retry", self.config_error
        if self.smtp is None:
            try:
                write_eml(message, self.outbox, file_stem)
            except OSError as exc:  # a full or read-only disk is transient from a ledger's point of view
                return "retry", f"cannot write to the outbox folder ({type(exc).__name__})"
            return "delivered", None
        return send_smtp(message, recipient, self.smtp, timeout=timeout)
