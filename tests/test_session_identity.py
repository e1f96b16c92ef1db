"""Session identity: a session is (integration_id, session_id), session ids are unique per integration only.

Two integrations run sessions with the same ids (1232, 1233, 1234): every one of the canvas
integration's fails (network errors, many failed records, many unresolved conflicts, slow API calls)
while the powerschool integration's complete. The warehouse is built by dbt (`build`: models, data
tests and unit tests), then a late event for the canvas session 1234 is ingested and dbt runs again
(incremental); the marts, the reports over the published analyst snapshot and the alert rules must
keep the two integrations' sessions apart throughout.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from syncmon_pipeline.alerts.observations import observe
from syncmon_pipeline.alerts.settings import AlertingSettings
from syncmon_pipeline.config import DataPaths
from syncmon_pipeline.publish.snapshot import publish_snapshot
from syncmon_pipeline.reports.build import ReportRequest, build_report
from syncmon_pipeline.reports.period import custom_period

from conftest import make_event
from marts_support import data_dir, health_by_integration, ingest, rows, run_dbt, scalar

T = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
OK = "powerschool-district-21"  # its sessions complete
BAD = "canvas-district-22"  # its sessions, with the same ids, fail
IDS = ("1232", "1233", "1234")
LATE_INGEST = T + timedelta(hours=3)

# What each integration's sessions report (every session the same).
FIGURES = {
    OK: {"offset": 1 * MIN, "status": "completed", "end": 10 * MIN, "records": 500, "failed": 1,
         "errors": ("validation",), "conflicts": 1, "resolved": True, "api_calls": 100, "latency": 80.0},
    BAD: {"offset": 0 * MIN, "status": "failed", "end": 5 * MIN, "records": 40, "failed": 10,
          "errors": ("validation", "network", "network", "network"), "conflicts": 6, "resolved": False,
          "api_calls": 7, "latency": 900.0},
}


def event(kind: str, integration: str, at: datetime, payload: dict, session_id: str | None = None) -> dict:
    fields: dict[str, Any] = {"integration_id": integration, "provider": integration.split("-")[0],
                              "occurred_at": at.isoformat(), "payload": payload}
    if session_id is not None:
        fields["session_id"] = session_id
    return make_event(kind, **fields)


def start_of(integration: str, sid: str) -> datetime:
    return T + IDS.index(sid) * 20 * MIN + FIGURES[integration]["offset"]


def session_events(integration: str, sid: str) -> list[dict]:
    f, start = FIGURES[integration], start_of(integration, sid)
    retry = integration == BAD and sid == "1233"  # the canvas 1233 retries the canvas 1232
    events = [
        event("session_created", integration, start, {
            "sync_type": "delta", "direction": "inbound", "entity_types": ["students"],
            "triggered_by": "retry" if retry else "schedule", "retry_of": "1232" if retry else None}, sid),
        event("session_status", integration, start + timedelta(seconds=1),
              {"status": "running", "stage": "fetch", "reason": None}, sid),
    ]
    for n, category in enumerate(f["errors"]):
        events.append(event("session_error", integration, start + timedelta(seconds=60 + n), {
            "category": category, "severity": "high", "code": f"{category.upper()}-1",
            "message": f"{category} error", "entity_type": "students", "entity_id": None,
            "retryable": category == "network", "retry_count": 0}, sid))
    for n in range(f["conflicts"]):
        events.append(event("session_conflict", integration, start + timedelta(seconds=120 + n), {
            "entity_type": "students", "entity_id": str(n), "field": "email", "strategy": "source_wins",
            "resolved": f["resolved"]}, sid))
    events.append(event("session_progress", integration, start + f["end"] - 2 * MIN, {
        "stage": "load", "progress_pct": 100.0, "entity_type": "students", "records_processed": f["records"],
        "records_created": 0, "records_updated": f["records"] - f["failed"], "records_deleted": 0,
        "records_skipped": 0, "records_failed": f["failed"]}, sid))
    events.append(event("session_metrics", integration, start + f["end"] - 1 * MIN, {
        "api_calls": f["api_calls"], "api_errors": 0, "api_latency_ms_avg": f["latency"],
        "api_latency_ms_p95": 2 * f["latency"], "throughput_rps": 5.0, "cache_hits": 1, "cache_misses": 1,
        "cpu_pct": 30.0, "memory_mb": 300.0, "rate_limit_remaining": 900}, sid))
    reason = "network unreachable" if f["status"] == "failed" else None
    events.append(event("session_status", integration, start + f["end"],
                        {"status": f["status"], "stage": "load", "reason": reason}, sid))
    return events


@dataclass(frozen=True)
class Built:
    paths: DataPaths
    snapshot: Path


def write(paths: DataPaths, name: str, events: list[dict]) -> Path:
    path = paths.landing / name
    path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = tmp_path_factory.mktemp("session_identity")
    paths = data_dir(root)
    events = [e for sid in IDS for integration in (OK, BAD) for e in session_events(integration, sid)]
    ingest(paths, [write(paths, "sessions.ndjson", events)], now=T + timedelta(hours=2))
    work = root / "dbt"
    run_dbt(paths, work, "build")  # models, the data tests (unique and relationships per session) and unit tests
    with duckdb.connect(str(paths.warehouse)) as con:
        con.execute("CREATE SCHEMA first_build")
        for model in ("marts.fct_sync_sessions", "intermediate.int_session_status_history"):
            con.execute(f"CREATE TABLE first_build.{model.split('.')[1]} AS FROM {model}")

    # late and out of order, for the canvas 1234 only: a warning, and a running status before it failed
    start = start_of(BAD, "1234")
    late = [
        event("session_warning", BAD, start + 3 * MIN,
              {"code": "W1", "message": "slow page", "entity_type": None, "entity_id": None}, "1234"),
        event("session_status", BAD, start + 2 * MIN, {"status": "running", "stage": "load", "reason": None}, "1234"),
    ]
    ingest(paths, [write(paths, "late.ndjson", late)], now=LATE_INGEST)
    run_dbt(paths, work, "run")
    compiled = work / "target" / "compiled" / "syncmon" / "models" / "marts" / "fct_sync_sessions.sql"
    assert "last_ingested_at), timestamp '1970-01-01') from" in compiled.read_text(), "second run not incremental"

    with duckdb.connect(str(paths.warehouse)) as con:
        publish_snapshot(con, target=paths.analytics_snapshot, exports_dir=paths.exports,
                         published_at=LATE_INGEST + MIN)
    return Built(paths, paths.analytics_snapshot)


def sessions(paths: DataPaths, schema: str = "marts") -> dict[tuple[str, str], dict]:
    return {(r["integration_id"], r["session_id"]): r
            for r in rows(paths, f"SELECT * FROM {schema}.fct_sync_sessions")}


def test_the_same_session_id_in_two_integrations_is_two_sessions(built):
    by_key = sessions(built.paths)
    assert sorted(by_key) == sorted((i, sid) for i in (OK, BAD) for sid in IDS)
    for sid in IDS:
        ok, bad = by_key[(OK, sid)], by_key[(BAD, sid)]
        assert (ok["status"], ok["outcome"], ok["provider"]) == ("completed", "succeeded", "powerschool")
        assert (bad["status"], bad["outcome"], bad["provider"]) == ("failed", "failed", "canvas")
        assert ok["started_at"] == start_of(OK, sid).replace(tzinfo=None)
        assert bad["ended_at"] == (start_of(BAD, sid) + 5 * MIN).replace(tzinfo=None)
        assert (ok["duration_seconds"], bad["duration_seconds"]) == (600, 300)
        assert bad["status_reason"] == "network unreachable" and ok["status_reason"] is None


def test_facts_are_attributed_to_their_own_integration(built):
    by_key = sessions(built.paths)
    for sid in IDS:
        ok, bad = by_key[(OK, sid)], by_key[(BAD, sid)]
        assert (ok["records_processed"], ok["records_failed"], ok["error_count"], ok["conflict_count"]) == (500, 1, 1, 1)
        assert (bad["records_processed"], bad["records_failed"], bad["error_count"], bad["conflict_count"]) == (40, 10, 4, 6)
        assert (ok["last_error_category"], bad["last_error_category"]) == ("validation", "network")
    assert by_key[(BAD, "1234")]["warning_count"] == 1 and by_key[(OK, "1234")]["warning_count"] == 0

    progress = rows(built.paths, """
        SELECT integration_id, session_id, records_processed FROM intermediate.int_session_entity_progress
        WHERE session_id = '1234' ORDER BY integration_id""")
    assert [(r["integration_id"], r["records_processed"]) for r in progress] == [(BAD, 40), (OK, 500)]
    entities = {r["integration_id"]: r for r in rows(built.paths, """
        SELECT * FROM marts.mart_entity_metrics WHERE entity_type = 'students'""")}
    assert (entities[OK]["sessions_reporting"], entities[OK]["records_processed"]) == (3, 1500)
    assert (entities[BAD]["sessions_reporting"], entities[BAD]["records_processed"]) == (3, 120)
    assert (entities["__all__"]["sessions_reporting"], entities["__all__"]["conflicts_unresolved"]) == (6, 18)
    daily = {r["integration_id"]: r for r in rows(built.paths, "SELECT * FROM marts.mart_sync_timeseries_daily")}
    assert (daily[OK]["sessions_completed"], daily[OK]["sessions_failed"], daily[OK]["errors_network"]) == (3, 0, 0)
    assert (daily[BAD]["sessions_completed"], daily[BAD]["sessions_failed"], daily[BAD]["errors_network"]) == (0, 3, 9)
    assert daily["__all__"]["sessions_started"] == 6


def test_a_retry_refers_to_a_session_of_its_own_integration(built):
    (retry,) = rows(built.paths, """
        SELECT retry.integration_id, original.status AS original_status
        FROM marts.fct_sync_sessions AS retry
        JOIN marts.fct_sync_sessions AS original
            ON original.integration_id = retry.integration_id AND original.session_id = retry.retry_of
        WHERE retry.triggered_by = 'retry'""")
    assert retry == {"integration_id": BAD, "original_status": "failed"}


def test_integration_health_is_computed_per_integration(built):
    health = health_by_integration(built.paths)
    ok, bad = health[OK], health[BAD]
    assert (ok["status"], ok["consecutive_failures"], ok["success_rate_24h"]) == ("healthy", 0, 1.0)
    assert (ok["sessions_started"], ok["latest_session_status"]) == (3, "completed")
    assert list(ok["open_error_categories"] or []) == []
    assert (bad["status"], bad["consecutive_failures"], bad["success_rate_24h"]) == ("down", 3, 0.0)
    assert (bad["sessions_started"], bad["latest_session_status"]) == (3, "failed")
    assert list(bad["open_error_categories"]) == ["network", "validation"]
    assert scalar(built.paths, """
        SELECT count(*) FROM intermediate.int_session_state_as_of WHERE session_id = '1234'""") == 2


def test_an_incremental_rebuild_for_one_integration_leaves_the_other_alone(built):
    before, after = sessions(built.paths, "first_build"), sessions(built.paths)
    assert len(after) == len(before) == 6
    for key in before:
        if key != (BAD, "1234"):
            assert after[key] == before[key], key
    touched, untouched = after[(BAD, "1234")], before[(BAD, "1234")]
    assert touched["last_ingested_at"] == LATE_INGEST.replace(tzinfo=None) != untouched["last_ingested_at"]
    assert (touched["warning_count"], untouched["warning_count"]) == (1, 0)
    assert (touched["status"], touched["ended_at"]) == ("failed", untouched["ended_at"])

    history = """
        SELECT integration_id, status_seq, status, occurred_at, duration_seconds
        FROM {schema}.int_session_status_history WHERE session_id = '1234' ORDER BY integration_id, status_seq"""
    old = rows(built.paths, history.format(schema="first_build"))
    new = rows(built.paths, history.format(schema="intermediate"))
    assert [r for r in new if r["integration_id"] == OK] == [r for r in old if r["integration_id"] == OK]
    assert [(r["status_seq"], r["status"]) for r in new if r["integration_id"] == BAD] == [
        (1, "running"), (2, "running"), (3, "failed")]


@pytest.fixture(scope="module")
def report(built):
    """A custom report (every section) over the published snapshot, for the period of the two sessions 1234."""
    period = custom_period(T + 35 * MIN, T + 55 * MIN, "UTC", "identity")
    with duckdb.connect(str(built.snapshot), read_only=True) as con:
        return build_report(con, ReportRequest("custom", period), generated_at=LATE_INGEST + 2 * MIN)


def table(report, key: str) -> list[dict]:
    return next(t for t in report.tables if t.key == key).records()


def test_reports_count_two_sessions(report):
    figures = {f.key: f.value for f in report.summary}
    assert (figures["sessions"], figures["integrations_active"], figures["records_processed"]) == (2, 2, 540)
    assert (figures["errors"], figures["conflicts"], figures["conflicts_unresolved"], figures["warnings"]) == (5, 7, 6, 1)
    usage = {r["integration_id"]: r for r in table(report, "usage-usage_by_integration")}
    assert {k: (r["sessions"], r["records_processed"]) for k, r in usage.items()} == {OK: (1, 500), BAD: (1, 40)}
    by_category = {r["category"]: r for r in table(report, "data_quality-errors_by_category")}
    assert (by_category["validation"]["sessions_affected"], by_category["validation"]["integrations"]) == (2, 2)
    assert (by_category["network"]["sessions_affected"], by_category["network"]["errors"]) == (1, 3)
    api = {r["integration_id"]: r for r in table(report, "performance-api_by_integration")}
    assert {k: (r["api_calls"], r["latency_avg"]) for k, r in api.items()} == {OK: (100, 80.0), BAD: (7, 900.0)}
    quality = {r["integration_id"]: r for r in table(report, "data_quality-quality_by_integration")}
    assert {k: (r["records_processed"], r["errors"], r["conflicts"], r["warnings"]) for k, r in quality.items()} == {
        OK: (500, 1, 1, 0), BAD: (40, 4, 6, 1)}


@pytest.mark.parametrize("rule", ["sync_failure", "high_error_rate", "conflict_spike", "data_quality_issue"])
def test_alert_rules_fire_only_for_the_failing_integration(built, rule):
    tick = T + 52 * MIN  # every session has ended
    with duckdb.connect(str(built.paths.warehouse), read_only=True) as con:
        seen = observe(con, [tick], AlertingSettings(), rules=[rule])
    assert [(o.rule, o.integration_id) for o in seen] == [(rule, BAD)]
    cited = seen[0].evidence["session_ids"]
    assert cited and set(cited) <= set(IDS)
