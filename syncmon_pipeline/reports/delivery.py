"""Deliver a report by e-mail, once per recipient, with a ledger of every attempt.

Three steps, so that only the first and the last need the warehouse: `claim_deliveries` commits each
delivery as `sending` before anything is sent; `send_claims` sends through the one mail path
(`syncmon_pipeline.mail`), retrying with backoff, and touches no database, so a slow or failing mail
server never holds the warehouse; `record_deliveries` records every attempt, marks accepted messages
`delivered` and the rest `failed` with a `report_delivery` pipeline failure, which the alert engine
turns into a firing alert (closed when that report is next delivered). A run killed between the
claim and the record leaves `sending`; the next run marks it `unknown` and does not send it again.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email import policy
from pathlib import Path

import duckdb

from syncmon_pipeline.alerts.pipeline_failures import close_failures, record_failure
from syncmon_pipeline.mail import Mailer
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


@dataclass(frozen=True)
class Claim:
    """A delivery committed as `sending`, to be sent now."""

    report: ReportToSend
    recipient: str
    delivery_id: str
    attempts_before: int
    sent_at: datetime  # the message's Date header, so the message sent is the one whose size was claimed


@dataclass(frozen=True)
class Attempt:
    delivery_id: str
    attempt: int
    started_at: datetime
    finished_at: datetime
    outcome: str  # delivered, retry, failed
    error: str | None


def _message(claim: Claim, mailer: Mailer):
    return build_report_email(
        claim.report.folder, claim.report.attachments, mail_from=mailer.mail_from, recipient=claim.recipient,
        message_id=message_id_for(claim.delivery_id), sent_at=claim.sent_at, report_key=claim.report.key,
    )  # fmt: skip


def claim_deliveries(
    con: duckdb.DuckDBPyConnection, report: ReportToSend, *, recipients: Sequence[str], mailer: Mailer, now: datetime
) -> tuple[list[Claim], list[DeliveryOutcome]]:
    """Claim the report's deliveries in one short transaction: (to send, settled without sending)."""
    ensure_tables(con)
    claims: list[Claim] = []
    settled: list[DeliveryOutcome] = []
    con.begin()
    try:
        for recipient in recipients:
            delivery_id = delivery_id_for(report, recipient)
            existing = _existing(con, delivery_id)
            if existing and existing[0] == "delivered":
                settled.append(DeliveryOutcome(delivery_id, recipient, "already_delivered", existing[1]))
                continue
            if existing and existing[0] in ("sending", "unknown"):  # a run died mid-send: it may have arrived
                con.execute("UPDATE reports.deliveries SET status = 'unknown' WHERE delivery_id = ?", [delivery_id])
                settled.append(DeliveryOutcome(delivery_id, recipient, "unknown", existing[1]))
                continue
            claim = Claim(report, recipient, delivery_id, existing[1] if existing else 0, now)
            run_sql_file(con, _PACKAGE, "sql/delivery_claim.sql", {
                "delivery_id": delivery_id, "report_type": report.report_type, "period_label": report.period_label,
                "recipient": recipient, "transport": mailer.transport, "now": to_utc_naive(now),
                "message_id": message_id_for(delivery_id), "attachments": [p.name for p in report.attachments],
                "message_bytes": len(_message(claim, mailer).as_bytes(policy=policy.SMTP)),
            })  # fmt: skip
            claims.append(claim)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return claims, settled


def send_claims(
    claims: Sequence[Claim],
    *,
    mailer: Mailer,
    settings: ReportSettings,
    clock: Callable[[], datetime],
    sleep: Callable[[float], None] = time.sleep,
) -> list[Attempt]:
    """Send each claimed delivery, retrying with backoff; opens no database. Returns every attempt."""
    attempts: list[Attempt] = []
    attempts_per_delivery = settings.delivery_attempts
    for claim in claims:
        message = _message(claim, mailer)
        attempt = claim.attempts_before
        outcome = "retry"
        for round_ in range(attempts_per_delivery):
            if round_:
                sleep(settings.delivery_backoff_seconds * 2 ** (round_ - 1))
            attempt += 1
            started = clock()
            outcome, error = mailer.send(message, claim.recipient, file_stem=f"report-{claim.delivery_id}",
                                         timeout=SMTP_TIMEOUT_SECONDS)  # fmt: skip
            if mailer.config_error:  # bad settings do not mend within a run; a later run tries again
                outcome = "failed"
            attempts.append(Attempt(claim.delivery_id, attempt, started, clock(), outcome, error))
            if outcome in ("delivered", "failed"):
                break
        if outcome != "delivered":
            attempts_per_delivery = 1  # the server is failing: the other deliveries get one try, not the waits
    return attempts


def record_deliveries(
    con: duckdb.DuckDBPyConnection,
    report: ReportToSend,
    *,
    claims: Sequence[Claim],
    settled: Sequence[DeliveryOutcome],
    attempts: Sequence[Attempt],
    now: datetime,
) -> list[DeliveryOutcome]:
    """Record the attempts of the report's claims in one short transaction; the outcome of every delivery."""
    ensure_tables(con)
    outcomes = list(settled)
    con.begin()
    try:
        for claim in claims:
            mine = [a for a in attempts if a.delivery_id == claim.delivery_id]
            for a in mine:
                run_sql_file(con, _PACKAGE, "sql/delivery_attempt.sql", {
                    "delivery_id": a.delivery_id, "attempt": a.attempt, "started_at": to_utc_naive(a.started_at),
                    "finished_at": to_utc_naive(a.finished_at), "outcome": a.outcome, "error": a.error,
                })  # fmt: skip
            last = mine[-1] if mine else None
            if last and last.outcome == "delivered":
                outcomes.append(DeliveryOutcome(claim.delivery_id, claim.recipient, "delivered", last.attempt))
                continue
            error = last.error if last else "not sent"
            attempt = last.attempt if last else claim.attempts_before
            con.execute("UPDATE reports.deliveries SET status = 'failed' WHERE delivery_id = ?", [claim.delivery_id])
            record_failure(
                con, run_id=f"{claim.delivery_id}-{attempt}", job_name=report.failure_job, failed_at=now,
                message=f"{report.report_type} report {report.period_label} not delivered to {claim.recipient} after"
                f" {attempt} attempt(s): {error}",
            )
            outcomes.append(DeliveryOutcome(claim.delivery_id, claim.recipient, "failed", attempt, error))
        if outcomes and all(o.status in ("delivered", "already_delivered") for o in outcomes):
            close_failures(con, job_name=report.failure_job, succeeded_at=now)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return outcomes


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
    """E-mail the report to each recipient (SMTP from SYNCMON_SMTP_*, else the outbox folder): the three
    steps in one call, for callers that need no warehouse slot between them."""
    mailer = Mailer.from_env(environ, outbox=outbox)
    claims, settled = claim_deliveries(con, report, recipients=recipients, mailer=mailer, now=clock())
    attempts = send_claims(claims, mailer=mailer, settings=settings, clock=clock, sleep=sleep)
    return record_deliveries(con, report, claims=claims, settled=settled, attempts=attempts, now=clock())
