"""Delivery with real parts on loopback: a DuckDB file, an SMTP server (aiosmtpd), an HTTP receiver.

Checks the ledger's promises: retries with backoff and Retry-After land in the ledger with the right
next retry time, a channel that is down loses nothing, nothing is sent twice across repeated calls,
and a run killed mid-delivery leaves its notification `unknown` (never re-sent) while the others
still go out exactly once. No secret reaches the ledger or the log.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from syncmon_pipeline.alerts.ledger import (
    DeliveryReport,
    deliver_due,
    enqueue,
    ensure_ledger,
    ledger_rows,
    next_attempt_at,
)
from syncmon_pipeline.alerts.model import Message, MessageAlert, Notification, notification_id_for
from syncmon_pipeline.alerts.settings import AlertingSettings, DeliverySettings, WebhookSettings

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
FROZEN = lambda: T0  # noqa: E731 — a frozen clock: attempt times equal `now` exactly
MAIL_FROM = "syncmon@syncmon.example"


# --- loopback receivers ------------------------------------------------------------------------------------


class Receiver:
    """An HTTP server on 127.0.0.1 that records every POST and answers from a per-path script.

    A script entry is a status code, (status, headers), or "hang" (receive, then never answer until
    released); with the script empty it answers 200.
    """

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.script: dict[str, list] = defaultdict(list)
        self.received = threading.Event()
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 — http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                receiver.received.set()
                steps = receiver.script[self.path.split("?")[0]]
                action = steps.pop(0) if steps else 200
                if action == "hang":
                    receiver.release.wait(60)
                    return
                status, headers = action if isinstance(action, tuple) else (action, {})
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"{}")
                except OSError:
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def keys(self) -> Counter:
        return Counter(r["headers"]["Idempotency-Key"] for r in self.requests)

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


class Mailbox:
    """aiosmtpd handler keeping every accepted message; a recipient in `refuse` gets a 550."""

    def __init__(self, refuse: tuple[str, ...] = ()) -> None:
        self.messages: list = []
        self.refuse = refuse

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def smtp_environ(port: int, **extra: str) -> dict[str, str]:
    return {"SYNCMON_SMTP_HOST": "127.0.0.1", "SYNCMON_SMTP_PORT": str(port), "SYNCMON_SMTP_SECURITY": "none",
            "SYNCMON_MAIL_FROM": MAIL_FROM, **extra}  # fmt: skip


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    ensure_ledger(connection)
    yield connection
    connection.close()


# --- notifications and settings ---------------------------------------------------------------------------


def notification(i: int, *, channel: str = "webhook", target: str = "ops", created: datetime = T0) -> Notification:
    alert = MessageAlert(
        alert_id=f"alert-{i:03d}", alert_type="sync_failure", severity="error", status="firing",
        integration_id=f"integration-{i}", provider="powerschool", summary=f"sessions keep failing ({i})",
        started_at=T0 - timedelta(minutes=10), fired_at=T0 - timedelta(minutes=5), resolved_at=None,
        value=2.0, threshold=2.0, evidence={"session_ids": [f"s-{i}"]},
    )  # fmt: skip
    message = Message(
        title=f"[FIRING:1] sync_failure integration-{i}", status="firing", severity="error",
        transition="firing", group_key=f"integration-{i}", alerts=(alert,), created_at=created,
    )  # fmt: skip
    return Notification(
        notification_id=notification_id_for((alert.alert_id,), "firing", 0, channel, target),
        channel=channel, target=target, transition="firing", sequence=0, fingerprints=(f"fp-{i}",),
        alert_ids=(alert.alert_id,), integration_id=f"integration-{i}", message=message, created_at=created,
    )  # fmt: skip


def alerting(
    url: str = "", *, timeout: float = 5.0, headers: dict | None = None, **delivery: object
) -> AlertingSettings:
    defaults = {"max_attempts": 5, "backoff_initial_seconds": 10, "backoff_max_seconds": 25}
    webhooks = {"ops": WebhookSettings(url=url, timeout_seconds=timeout, headers_from_env=headers or {})} if url else {}
    return AlertingSettings(webhooks=webhooks, delivery=DeliverySettings(**{**defaults, **delivery}))


def deliver(con, settings: AlertingSettings, at: datetime = T0, *, outbox: Path | None = None,
            environ: dict | None = None, clock=FROZEN) -> DeliveryReport:  # fmt: skip
    return deliver_due(con, now=at, clock=clock, settings=settings, outbox=outbox or Path("/nonexistent-outbox"),
                       environ=environ or {})  # fmt: skip


def row(con, notification_id: str) -> dict:
    (found,) = [r for r in ledger_rows(con) if r["notification_id"] == notification_id]
    return found


def at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat()


# --- webhooks ---------------------------------------------------------------------------------------------


def test_5xx_retries_with_exponential_backoff_then_gives_up(con, receiver: Receiver) -> None:
    receiver.script["/hook"] = [500, 503, 500, 502]
    settings = alerting(receiver.url(), max_attempts=4)
    note = notification(1)
    assert enqueue(con, [note], T0) == 1

    assert deliver(con, settings).retrying == 1
    assert next_attempt_at(con) == T0 + timedelta(seconds=10)
    assert deliver(con, settings, T0 + timedelta(seconds=9)).metadata()["retrying"] == 0  # not due yet
    assert deliver(con, settings, T0 + timedelta(seconds=10)).retrying == 1  # +20 s
    assert deliver(con, settings, T0 + timedelta(seconds=30)).retrying == 1  # +40 s, capped at 25 s
    final = deliver(con, settings, T0 + timedelta(seconds=55))
    assert (final.failed, final.by_channel["webhook"]["failed"]) == (1, 1)
    assert deliver(con, settings, T0 + timedelta(days=1)).metadata()["failed"] == 0

    record = row(con, note.notification_id)
    assert (record["status"], record["attempts"], record["next_attempt_at"]) == ("failed", 4, None)
    assert "gave up after 4 attempts" in record["last_error"]
    log = [(a["attempt"], a["outcome"], a["http_status"], a["next_retry_at"]) for a in record["attempt_log"]]
    assert log == [(1, "retry", 500, at(10)), (2, "retry", 503, at(30)), (3, "retry", 500, at(55)),
                   (4, "failed", 502, None)]  # fmt: skip
    assert receiver.keys() == Counter({note.notification_id: 4})  # the same Idempotency-Key every time


def test_500_then_success_is_delivered_once(con, receiver: Receiver) -> None:
    receiver.script["/hook"] = [500]
    settings = alerting(receiver.url())
    note = notification(1)
    enqueue(con, [note], T0)
    deliver(con, settings)
    report = deliver(con, settings, T0 + timedelta(seconds=10))
    assert (report.delivered, report.by_channel["webhook"]["delivered"]) == (1, 1)
    for later in (20, 3600, 86400):
        assert deliver(con, settings, T0 + timedelta(seconds=later)).delivered == 0
    record = row(con, note.notification_id)
    assert (record["status"], record["delivered_at"], record["last_error"]) == ("delivered", at(10), None)
    assert len(receiver.requests) == 2
    payload = json.loads(receiver.requests[-1]["body"])
    assert payload["version"] == "4" and payload["alerts"][0]["labels"]["integration_id"] == "integration-1"


@pytest.mark.parametrize(
    ("retry_after", "expected_seconds"),
    [("120", 120), (format_datetime(T0 + timedelta(seconds=300), usegmt=True), 300)],
)
def test_429_honours_retry_after(con, receiver: Receiver, retry_after: str, expected_seconds: int) -> None:
    receiver.script["/hook"] = [(429, {"Retry-After": retry_after})]
    settings = alerting(receiver.url())
    note = notification(1)
    enqueue(con, [note], T0)
    assert deliver(con, settings).retrying == 1
    (attempt,) = row(con, note.notification_id)["attempt_log"]
    assert (attempt["http_status"], attempt["next_retry_at"]) == (429, at(expected_seconds))  # not the 10 s backoff
    assert deliver(con, settings, T0 + timedelta(seconds=expected_seconds - 1)).delivered == 0
    assert deliver(con, settings, T0 + timedelta(seconds=expected_seconds)).delivered == 1
    assert len(receiver.requests) == 2


def test_hanging_webhook_times_out_and_is_retried_later(con, receiver: Receiver) -> None:
    receiver.script["/hook"] = ["hang"]
    settings = alerting(receiver.url(), timeout=0.5)
    note = notification(1)
    enqueue(con, [note], T0)
    started = time.monotonic()
    assert deliver(con, settings).retrying == 1
    assert time.monotonic() - started < 5
    record = row(con, note.notification_id)
    assert record["status"] == "queued" and "no answer within 0.5 s" in record["last_error"]
    assert record["attempt_log"][0]["next_retry_at"] == at(10)
    assert deliver(con, settings, T0 + timedelta(seconds=10)).delivered == 1
    # The receiver saw the request twice, both with one Idempotency-Key it can deduplicate on.
    assert receiver.keys() == Counter({note.notification_id: 2})


def test_a_webhook_that_is_down_loses_nothing_and_is_not_hammered(con, receiver: Receiver) -> None:
    receiver.script["/hook"] = [500]
    settings = alerting(receiver.url())
    notes = [notification(i, created=T0 + timedelta(seconds=i)) for i in range(3)]
    assert enqueue(con, notes, T0) == 3
    report = deliver(con, settings)
    assert (report.retrying, report.postponed, len(receiver.requests)) == (1, 2, 1)
    assert {r["status"] for r in ledger_rows(con)} == {"queued"}
    assert {r["next_attempt_at"] for r in ledger_rows(con)} == {at(10)}  # they wait with the failed one
    assert deliver(con, settings, T0 + timedelta(seconds=10)).delivered == 3
    assert deliver(con, settings, T0 + timedelta(hours=5)).delivered == 0
    assert receiver.keys() == Counter({notes[0].notification_id: 2, notes[1].notification_id: 1,
                                       notes[2].notification_id: 1})  # fmt: skip


def test_redirects_are_not_followed(con, receiver: Receiver) -> None:
    receiver.script["/hook"] = [(302, {"Location": receiver.url("/elsewhere")})]
    note = notification(1)
    enqueue(con, [note], T0)
    assert deliver(con, alerting(receiver.url())).failed == 1
    assert [r["path"] for r in receiver.requests] == ["/hook"]
    record = row(con, note.notification_id)
    assert record["status"] == "failed" and "redirects are not followed" in record["last_error"]
    assert record["attempt_log"][0]["http_status"] == 302


def test_4xx_is_a_permanent_failure(con, receiver: Receiver) -> None:
    receiver.script["/hook"] = [404]
    enqueue(con, [notification(1)], T0)
    assert deliver(con, alerting(receiver.url())).failed == 1
    assert deliver(con, alerting(receiver.url()), T0 + timedelta(days=1)).metadata()["delivered"] == 0
    assert len(receiver.requests) == 1


def test_hosts_outside_the_allow_list_are_refused(con, receiver: Receiver) -> None:
    notes = [notification(1), notification(2)]
    enqueue(con, notes[:1], T0)
    assert deliver(con, alerting(receiver.url(), webhook_allowed_hosts=["hooks.example.com"])).failed == 1
    assert receiver.requests == []
    assert "not in delivery.webhook_allowed_hosts" in row(con, notes[0].notification_id)["last_error"]
    enqueue(con, notes[1:], T0)
    assert deliver(con, alerting(receiver.url(), webhook_allowed_hosts=["127.0.0.1"])).delivered == 1


def test_secrets_in_headers_and_urls_never_reach_the_ledger_or_the_log(
    con, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    url = receiver.url("/hook/T000/SECRETPATH?token=querysecret").replace("http://", "http://bob:urlpass@")
    settings = alerting(url, headers={"X-Api-Key": "SYNCMON_TEST_WEBHOOK_TOKEN"})
    environ = {"SYNCMON_TEST_WEBHOOK_TOKEN": "Bearer s3cr3t-header-value"}
    receiver.script["/hook/T000/SECRETPATH"] = [500, 401]
    note, missing = notification(1), notification(2)
    enqueue(con, [note], T0)
    deliver(con, settings, environ=environ)
    deliver(con, settings, T0 + timedelta(seconds=10), environ=environ)
    assert [r["headers"]["X-Api-Key"] for r in receiver.requests] == ["Bearer s3cr3t-header-value"] * 2
    assert receiver.requests[0]["headers"]["Authorization"].startswith("Basic ")  # URL userinfo → basic auth
    assert row(con, note.notification_id)["status"] == "failed"

    enqueue(con, [missing], T0)  # the variable is not set: a clear error naming it, nothing sent
    assert deliver(con, settings, T0 + timedelta(seconds=20), environ={}).retrying == 1
    assert "SYNCMON_TEST_WEBHOOK_TOKEN" in row(con, missing.notification_id)["last_error"]
    assert len(receiver.requests) == 2

    stored = json.dumps(ledger_rows(con)) + caplog.text
    for secret in ("s3cr3t", "urlpass", "querysecret", "SECRETPATH", "T000"):
        assert secret not in stored
    assert "webhook 'ops' (http://127.0.0.1:" in stored


def test_unknown_webhook_or_channel_fails_without_raising(con, receiver: Receiver) -> None:
    notes = [notification(1, target="nobody"), notification(2, channel="pager", target="x"), notification(3)]
    enqueue(con, notes, T0)
    report = deliver(con, alerting(receiver.url()))
    assert (report.failed, report.delivered) == (2, 1)
    assert "no webhook named 'nobody'" in row(con, notes[0].notification_id)["last_error"]


# --- replays, budgets, the ledger API ---------------------------------------------------------------------


def test_replayed_notifications_are_not_sent_again(con, receiver: Receiver) -> None:
    notes = [notification(1), notification(2)]
    assert enqueue(con, notes, T0) == 2
    assert enqueue(con, notes, T0) == 0
    assert deliver(con, alerting(receiver.url())).delivered == 2
    assert enqueue(con, notes, T0 + timedelta(hours=1)) == 0  # a full refresh replays the engine: no resend
    assert deliver(con, alerting(receiver.url()), T0 + timedelta(hours=1)).delivered == 0
    assert receiver.keys() == Counter({n.notification_id: 1 for n in notes})
    assert next_attempt_at(con) is None


def test_enqueue_joins_the_callers_transaction(con) -> None:
    con.execute("BEGIN TRANSACTION")
    enqueue(con, [notification(1)], T0)
    con.execute("ROLLBACK")
    assert ledger_rows(con) == []


def test_time_budget_leaves_the_rest_queued_for_the_next_run(con, receiver: Receiver) -> None:
    notes = [notification(i, created=T0 + timedelta(seconds=i)) for i in range(5)]
    enqueue(con, notes, T0)
    settings = alerting(receiver.url(), max_seconds_per_run=25)
    runs = []
    for _ in range(6):
        ticks = iter(range(0, 10_000, 5))
        runs.append(deliver(con, settings, clock=lambda: T0 + timedelta(seconds=next(ticks))))  # +5 s per call
        if not any(r["status"] == "queued" for r in ledger_rows(con)):
            break
    assert runs[0].delivered >= 1 and runs[0].skipped >= 1 and runs[0].delivered + runs[0].skipped == 5
    assert sum(r.delivered for r in runs) == 5
    assert receiver.keys() == Counter({n.notification_id: 1 for n in notes})


def test_ledger_rows_filter_by_alert(con) -> None:
    enqueue(con, [notification(1), notification(2)], T0)
    (only,) = ledger_rows(con, alert_id="alert-002")
    assert only["alert_ids"] == ["alert-002"] and only["status"] == "queued" and only["attempt_log"] == []
    assert only["message"]["title"] == "[FIRING:1] sync_failure integration-2"
    assert len(ledger_rows(con)) == 2


# --- e-mail -----------------------------------------------------------------------------------------------


def test_smtp_server_down_then_up_delivers_everything_once(con) -> None:
    port = free_port()
    notes = [notification(i, channel="email", target=f"op{i}@syncmon.example") for i in range(2)]
    enqueue(con, notes, T0)
    settings = alerting()
    report = deliver(con, settings, environ=smtp_environ(port))
    assert (report.retrying, report.postponed) == (1, 1)
    assert "cannot reach SMTP server 127.0.0.1:" in row(con, notes[0].notification_id)["last_error"]

    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert deliver(con, settings, T0 + timedelta(seconds=10), environ=smtp_environ(port)).delivered == 2
        assert deliver(con, settings, T0 + timedelta(hours=1), environ=smtp_environ(port)).delivered == 0
    finally:
        controller.stop()
    assert sorted(e.rcpt_tos[0] for e in mailbox.messages) == ["op0@syncmon.example", "op1@syncmon.example"]
    for envelope in mailbox.messages:
        parsed = BytesParser(policy=policy.default).parsebytes(envelope.original_content)
        note = next(n for n in notes if n.target == envelope.rcpt_tos[0])
        assert envelope.mail_from == MAIL_FROM
        assert parsed["Message-ID"] == f"<{note.notification_id}@syncmon>"
        assert parsed.get_content_type() == "multipart/alternative"
        assert "sessions keep failing" in parsed.get_body(("plain",)).get_content()
        assert "<html" in parsed.get_body(("html",)).get_content()


def test_smtp_login_through_yagmail_and_wrong_password_and_refused_recipient(con) -> None:
    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == b"right-pass"
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself

    port = free_port()
    mailbox = Mailbox(refuse=("ghost@syncmon.example",))
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, authenticator=authenticator,
                            auth_require_tls=False)  # fmt: skip
    controller.start()
    try:
        good, refused, bad_login = (notification(1, channel="email", target="op@syncmon.example"),
                                    notification(2, channel="email", target="ghost@syncmon.example"),
                                    notification(3, channel="email", target="op3@syncmon.example"))  # fmt: skip
        enqueue(con, [good, refused], T0)
        environ = smtp_environ(port, SYNCMON_SMTP_USER="alerts", SYNCMON_SMTP_PASSWORD="right-pass")
        report = deliver(con, alerting(), environ=environ)
        assert (report.delivered, report.failed) == (1, 1)
        assert "refused the recipient (SMTP [550])" in row(con, refused.notification_id)["last_error"]
        enqueue(con, [bad_login], T0)
        wrong = {**environ, "SYNCMON_SMTP_PASSWORD": "wrong-pass"}
        assert deliver(con, alerting(), T0 + timedelta(seconds=1), environ=wrong).failed == 1
        assert "refused the login of SYNCMON_SMTP_USER" in row(con, bad_login.notification_id)["last_error"]
    finally:
        controller.stop()
    assert [e.rcpt_tos for e in mailbox.messages] == [["op@syncmon.example"]]
    assert "pass" not in json.dumps([r["last_error"] for r in ledger_rows(con)])


def test_bad_smtp_environment_keeps_mail_queued_with_a_clear_error(con) -> None:
    note = notification(1, channel="email", target="op@syncmon.example")
    enqueue(con, [note], T0)
    environ = {"SYNCMON_SMTP_HOST": "127.0.0.1", "SYNCMON_SMTP_SECURITY": "tls", "SYNCMON_MAIL_FROM": MAIL_FROM}
    assert deliver(con, alerting(), environ=environ).retrying == 1
    assert "SYNCMON_SMTP_SECURITY" in row(con, note.notification_id)["last_error"]


def test_without_smtp_host_mails_land_in_the_outbox_once(con, tmp_path: Path) -> None:
    outbox = tmp_path / "home" / "outbox"
    notes = [notification(i, channel="email", target="operator@syncmon.example") for i in range(3)]
    enqueue(con, notes, T0)
    assert deliver(con, alerting(), outbox=outbox).delivered == 3
    assert enqueue(con, notes, T0) == 0
    assert deliver(con, alerting(), T0 + timedelta(hours=1), outbox=outbox).delivered == 0
    files = sorted(outbox.iterdir())
    assert [f.name for f in files] == sorted(f"{n.notification_id}.eml" for n in notes)
    parsed = BytesParser(policy=policy.default).parsebytes(files[0].read_bytes())
    assert parsed["From"] == MAIL_FROM and parsed.get_body(("html",)) is not None


# --- a run killed mid-delivery ----------------------------------------------------------------------------

_KILLED_RUN = """
import sys
from datetime import UTC, datetime
from pathlib import Path
import duckdb
from syncmon_pipeline.alerts.ledger import deliver_due
from syncmon_pipeline.alerts.settings import AlertingSettings
database, settings_json, now = sys.argv[1:4]
con = duckdb.connect(database)
deliver_due(con, now=datetime.fromisoformat(now), clock=lambda: datetime.now(UTC),
            settings=AlertingSettings.model_validate_json(settings_json), outbox=Path("outbox"), environ={})
