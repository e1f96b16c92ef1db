"""E-mailing reports with real parts on loopback: a generated report, an SMTP server (aiosmtpd), a DuckDB file.

Checks what the delivery ledger promises: each recipient gets the report exactly once (text + JS-free
HTML body, inline chart images, report.html and every CSV attached), temporary refusals are retried with
backoff and end as a firing `report_delivery` alert that resolves once the report goes out, permanent
refusals are not retried, no SMTP host means the outbox folder, and a run killed mid-send is never re-sent.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import duckdb
import pytest
from aiosmtpd.controller import Controller
from markupsafe import escape
from report_support import generate, synthetic_home

from syncmon_pipeline.alerts.service import evaluate_alerts
from syncmon_pipeline.alerts.settings import AlertingSettings
from syncmon_pipeline.alerts.store import list_alerts
from syncmon_pipeline.alerts.transports import send_notification
from syncmon_pipeline.config import DataPaths
from syncmon_pipeline.mail import Mailer
from syncmon_pipeline.reports.delivery import (
    DeliveryOutcome,
    ReportToSend,
    claim_deliveries,
    deliver_report,
    delivery_id_for,
    ensure_tables,
    record_deliveries,
    send_claims,
)
from syncmon_pipeline.reports.formatting import format_value
from syncmon_pipeline.reports.materialize import GeneratedReport
from syncmon_pipeline.reports.settings import ReportSettings
from syncmon_pipeline.sql_files import run_sql_file
from syncmon_pipeline.timestamps import to_utc_naive

T0 = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
MAIL_FROM = "syncmon@syncmon.example"
ALICE, BOB = "alice@school.example", "bob@school.example"
JOB = "report_delivery:performance-weekly"


# --- loopback SMTP server, clock, sleep -------------------------------------------------------------------


class Mailbox:
    """aiosmtpd handler keeping every accepted message; `answers` maps "RCPT"/"DATA" to a forced reply."""

    def __init__(self) -> None:
        self.messages: list = []
        self.answers: dict[str, str] = {}
        self.tries: Counter = Counter()  # RCPT / DATA commands that reached the server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        self.tries["RCPT"] += 1
        if "RCPT" in self.answers:
            return self.answers["RCPT"]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.tries["DATA"] += 1
        if "DATA" in self.answers:
            return self.answers["DATA"]
        self.messages.append(envelope)
        return "250 Message accepted for delivery"

    def received(self) -> Counter:
        return Counter(r for e in self.messages for r in e.rcpt_tos)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def smtp_environ(port: int, **extra: str) -> dict[str, str]:
    return {"SYNCMON_SMTP_HOST": "127.0.0.1", "SYNCMON_SMTP_PORT": str(port), "SYNCMON_SMTP_SECURITY": "none",
            "SYNCMON_MAIL_FROM": MAIL_FROM, **extra}  # fmt: skip


@dataclass
class Smtp:
    mailbox: Mailbox
    port: int

    @property
    def environ(self) -> dict[str, str]:
        return smtp_environ(self.port)


@pytest.fixture
def smtp() -> Iterator[Smtp]:
    mailbox, port = Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield Smtp(mailbox, port)
    finally:
        controller.stop()


class Clock:
    """A clock the test moves: deliver_report reads it, the sleep recorder advances it."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


