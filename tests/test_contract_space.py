"""Every event the contract allows flows end to end: generated streams through the whole pipeline.

Each example is a stream of contract-valid events (`contract_streams`, payloads generated from the
shipped JSON Schema) dropped in a fresh data directory and run through `syncmon run-once`: ingest,
every dbt model and test, anomaly scoring, alert evaluation and delivery (outbox), the analyst
snapshot, the dashboard and every report type. A run asserts that no step failed, every valid event
was stored once, counts reconcile, every alert reads, and nothing hostile comes out executable.

Each example costs a whole pipeline run (~1 min), so `make test` runs a few
(`SYNCMON_PBT_EXAMPLES`, default 5); `make test-nightly` runs the `nightly` profile (40).
"""

from __future__ import annotations

import csv
import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings

from syncmon_pipeline.alerts.model import SEVERITIES
from syncmon_pipeline.contract import ALERT_TYPES

from conftest import isolated_home
from contract_streams import Stream, sparse_stream, streams

pytestmark = pytest.mark.slow

NOW = datetime.now(UTC).replace(microsecond=0)
NIGHTLY = os.environ.get("HYPOTHESIS_PROFILE") == "nightly"
EXAMPLES = int(os.environ.get("SYNCMON_PBT_EXAMPLES", "40" if NIGHTLY else "5"))
EXECUTABLE = ('<script>alert("x")', "<img src=x onerror", "<b>bold</b>", "<i>s</i>")
SECRETS = ("hunter2", "eyJhbGciOi.secret.value", "ops@example.com")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# PDFs are Chromium printing the same HTML (tested in test_report_pdf): 12 of them per run cost ~40 s.
NO_PDF = "reports:\n  pdf: false\n"


def run_stream(root: Path, stream: Stream):
    from syncmon_pipeline.runner import run_once

    (root / "syncmon.yaml").write_text(NO_PDF)
    with isolated_home(root) as paths:
        stream.write(paths.landing)
        summary = run_once()
        check_run(paths, summary, stream)
        return paths, summary


def check_run(paths, summary, stream: Stream) -> None:
    assert summary.success, summary.render()
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        reasons = con.execute("SELECT reason, left(raw_text, 300) FROM raw.quarantine LIMIT 5").fetchall()
        assert summary.lines_quarantined == 0, f"valid events were quarantined: {reasons}"
        assert summary.reconciled and summary.events_inserted == stream.unique_events
        assert summary.lines_duplicate == stream.replays
        sessions = set(con.execute("SELECT integration_id, session_id FROM marts.fct_sync_sessions").fetchall())
        assert sessions == stream.sessions, "a session is (integration_id, session_id): none merged, none lost"
        for event_type, table in (("session_error", "fct_sync_errors"), ("session_conflict", "fct_sync_conflicts"),
                                  ("health_check", "fct_health_checks")):  # fmt: skip
            expected = len({e["event_id"] for e in stream.events if e["event_type"] == event_type})
            (stored,) = con.execute(f"SELECT count(*) FROM marts.{table}").fetchall()[0]
            assert stored == expected, f"{table}: {stored} rows for {expected} {event_type} events"
        health = con.execute("SELECT integration_id, status, status_reason FROM marts.mart_integration_health").fetchall()
        assert {h[0] for h in health} == stream.integrations and all(h[1] and h[2] for h in health)
        alerts = con.execute("SELECT alert_type, severity, summary FROM alerts.alerts").fetchall()
    for alert_type, severity, text in alerts:
        assert alert_type in ALERT_TYPES and severity in SEVERITIES
        assert text and text.strip() and "None" not in text, f"unreadable alert summary: {text!r}"
    with duckdb.connect(str(paths.analytics_snapshot), read_only=True) as snapshot:
        (published,) = snapshot.execute("SELECT count(*) FROM marts.fct_sync_sessions").fetchall()[0]
    assert published == len(stream.sessions)
    assert len(summary.report_paths) == 12 and summary.dashboard
    check_outputs(paths)


def check_outputs(paths) -> None:
    """Reports, the dashboard and e-mails: hostile text is inert, secrets redacted, CSV formulas neutralised."""
    outputs = [*paths.reports.rglob("*.html"), *paths.reports.rglob("*.json"), *paths.reports.rglob("*.txt"),
               *paths.outbox.glob("*.eml")]  # fmt: skip
    assert outputs
    for path in outputs:
        text = path.read_text("utf-8", errors="replace")
        for marker in SECRETS:
            assert marker not in text, f"{marker!r} was not redacted in {path}"
        if path.suffix == ".html":  # JSON, plain text and the text part of an e-mail carry text as data
            for marker in EXECUTABLE:
                assert marker not in text, f"{marker!r} came out as markup in {path}"
    for path in paths.reports.rglob("*.csv"):
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.reader(handle):
                for cell in row:
                    if cell.startswith(FORMULA_STARTS):
                        float(cell)  # only a number may start like a formula (a negative one)


# make test explores the same examples every run (CI is reproducible); the nightly run explores new ones.
@settings(max_examples=EXAMPLES, deadline=None, derandomize=not NIGHTLY, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example,
                                 HealthCheck.filter_too_much])
@given(stream=streams(now=NOW))
def test_generated_streams_flow_through_the_whole_pipeline(stream: Stream):
    with tempfile.TemporaryDirectory(prefix="contract-space-") as root:
        run_stream(Path(root), stream)


def test_a_first_run_with_no_events_succeeds_and_says_there_is_nothing_yet(tmp_path):
    from syncmon_pipeline.runner import run_once

    (tmp_path / "syncmon.yaml").write_text(NO_PDF)
    with isolated_home(tmp_path) as paths:
        summary = run_once()
        assert summary.success, summary.render()
        assert summary.nothing_yet and "nothing to ingest yet" in summary.render()
        assert str(paths.landing) in summary.render()
        assert len(summary.report_paths) == 12 and paths.dashboard.exists()


def test_sparse_events_cpu_without_memory_alert_and_report(tmp_path):
    """Regression: cpu_pct without memory_mb made resource_exhaustion's summary NULL (alert state failed
    for the whole fleet) and the performance report's cpu_saturated sentence crash."""
    stream = sparse_stream(NOW - timedelta(minutes=1))
    paths, summary = run_stream(tmp_path, stream)
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        found = con.execute(
            "SELECT integration_id, summary FROM alerts.alerts WHERE alert_type = 'resource_exhaustion'"
        ).fetchall()
    assert {f[0] for f in found} == {"sparse-a", "sparse-b"}
    assert all("memory up to n/a" in f[1] for f in found)
    performance = [p for p in summary.report_paths if "/performance/" in p]
    assert performance and all("max memory n/a" in Path(p).read_text("utf-8") for p in performance)