"""


def test_a_run_killed_mid_delivery_never_sends_that_notification_again(tmp_path: Path, receiver: Receiver) -> None:
    database = tmp_path / "warehouse.duckdb"
    notes = [notification(i, created=T0 + timedelta(seconds=i)) for i in range(3)]
    with duckdb.connect(str(database)) as first:
        enqueue(first, notes, T0)
    receiver.script["/hook"] = ["hang"]  # the first request arrives, then the receiver never answers
    settings = alerting(receiver.url(), timeout=30)
    run = subprocess.Popen([sys.executable, "-c", _KILLED_RUN, str(database), settings.model_dump_json(),
                            T0.isoformat()], cwd=tmp_path)  # fmt: skip
    try:
        assert receiver.received.wait(60), "the delivery subprocess never reached the receiver"
        assert run.poll() is None
        os.kill(run.pid, signal.SIGKILL)
    finally:
        run.wait(30)
    assert run.returncode == -signal.SIGKILL
    assert receiver.keys() == Counter({notes[0].notification_id: 1})

    with duckdb.connect(str(database)) as con:
        claimed = row(con, notes[0].notification_id)
        assert (claimed["status"], claimed["attempt_log"][0]["outcome"]) == ("sending", None)  # the claim survived

        report = deliver(con, settings)
        assert (report.unknown, report.delivered, report.by_channel["webhook"]["unknown"]) == (1, 2, 1)
        assert deliver(con, settings, T0 + timedelta(days=1)).delivered == 0
        killed = row(con, notes[0].notification_id)
        assert (killed["status"], killed["attempts"], killed["next_attempt_at"]) == ("unknown", 1, None)
        assert killed["attempt_log"][0]["outcome"] == "unknown"
        assert "not sent again" in killed["last_error"]
        assert {row(con, n.notification_id)["status"] for n in notes[1:]} == {"delivered"}
    # Exactly once each: the interrupted one is never re-sent, the others went out once.
    assert receiver.keys() == Counter({n.notification_id: 1 for n in notes})


def test_an_unreadable_ledger_row_fails_alone(con, receiver: Receiver) -> None:
    broken, fine = notification(1), notification(2, created=T0 + timedelta(seconds=1))
    enqueue(con, [broken, fine], T0)
    con.execute("UPDATE alerts.notifications SET message = '{\"title\": 1}' WHERE notification_id = ?",
                [broken.notification_id])  # fmt: skip
    report = deliver(con, alerting(receiver.url()))
    assert (report.failed, report.delivered) == (1, 1)
    assert "internal error while sending (KeyError)" in row(con, broken.notification_id)["last_error"]


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command to make a certificate")
def test_starttls_verifies_the_server_certificate(con, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    port, mailbox = free_port(), Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
                            authenticator=lambda *a: AuthResult(success=True), auth_require_tls=True)  # fmt: skip
    controller.start()
    try:
        environ = smtp_environ(port, SYNCMON_SMTP_SECURITY="starttls", SYNCMON_SMTP_USER="alerts",
                               SYNCMON_SMTP_PASSWORD="pw")  # fmt: skip
        note = notification(1, channel="email", target="op@syncmon.example")
        enqueue(con, [note], T0)
        # A certificate nobody vouches for: refused before the password is sent, and retried later.
        assert deliver(con, alerting(), environ=environ).retrying == 1
        assert "TLS with SMTP server" in row(con, note.notification_id)["last_error"]
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # now the certificate is trusted
        assert deliver(con, alerting(), T0 + timedelta(seconds=10), environ=environ).delivered == 1
    finally:
        controller.stop()
    assert [e.rcpt_tos for e in mailbox.messages] == [["op@syncmon.example"]]
