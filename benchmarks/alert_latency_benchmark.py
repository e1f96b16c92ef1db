"""Alert latency: from an incident's session events landing to the e-mail reaching an SMTP server.

Starts `dagster dev` with the default settings on a fresh data directory (a day of simulated history
first, so the pipeline is warm and realistic), an aiosmtpd server on loopback as the mail relay, and
then, one incident at a time, drops an incident's session events into the landing folder. The clock
starts when the file is renamed into place and stops when the SMTP server has received the firing
notification for that integration. Prints every latency, the median and p95.

What else runs is what a real deployment has: the 5-minute analytics schedule, and a mail server that
fails the report e-mails. Every delivery to the report recipient is refused with a temporary 451 (alert
notifications to the operator are accepted), and the daily report e-mail goes out a few minutes into
the measurement, retrying with backoff for most of it; the script prints how many report deliveries
the server refused while incidents were measured. Two kinds of incident:

- `failure` (default): failing sessions of a new integration (`sync_failure`);
- `latency-anomaly`: one session with ten times its integration's usual API latency, after eight
  days of hourly ordinary sessions of that integration in the history (`performance_degradation`,
  raised by the session's anomaly alone: the rule's own latency condition needs three slow samples;
  anomalies page once a series holds a week).

    .venv/bin/python benchmarks/alert_latency_benchmark.py [--incidents 12] [--kind latency-anomaly] [--keep]

Target: p95 <= 60 s. Not a test: the machine is shared and timings are noisy.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from pathlib import Path

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from syncmon_pipeline.alerts.catalog import RULE_CATALOG  # noqa: E402
from syncmon_pipeline.recorder import SessionRecorder  # noqa: E402
from syncmon_pipeline.simulator import simulate_history  # noqa: E402


REPORT_RECIPIENT = "reports@example.org"  # the server refuses this mailbox: the failing mail server


class Inbox:
    """An aiosmtpd handler keeping (arrival time, subject, body) of every message; it refuses every
    delivery to `REPORT_RECIPIENT` with a temporary error and counts when it did."""

    def __init__(self) -> None:
        self.messages: list[tuple[float, str, str]] = []
        self.refused: list[float] = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's hook)
        if address.lower() == REPORT_RECIPIENT:
            with self.lock:
                self.refused.append(time.time())
            return "451 4.3.2 mailbox temporarily unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def refused_between(self, start: float, end: float) -> int:
        with self.lock:
            return sum(1 for at in self.refused if start <= at <= end)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        message = message_from_bytes(envelope.content)
        body = "".join(
            part.get_payload(decode=True).decode("utf-8", "replace")
            for part in message.walk() if part.get_content_type() == "text/plain"
        )  # fmt: skip
        with self.lock:
            self.messages.append((time.time(), str(message["Subject"]), body))
        return "250 OK"

    def first_mentioning(self, text: str, after: float, also: str = "") -> float | None:
        """When the first message since `after` mentioning `text` (and `also`, in its body) arrived."""
        with self.lock:
            for arrived, subject, body in self.messages:
                if arrived >= after and (text in subject or text in body) and also in body:
                    return arrived
        return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def drop_failing_sessions(landing: Path, integration_id: str, failures: int) -> float:
    """Write `failures` failed sessions of a new integration in one atomic file; return when it landed."""
    now = datetime.now(UTC)
    with SessionRecorder(landing, integration_id, "powerschool") as recorder:
        for i in range(failures):
            at = now - timedelta(seconds=60 * (failures - i))
            sid = recorder.create_session("incremental", "inbound", entity_types=["students"], at=at)
            recorder.start(sid, "fetch", at=at + timedelta(seconds=1))
            recorder.error(sid, "system", "upstream returned 503", severity="high", at=at + timedelta(seconds=20))
            recorder.fail(sid, "upstream returned 503", "fetch", at=at + timedelta(seconds=30))
    return time.time()


ORDINARY_LATENCY_MS = 120.0
SESSION_EVERY = timedelta(hours=1)
HISTORY_SESSIONS = 8 * 24  # past the week an anomaly needs to page, and the detector's 150-point warm-up


def record_session(recorder: SessionRecorder, start: datetime, rng: random.Random, latency_factor: float = 1.0) -> None:
    """One completed session with ordinary noisy measures, its API latency scaled by `latency_factor`."""
    seconds = 240 * rng.lognormvariate(0, 0.06)
    records = round(4000 * rng.lognormvariate(0, 0.05))
    latency = ORDINARY_LATENCY_MS * rng.lognormvariate(0, 0.08) * latency_factor
    end = start + timedelta(seconds=seconds)
    sid = recorder.create_session("incremental", "inbound", entity_types=["students"], at=start)
    recorder.start(sid, "fetch", at=start + timedelta(seconds=1))
    recorder.progress(sid, stage="load", progress_pct=100.0, entity_type="students", records_processed=records,
                      records_updated=records, at=end - timedelta(seconds=3))  # fmt: skip
    recorder.metrics(sid, api_calls=200, api_errors=0, api_latency_ms_avg=latency, api_latency_ms_p95=2.5 * latency,
                     throughput_rps=records / seconds, cpu_pct=35 * rng.lognormvariate(0, 0.08),
                     memory_mb=600 * rng.lognormvariate(0, 0.04), rate_limit_remaining=900, at=end - timedelta(seconds=2))  # fmt: skip
    recorder.complete(sid, at=end)


def land_ordinary_history(landing: Path, integrations: list[str], until: datetime) -> None:
    """`HISTORY_SESSIONS` ordinary sessions of each integration, the last ending before `until`."""
    rng = random.Random(11)
    for integration in integrations:
        with SessionRecorder(landing, integration, "canvas") as recorder:
            for n in range(HISTORY_SESSIONS, 0, -1):
                record_session(recorder, until - n * SESSION_EVERY, rng)


def drop_latency_anomaly(landing: Path, integration_id: str) -> float:
    """One session of `integration_id` with ten times its usual API latency, ended now; return when it landed."""
    with SessionRecorder(landing, integration_id, "canvas") as recorder:
        record_session(recorder, datetime.now(UTC) - timedelta(seconds=300), random.Random(integration_id), 10.0)
    return time.time()


def runs_during(dagster_home: Path, since: float) -> dict[str, int]:
    """How many runs of each job the instance started after `since` (read while dagster dev runs)."""
    import dagster as dg

    counts: dict[str, int] = {}
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        for record in instance.get_run_records(dg.RunsFilter(created_after=datetime.fromtimestamp(since, UTC))):
            counts[record.dagster_run.job_name] = counts.get(record.dagster_run.job_name, 0) + 1
    return counts


def wait_until(predicate, timeout: float, poll: float = 0.5) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(poll)
    return False


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[index]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=12)
    parser.add_argument("--kind", choices=["failure", "latency-anomaly"], default="failure")
    parser.add_argument("--timeout", type=float, default=240.0, help="give up on one incident after this long")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    args = parser.parse_args()
    # SIGTERM (timeout, kill) must still stop dagster dev and the SMTP server: exit through `finally`.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    work = Path(tempfile.mkdtemp(prefix="syncmon-latency-"))
    home, dagster_home = work / "data", work / "dagster_home"
    (home / "landing").mkdir(parents=True)
    dagster_home.mkdir()
    shutil.copy(ROOT / "dagster.yaml", dagster_home / "dagster.yaml")
    simulate_history(home / "landing", integrations=6, days=1, seed=3, end=datetime.now(UTC), truth_path=None)
    probes = [f"latency-probe-{i:02d}" for i in range(args.incidents)]
    if args.kind == "latency-anomaly":
        land_ordinary_history(home / "landing", probes, until=datetime.now(UTC) - timedelta(minutes=20))

    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    env = {
        **os.environ,
        "SYNCMON_HOME": str(home), "DAGSTER_HOME": str(dagster_home), "DBT_TARGET_PATH": str(home / "dbt_target"),
        "SYNCMON_SMTP_HOST": "127.0.0.1", "SYNCMON_SMTP_PORT": str(smtp.port), "SYNCMON_SMTP_SECURITY": "none",
        "SYNCMON_MAIL_FROM": "syncmon@localhost", "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }  # fmt: skip
    # The daily report e-mail goes to the refusing mailbox a few minutes in (after the warm-up), and keeps
    # retrying: 8 attempts, 10 s doubling (about 21 minutes of a failing server). No charts or PDF: the
    # point is the mail server, not Chromium's CPU.
    send_at = (datetime.now(UTC) + timedelta(minutes=6)).strftime("%H:%M")
    config = work / "syncmon.yaml"
    config.write_text(f"reports:\n  send_at: '{send_at}'\n  recipients: [{REPORT_RECIPIENT}]\n  periods: [daily]\n"
                      "  delivery_attempts: 8\n  delivery_backoff_seconds: 10\n  chart_images: false\n  pdf: false\n")  # fmt: skip
    env["SYNCMON_CONFIG"] = str(config)
    log = open(work / "dagster.log", "wb")
    dagster = subprocess.Popen(
        [str(Path(sys.executable).parent / "dagster"), "dev", "-m", "syncmon_pipeline.definitions",
         "-h", "127.0.0.1", "-p", str(free_port())],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    failures = int(RULE_CATALOG["sync_failure"].thresholds["consecutive_failures"])
    latencies: list[float] = []
    missed: list[str] = []
    try:
        print("warming up: ingesting a day of history ...", flush=True)
        if not wait_until(lambda: not any((home / "landing").glob("*.ndjson*")), timeout=600):
            raise SystemExit(f"the history was not ingested within 10 min; see {work / 'dagster.log'}")
        time.sleep(60)  # let the first analytics and alert runs settle
        measuring_since = time.time()
        rng = random.Random(7)
        for i, integration in enumerate(probes):
            if args.kind == "latency-anomaly":
                landed, expected = drop_latency_anomaly(home / "landing", integration), "anomaly score"
            else:
                landed, expected = drop_failing_sessions(home / "landing", integration, failures), integration
            ok = wait_until(lambda: inbox.first_mentioning(integration, landed, expected) is not None, args.timeout)
            if ok:
                latency = inbox.first_mentioning(integration, landed, expected) - landed
                latencies.append(latency)
                print(f"  incident {i + 1:>2}: {integration} notified after {latency:5.1f} s", flush=True)
            else:
                missed.append(integration)
                print(f"  incident {i + 1:>2}: {integration} NOT notified within {args.timeout:.0f} s", flush=True)
            time.sleep(rng.uniform(0, 15))  # land at different phases of the sensor ticks
        refused = inbox.refused_between(measuring_since, time.time())
        runs = runs_during(dagster_home, measuring_since)
    finally:
        os.killpg(dagster.pid, signal.SIGTERM)
        try:
            dagster.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(dagster.pid, signal.SIGKILL)
        smtp.stop()
        log.close()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")
    if latencies:
        print(f"\nlanding -> SMTP delivery over {len(latencies)} incidents: median {statistics.median(latencies):.1f} s,"
              f" p95 {percentile(latencies, 0.95):.1f} s, max {max(latencies):.1f} s (target p95 <= 60 s)")
        print(f"meanwhile: the mail server refused {refused} report deliveries (451); runs that started:"
              f" {', '.join(f'{n} {job}' for job, n in sorted(runs.items()))}")
    if missed:
        print(f"missed: {', '.join(missed)}")
    return 0 if latencies and not missed else 1


if __name__ == "__main__":
    sys.exit(main())