class Sleep:
    def __init__(self, clock: Clock) -> None:
        self.calls: list[float] = []
        self.clock = clock

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.clock.advance(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sleep(clock: Clock) -> Sleep:
    return Sleep(clock)


# --- a generated report and a warehouse -------------------------------------------------------------------


@pytest.fixture(scope="module")
def report_home(tmp_path_factory: pytest.TempPathFactory) -> DataPaths:
    """One synthetic data directory for the module (delivery only reads the report folders)."""
    return synthetic_home(tmp_path_factory.mktemp("report-delivery"))


@pytest.fixture(scope="module")
def performance(report_home: DataPaths) -> GeneratedReport:
    return generate(report_home, "performance")


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A warehouse of its own per test (each test starts with an empty ledger)."""
    paths = DataPaths(home=(tmp_path / "home").resolve()).ensure()
    connection = duckdb.connect(str(paths.warehouse))
    yield connection
    connection.close()


def to_send(generated: GeneratedReport) -> ReportToSend:
    period = generated.data.period
    return ReportToSend(generated.data.report_type, period.label, period.granularity, generated.files.folder)


def deliver(
    con: duckdb.DuckDBPyConnection, report: ReportToSend, recipients: list[str], *, environ: dict[str, str],
    clock: Clock, sleep: Sleep, outbox: Path = Path("/nonexistent-outbox"), **settings: object,
) -> list[DeliveryOutcome]:
    return deliver_report(con, report, recipients=recipients, settings=ReportSettings(pdf=False, **settings),
                          outbox=outbox, environ=environ, clock=clock, sleep=sleep)  # fmt: skip


def deliveries(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    cursor = con.execute("SELECT * FROM reports.deliveries ORDER BY recipient")
    columns = [d[0] for d in cursor.description]
    return {r["recipient"]: r for r in (dict(zip(columns, row)) for row in cursor.fetchall())}


def attempts(con: duckdb.DuckDBPyConnection, delivery_id: str | None = None) -> list[tuple]:
    return con.execute(
        "SELECT delivery_id, attempt, outcome, error FROM reports.delivery_attempts"
        " WHERE ? IS NULL OR delivery_id = ? ORDER BY delivery_id, attempt", [delivery_id, delivery_id]
    ).fetchall()


def failures(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        "SELECT job_name, failed_at, message, resolved_at FROM alerts.pipeline_failures ORDER BY failed_at"
    ).fetchall()


def parse(data: bytes) -> EmailMessage:
    return message_from_bytes(data, policy=policy.default)  # type: ignore[return-value]


def attachments_of(message: EmailMessage) -> dict[str, bytes]:
    return {part.get_filename(): part.get_payload(decode=True) for part in message.iter_attachments()}


# --- the report e-mail, end to end ------------------------------------------------------------------------


def check_report_email(message: EmailMessage, generated: GeneratedReport, recipient: str) -> None:
    data, folder = generated.data, generated.files.folder
    assert data.title in message["Subject"] and data.period.title in message["Subject"]
    assert message["To"] == recipient and message["From"] == MAIL_FROM
    assert message["X-Syncmon-Report"] == f"{data.report_type}/{data.period.label}"
    text = message.get_body(("plain",)).get_content()
    html_part = message.get_body(("html",))
    assert html_part is not None and html_part.get_content_type() == "text/html"
    html = html_part.get_content()
    assert "<script" not in html.lower()  # mail clients run no JavaScript: nothing may depend on it
    for sentence in data.highlights:  # the executive summary, in both parts
        assert str(escape(sentence)) in html and sentence in text
    for figure in data.summary:
        shown = format_value(figure.value, figure.kind)
        assert f">{escape(shown)}</div>" in html and f"{figure.label}: {shown}" in text
    captions = re.findall(r"<caption[^>]*>([^<]*)</caption>", html)
    assert captions and [c.split(" (first ")[0] for c in captions] == [str(escape(t.title)) for t in data.tables]
    files = attachments_of(message)
    assert list(files) == ["report.html", *(p.name for p in sorted(folder.glob("*.csv")))]
    assert len(files) >= 3  # report.html and at least two tables
    for name, payload in files.items():
        assert payload == (folder / name).read_bytes(), name


@dataclass
class Mailed:
    """The performance report e-mailed to two recipients once, for the module's first two tests."""

    con: duckdb.DuckDBPyConnection
    smtp: Smtp
    report: ReportToSend
    outcomes: list[DeliveryOutcome]
    sleep: Sleep


@pytest.fixture(scope="module")
def mailed(performance: GeneratedReport, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mailed]:
    mailbox, port = Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    connection = duckdb.connect(str(tmp_path_factory.mktemp("mailed") / "syncmon.duckdb"))
    try:
        smtp, report, clock = Smtp(mailbox, port), to_send(performance), Clock()
        sleep = Sleep(clock)
        outcomes = deliver(connection, report, [ALICE, BOB], environ=smtp.environ, clock=clock, sleep=sleep)
        yield Mailed(connection, smtp, report, outcomes, sleep)
    finally:
        connection.close()
        controller.stop()


def test_report_is_mailed_once_to_each_recipient_with_body_and_attachments(
    mailed: Mailed, performance: GeneratedReport
) -> None:
    con, smtp, report, outcomes = mailed.con, mailed.smtp, mailed.report, mailed.outcomes
    assert [(o.recipient, o.status, o.attempts, o.error) for o in outcomes] == [
        (ALICE, "delivered", 1, None), (BOB, "delivered", 1, None)]  # fmt: skip
    assert smtp.mailbox.received() == Counter({ALICE: 1, BOB: 1})
    assert mailed.sleep.calls == []
    for envelope in smtp.mailbox.messages:
        (recipient,) = envelope.rcpt_tos
        outcome = next(o for o in outcomes if o.recipient == recipient)
        assert outcome.delivery_id == delivery_id_for(report, recipient)
        assert envelope.mail_from == MAIL_FROM
        message = parse(envelope.original_content)
        assert message["Message-ID"] == f"<report-{outcome.delivery_id}@syncmon>"
        assert message.get_content_type() == "multipart/mixed"
        check_report_email(message, performance, recipient)

    rows = deliveries(con)
    assert sorted(rows) == [ALICE, BOB]
    csvs = [p.name for p in sorted(performance.files.folder.glob("*.csv"))]
    for recipient, row in rows.items():
        assert (row["status"], row["attempts"], row["transport"], row["last_error"]) == ("delivered", 1, "smtp", None)
        assert row["delivered_at"] == to_utc_naive(T0) and row["first_attempt_at"] == to_utc_naive(T0)
        assert row["message_id"] == f"<report-{delivery_id_for(report, recipient)}@syncmon>"
        assert (row["report_type"], row["period_label"]) == ("performance", "weekly-2026-11-16")
        assert row["attachments"] == ["report.html", *csvs]
        assert row["message_bytes"] > (performance.files.folder / "report.html").stat().st_size
        assert attempts(con, row["delivery_id"]) == [(row["delivery_id"], 1, "delivered", None)]
    assert failures(con) == []


def test_delivering_the_same_report_again_sends_nothing(mailed: Mailed) -> None:
    con, smtp, report = mailed.con, mailed.smtp, mailed.report
    assert {o.status for o in mailed.outcomes} == {"delivered"}
    before = (len(smtp.mailbox.messages), sum(smtp.mailbox.tries.values()), attempts(con), deliveries(con))
    assert before[:2] == (2, 4)  # two messages: RCPT and DATA once each

    clock = Clock(T0 + timedelta(hours=1))
    sleep = Sleep(clock)
    again = deliver(con, report, [ALICE, BOB], environ=smtp.environ, clock=clock, sleep=sleep)
    assert [(o.recipient, o.status, o.attempts) for o in again] == [
        (ALICE, "already_delivered", 1), (BOB, "already_delivered", 1)]  # fmt: skip
    assert [o.delivery_id for o in again] == [o.delivery_id for o in mailed.outcomes]
    # Recipient addresses differing only in case are the same delivery.
    assert deliver(con, report, [BOB.upper()], environ=smtp.environ, clock=clock,
                   sleep=sleep)[0].status == "already_delivered"  # fmt: skip
    after = (len(smtp.mailbox.messages), sum(smtp.mailbox.tries.values()), attempts(con), deliveries(con))
    assert after == before  # the server saw no new command, the ledger is as it was
    assert sleep.calls == []


# --- temporary refusals: retries, failure alert, recovery -------------------------------------------------


def test_temporary_refusals_retry_then_fail_alert_and_recover(
    con, smtp: Smtp, performance: GeneratedReport, clock: Clock, sleep: Sleep
) -> None:
    """The server accepts the whole message, then answers 451 at the end of DATA, three times."""
    report = to_send(performance)
    stage = "DATA"
    smtp.mailbox.answers[stage] = "451 4.3.0 try later"
    outcomes = deliver(con, report, [ALICE], environ=smtp.environ, clock=clock, sleep=sleep,
                       delivery_attempts=3, delivery_backoff_seconds=10)  # fmt: skip

    (outcome,) = outcomes
    assert (outcome.status, outcome.attempts) == ("failed", 3)
    assert "451" in outcome.error
    assert sleep.calls == [10, 20]  # backoff doubles between the three attempts
    assert smtp.mailbox.tries[stage] == 3 and smtp.mailbox.messages == []
    row = deliveries(con)[ALICE]
    assert (row["status"], row["attempts"], row["delivered_at"]) == ("failed", 3, None)
    assert "SMTP" in row["last_error"] and "451" in row["last_error"]
    assert [(a, o) for _, a, o, _ in attempts(con)] == [(1, "retry"), (2, "retry"), (3, "retry")]
    assert all("451" in error for *_, error in attempts(con))
    ((job, failed_at, message, resolved_at),) = failures(con)
    assert (job, failed_at, resolved_at) == (JOB, to_utc_naive(T0 + timedelta(seconds=30)), None)
    assert "performance report weekly-2026-11-16 not delivered" in message and "3 attempt(s)" in message

    # The alert engine turns the open failure into a firing sync_failure alert for the pipeline.
    evaluated = evaluate_alerts(con, now=clock.advance(minutes=1), settings=AlertingSettings())
    assert [(a.alert_type, a.integration_id, a.status) for a in evaluated.firing()] == [
        ("sync_failure", f"pipeline:{JOB}", "firing")]  # fmt: skip
    (alert,) = list_alerts(con, integration_id=f"pipeline:{JOB}")
    assert (alert["status"], alert["provider"]) == ("firing", "syncmon")

    # The server recovers: the next run delivers (attempt numbers go on) and closes the failure.
    smtp.mailbox.answers.clear()
    clock.advance(hours=1)
    sleep.calls.clear()
    (outcome,) = deliver(con, report, [ALICE], environ=smtp.environ, clock=clock, sleep=sleep,
                         delivery_attempts=3, delivery_backoff_seconds=10)  # fmt: skip
    assert (outcome.status, outcome.attempts, outcome.error) == ("delivered", 4, None)
    assert sleep.calls == []
    assert smtp.mailbox.received() == Counter({ALICE: 1})
    assert parse(smtp.mailbox.messages[0].original_content)["Message-ID"] == f"<report-{outcome.delivery_id}@syncmon>"
    row = deliveries(con)[ALICE]
    assert (row["status"], row["attempts"], row["last_error"]) == ("delivered", 4, None)
    assert row["delivered_at"] == to_utc_naive(clock())
    assert [(a, o) for _, a, o, _ in attempts(con)][-1] == (4, "delivered")
    ((*_, resolved_at),) = failures(con)
    assert resolved_at == to_utc_naive(clock())

    evaluated = evaluate_alerts(con, now=clock.advance(minutes=1), settings=AlertingSettings())
    assert evaluated.firing() == ()
    (alert,) = list_alerts(con, integration_id=f"pipeline:{JOB}")
    assert alert["status"] == "resolved" and alert["resolved_at"] is not None


def test_smtp_server_down_retries_then_fails(
    con, performance: GeneratedReport, clock: Clock, sleep: Sleep
) -> None:
    port = free_port()  # nothing listens there
    (outcome,) = deliver(con, to_send(performance), [ALICE], environ=smtp_environ(port), clock=clock, sleep=sleep,
                         delivery_attempts=3, delivery_backoff_seconds=5)  # fmt: skip
    assert (outcome.status, outcome.attempts) == ("failed", 3)
    assert f"cannot reach SMTP server 127.0.0.1:{port}" in outcome.error
    assert sleep.calls == [5, 10]
    row = deliveries(con)[ALICE]
    assert (row["status"], row["attempts"], row["delivered_at"]) == ("failed", 3, None)
    assert "cannot reach" in row["last_error"]
    assert [o for _, _, o, _ in attempts(con)] == ["retry"] * 3
    assert [f[0] for f in failures(con)] == [JOB]


@pytest.mark.parametrize(
    ("stage", "reply", "outcome"),
    [("RCPT", "451 4.3.0 try later", "retry"), ("RCPT", "550 5.1.1 no such user here", "failed"),
     ("DATA", "550 5.7.1 message refused", "failed")],
)  # fmt: skip
def test_refusals_temporary_are_retried_permanent_are_not(
    con, smtp: Smtp, performance: GeneratedReport, clock: Clock, sleep: Sleep, stage: str, reply: str, outcome: str
) -> None:
    smtp.mailbox.answers[stage] = reply
    code = reply[:3]
    (result,) = deliver(con, to_send(performance), [ALICE], environ=smtp.environ, clock=clock, sleep=sleep,
                        delivery_attempts=2, delivery_backoff_seconds=10)  # fmt: skip
    tries = 2 if outcome == "retry" else 1  # a 5xx is final: one attempt, no waiting
    assert (result.status, result.attempts) == ("failed", tries)
    assert f"SMTP {code}" in result.error or f"SMTP [{code}]" in result.error
    assert sleep.calls == [10] * (tries - 1)
    assert smtp.mailbox.tries[stage] == tries and smtp.mailbox.messages == []
    row = deliveries(con)[ALICE]
    assert (row["status"], row["attempts"], row["delivered_at"]) == ("failed", tries, None)
    assert code in row["last_error"]
    assert [(a, o) for _, a, o, _ in attempts(con)] == [(n + 1, outcome) for n in range(tries)]
    assert [f[0] for f in failures(con)] == [JOB]


# --- no SMTP host: the outbox folder ----------------------------------------------------------------------


def test_without_smtp_host_the_report_lands_in_the_outbox(
    con, performance: GeneratedReport, clock: Clock, sleep: Sleep, tmp_path: Path
) -> None:
    outbox = tmp_path / "home" / "outbox"
    report = to_send(performance)
    (outcome,) = deliver(con, report, [ALICE], environ={}, clock=clock, sleep=sleep, outbox=outbox)
    assert (outcome.status, outcome.attempts) == ("delivered", 1)
    files = sorted(p.name for p in outbox.iterdir())
    assert files == [f"report-{outcome.delivery_id}.eml"]  # no temporary file left behind
    data = (outbox / files[0]).read_bytes()
    message = parse(data)
    assert message["Message-ID"] == f"<report-{outcome.delivery_id}@syncmon>"
    check_report_email(message, performance, ALICE)
    row = deliveries(con)[ALICE]
    assert (row["status"], row["transport"], row["attempts"]) == ("delivered", "outbox", 1)
    assert row["message_bytes"] == len(data)

    clock.advance(hours=1)
    assert deliver(con, report, [ALICE], environ={}, clock=clock, sleep=sleep,
                   outbox=outbox)[0].status == "already_delivered"  # fmt: skip
    assert (outbox / files[0]).read_bytes() == data and len(list(outbox.iterdir())) == 1


# --- a run killed mid-send --------------------------------------------------------------------------------


def test_a_delivery_left_sending_becomes_unknown_and_is_never_resent(
    con, smtp: Smtp, performance: GeneratedReport, clock: Clock, sleep: Sleep
) -> None:
    report = to_send(performance)
    killed = delivery_id_for(report, ALICE)
    ensure_tables(con)  # what a run killed after its claim leaves: a committed `sending` row, no attempt
    run_sql_file(con, "syncmon_pipeline.reports", "sql/delivery_claim.sql", {
        "delivery_id": killed, "report_type": "performance", "period_label": report.period_label,
        "recipient": ALICE, "transport": "smtp", "now": to_utc_naive(T0 - timedelta(hours=1)),
        "message_id": f"<report-{killed}@syncmon>", "attachments": ["report.html"], "message_bytes": 1,
    })  # fmt: skip
    assert deliveries(con)[ALICE]["status"] == "sending"

    outcomes = deliver(con, report, [ALICE, BOB], environ=smtp.environ, clock=clock, sleep=sleep)
    assert [(o.recipient, o.status) for o in outcomes] == [(ALICE, "unknown"), (BOB, "delivered")]
    assert smtp.mailbox.received() == Counter({BOB: 1})  # the other recipient still gets it, once
    assert deliveries(con)[ALICE]["status"] == "unknown"
    assert attempts(con, killed) == []

    clock.advance(days=1)
    outcomes = deliver(con, report, [ALICE, BOB], environ=smtp.environ, clock=clock, sleep=sleep)
    assert [(o.recipient, o.status) for o in outcomes] == [(ALICE, "unknown"), (BOB, "already_delivered")]
    assert smtp.mailbox.received() == Counter({BOB: 1})
    assert deliveries(con)[ALICE]["status"] == "unknown" and attempts(con, killed) == []


# --- chart images -----------------------------------------------------------------------------------------


def test_chart_images_are_inline_parts_referenced_by_cid(
    con, smtp: Smtp, report_home: DataPaths, clock: Clock, sleep: Sleep
) -> None:
    usage = generate(report_home, "usage", email_images=True)  # Chromium draws the charts (installed here and in CI)
    (outcome,) = deliver(con, to_send(usage), [ALICE], environ=smtp.environ, clock=clock, sleep=sleep)
    assert outcome.status == "delivered"
    (envelope,) = smtp.mailbox.messages
    message = parse(envelope.original_content)
    related = message.get_body(("related",))
    assert related is not None and related.get_content_type() == "multipart/related"
    html_part, *images = list(related.iter_parts())
    assert html_part.get_content_type() == "text/html"
    html = html_part.get_content()
    assert "<script" not in html.lower()
    assert images and {p.get_content_type() for p in images} == {"image/png"}
    referenced = set(re.findall(r'src="cid:([^"]+)"', html))
    assert {p["Content-ID"].strip("<>") for p in images} == referenced
    for part in images:
        assert part.get_payload(decode=True).startswith(b"\x89PNG\r\n\x1a\n")
    assert list(attachments_of(message)) == ["report.html", *(p.name for p in sorted(usage.files.folder.glob("*.csv")))]


# --- one mail path, sent outside the warehouse ------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [(None, "delivered"), ("451 4.3.0 mailbox busy, try later", "retry"), ("550 5.1.1 no such mailbox", "failed")],
)
def test_alerts_and_reports_share_one_mail_path(
    smtp: Smtp, performance: GeneratedReport, con: duckdb.DuckDBPyConnection, clock: Clock, sleep: Sleep,
    answer: str | None, outcome: str,
) -> None:
    """The same server answer means the same outcome and the same error text, whoever sends."""
    from test_alert_delivery import notification

    if answer:
        smtp.mailbox.answers["RCPT"] = answer
    alert = send_notification(notification(1, channel="email", target=ALICE), settings=AlertingSettings(),
                              outbox=Path("/nonexistent-outbox"), environ=smtp.environ, at=T0)  # fmt: skip
    mailer = Mailer.from_env(smtp.environ, outbox=Path("/nonexistent-outbox"))
    claims, _ = claim_deliveries(con, to_send(performance), recipients=[BOB], mailer=mailer, now=clock())
    [report] = send_claims(claims, mailer=mailer, settings=ReportSettings(pdf=False, delivery_attempts=1),
                           clock=clock, sleep=sleep)  # fmt: skip
    assert (alert.outcome, report.outcome) == (outcome, outcome)
    assert alert.error == report.error
    assert mailer.transport == "smtp" and mailer.mail_from == MAIL_FROM


