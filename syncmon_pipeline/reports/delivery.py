"""Deliver a report by e-mail, once per recipient, with a ledger of every attempt.

A delivery is claimed (committed as `sending`) before the first send, each attempt is recorded, and
only an accepted message is marked `delivered`. Attempts are retried with backoff within the run; if
the last one fails, the delivery is `failed` and a `report_delivery` pipeline failure is recorded,
which the alert engine turns into a firing alert (closed when that report is next delivered).
A run killed mid-send leaves `sending`; the next run marks it `unknown` and does not send it again.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email import policy
from pathlib import Path

import duckdb

from syncmon_pipeline.alerts.outbox import write_eml
from syncmon_pipeline.alerts.pipeline_failures import close_failures, record_failure
from syncmon_pipeline.alerts.smtp import DEFAULT_MAIL_FROM, SmtpConfigError, SmtpSettings, send_smtp
from syncmon_pipeline.sql_files import run_sql_file
from syncmon_pipeline.timestamps import to_utc_naive

from .email import build_report_email, message_id_for
from .settings import ReportSettings

_PACKAGE = "syncmon_pipeline.reports"
SMTP_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class ReportToSend:
    report_type: str
    period_label: str
    granularity: str
    folder: Path  # written by writer.write_report: report.html, <table>.csv, email.*

    @property
    def key(self) -> str:
        return f"{self.report_type}/{self.period_label}"

    @property
    def attachments(self) -> list[Path]:
        return [self.folder / "report.html", *sorted(self.folder.glob("*.csv"))]

    @property
    def failure_job(self) -> str:
        """The "pipeline" whose failure alerts: pipeline:report_delivery:<type>-<granularity>, one alert per report."""
        return f"report_delivery:{self.report_type}-{self.granularity}"

    @property
    def parts_job(self) -> str:
        """The "pipeline" that alerts when the report had to skip parts: pipeline:report_parts:<type>-<granularity>."""
        return f"report_parts:{self.report_type}-{self.granularity}"


def record_skipped_parts(con: duckdb.DuckDBPyConnection, report: ReportToSend, *, now: datetime) -> list[dict]:
    """A report that skipped sections or integrations raises sync_failure for pipeline:report_parts:…;
    one that skipped nothing resolves it. Returns what was skipped (from report.json)."""
    data = json.loads((report.folder / "report.json").read_text("utf-8"))
    skipped = [r["figures"] for r in data.get("recommendations", []) if r.get("rule") == "skipped"]
    if skipped:
        record_failure(
            con, run_id=f"{report.parts_job}:{report.period_label}", job_name=report.parts_job, failed_at=now,
            message=f"{report.report_type} report {report.period_label} skipped {len(skipped)} part(s): "
            + "; ".join(json.dumps(part, sort_keys=True)[:200] for part in skipped[:3]),
        )
    else:
        close_failures(con, job_name=report.parts_job, succeeded_at=now)
    return skipped


@dataclass(frozen=True)
class DeliveryOutcome:
    delivery_id: str
    recipient: str
    status: str  # delivered, failed, already_delivered, unknown
    attempts: int
    error: str | None = None


def delivery_id_for(report: ReportToSend, recipient: str) -> str:
    key = f"{report.report_type}|{report.period_label}|{recipient.lower()}"
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    run_sql_file(con, _PACKAGE, "sql/deliveries.sql")


def _existing(con: duckdb.DuckDBPyConnection, delivery_id: str) -> tuple[str, int] | None:
    found = con.execute(
        "SELECT status, attempts FROM reports.deliveries WHERE delivery_id = ?", [delivery_id]
    ).fetchall()
    return found[0] if found else None


def deliver_report(
    con: duckdb.DuckDBPyConnection,
    report: ReportToSend,
    *,
    recipients: list[str],
    settings: ReportSettings,
    outbox: Path,
    environ: Mapping[str, str],
    clock: Callable[[], datetime],
    sleep: Callable[[float], None] = time.sleep,
) -> list[DeliveryOutcome]:
    """E-mail the report to each recipient (SMTP from SYNCMON_SMTP_*, else the outbox folder)."""
    ensure_tables(con)
    try:
        smtp = SmtpSettings.from_env(environ)
        config_error = None
    except SmtpConfigError as exc:
        smtp, config_error = None, f"SMTP settings: {exc}"
    mail_from = smtp.mail_from if smtp else (environ.get("SYNCMON_MAIL_FROM", "").strip() or DEFAULT_MAIL_FROM)
    attachments = report.attachments
    outcomes: list[DeliveryOutcome] = []
    attempts_per_delivery = settings.delivery_attempts
    for recipient in recipients:
        delivery_id = delivery_id_for(report, recipient)
        existing = _existing(con, delivery_id)
        if existing and existing[0] in ("delivered", "unknown"):
            outcomes.append(DeliveryOutcome(delivery_id, recipient, "already_" + existing[0] if existing[0] == "delivered"
                                            else "unknown", existing[1]))
            continue
        if existing and existing[0] == "sending":  # a run died mid-send: it may have arrived, so never resend
            con.execute("UPDATE reports.deliveries SET status = 'unknown' WHERE delivery_id = ?", [delivery_id])
            outcomes.append(DeliveryOutcome(delivery_id, recipient, "unknown", existing[1]))
            continue
        message = build_report_email(
            report.folder, attachments, mail_from=mail_from, recipient=recipient,
            message_id=message_id_for(delivery_id), sent_at=clock(), report_key=report.key,
        )
        data_size = len(message.as_bytes(policy=policy.SMTP))
        run_sql_file(con, _PACKAGE, "sql/delivery_claim.sql", {
            "delivery_id": delivery_id, "report_type": report.report_type, "period_label": report.period_label,
            "recipient": recipient, "transport": "smtp" if smtp or config_error else "outbox",
            "now": to_utc_naive(clock()), "message_id": message_id_for(delivery_id),
            "attachments": [p.name for p in attachments], "message_bytes": data_size,
        })
        attempt = existing[1] if existing else 0
        outcome, error = "retry", None
        for round_ in range(attempts_per_delivery):
            if round_:
                sleep(settings.delivery_backoff_seconds * 2 ** (round_ - 1))
            attempt += 1
            started = clock()
            if config_error:  # bad settings do not mend within a run; a later run tries again
                outcome, error = "failed", config_error
            elif smtp is None:
                try:
                    write_eml(message, outbox, f"report-{delivery_id}")
                    outcome, error = "delivered", None
                except OSError as exc:
                    outcome, error = "retry", f"cannot write to the outbox folder ({type(exc).__name__})"
            else:
                outcome, error = send_smtp(message, recipient, smtp, timeout=SMTP_TIMEOUT_SECONDS)
            run_sql_file(con, _PACKAGE, "sql/delivery_attempt.sql", {
                "delivery_id": delivery_id, "attempt": attempt, "started_at": to_utc_naive(started),
                "finished_at": to_utc_naive(clock()), "outcome": outcome, "error": error,
            })
            if outcome in ("delivered", "failed"):
                break
        if outcome == "delivered":
            outcomes.append(DeliveryOutcome(delivery_id, recipient, "delivered", attempt))
            continue
        con.execute("UPDATE reports.deliveries SET status = 'failed' WHERE delivery_id = ?", [delivery_id])
        record_failure(
            con, run_id=f"{delivery_id}-{attempt}", job_name=report.failure_job, failed_at=clock(),
            message=f"{report.report_type} report {report.period_label} not delivered to {recipient} after"
            f" {attempt} attempt(s): {error}",
        )
        outcomes.append(DeliveryOutcome(delivery_id, recipient, "failed", attempt, error))
        attempts_per_delivery = 1  # the server is failing: the other recipients get one try, not the waits
    if outcomes and all(o.status in ("delivered", "already_delivered") for o in outcomes):
        close_failures(con, job_name=report.failure_job, succeeded_at=clock())
    return outcomes