def test_bad_smtp_settings_name_the_variable_for_both_and_never_the_password() -> None:
    environ = {"SYNCMON_SMTP_HOST": "127.0.0.1", "SYNCMON_SMTP_PASSWORD": "hunter2-secret",
               "SYNCMON_MAIL_FROM": MAIL_FROM}  # fmt: skip
    mailer = Mailer.from_env(environ, outbox=Path("/nonexistent-outbox"))
    assert mailer.transport == "smtp"  # it would have gone by SMTP: never quietly into the outbox
    outcome, error = mailer.send(EmailMessage(), ALICE, file_stem="x", timeout=1)
    assert outcome == "retry" and "SYNCMON_SMTP_USER" in error and "hunter2" not in error


def test_report_mail_is_sent_while_another_process_holds_the_warehouse(
    smtp: Smtp, performance: GeneratedReport, tmp_path: Path, clock: Clock, sleep: Sleep,
) -> None:
    """Claim and record are short transactions; sending (and its retries) needs no warehouse at all,
    so a pipeline run holding the file does not wait for the mail server, nor the mail for it."""
    warehouse = tmp_path / "warehouse.duckdb"
    report = to_send(performance)
    mailer = Mailer.from_env(smtp.environ, outbox=tmp_path / "outbox")
    with duckdb.connect(str(warehouse)) as connection:
        claims, settled = claim_deliveries(connection, report, recipients=[ALICE, BOB], mailer=mailer, now=clock())
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True);"
         " time.sleep(60)", str(warehouse)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(duckdb.IOException):  # the file really is held
            duckdb.connect(str(warehouse)).close()
        smtp.mailbox.answers["RCPT"] = "451 4.3.0 try later"
        first = send_claims(claims[:1], mailer=mailer, settings=ReportSettings(pdf=False, delivery_attempts=2),
                            clock=clock, sleep=lambda s: smtp.mailbox.answers.clear())  # the server recovers
        rest = send_claims(claims[1:], mailer=mailer, settings=ReportSettings(pdf=False), clock=clock, sleep=sleep)
    finally:
        holder.kill()
        holder.wait()
    assert [a.outcome for a in first] == ["retry", "delivered"] and [a.outcome for a in rest] == ["delivered"]
    with duckdb.connect(str(warehouse)) as connection:
        outcomes = record_deliveries(connection, report, claims=claims, settled=settled, attempts=first + rest,
                                     now=clock())  # fmt: skip
        assert attempts(connection) == sorted(
            [(a.delivery_id, a.attempt, a.outcome, a.error) for a in first + rest])
    assert sorted(o.status for o in outcomes) == ["delivered", "delivered"]
    assert smtp.mailbox.received() == Counter({ALICE: 1, BOB: 1})
