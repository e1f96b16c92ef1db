"""The ten alert rules (`alerts.observations`) and the backtest (`alerts.backtest`).

Two warehouses per module:
- a hand-made one: crafted events for one integration per scenario, built into marts by dbt, where
  each rule must fire on its condition, stay quiet just below its threshold, honour per-provider and
  per-integration overrides, and cite only evidence from before the evaluation time;
- a simulated one (12 integrations x 8 days, every kind of incident, built by `run_once`), where the
  replay through the engine must raise an alert of the right type for the right integration within
  every injected incident's window.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from syncmon_pipeline.alerts.backtest import backtest, replay_ticks
from syncmon_pipeline.alerts.catalog import RULE_CATALOG
from syncmon_pipeline.alerts.model import Observation
from syncmon_pipeline.alerts.observations import MAX_SESSION_IDS, observe
from syncmon_pipeline.alerts.settings import AlertingSettings
from syncmon_pipeline.config import DataPaths
from syncmon_pipeline.simulator import read_truth, simulate_history
from syncmon_pipeline.sql_files import run_sql_file

from conftest import isolated_home, make_event
from marts_support import data_dir, ingest, run_dbt

T = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


class Events:
    """Contract-v1 events for crafted scenarios: sessions with their errors, records, conflicts and metrics."""

    def __init__(self) -> None:
        self.events: list[dict] = []
        self.started: dict[str, datetime] = {}  # session id -> start
        self.ended: dict[str, datetime] = {}  # session id -> end

    def _add(self, kind: str, integration: str, at: datetime, payload: dict, sid: str | None = None) -> None:
        fields: dict[str, Any] = {"integration_id": integration, "provider": integration.split("-")[0],
                                  "occurred_at": at.isoformat(), "payload": payload}
        if sid is not None:
            fields["session_id"] = sid
        self.events.append(make_event(kind, **fields))

    def session(self, integration: str, start: datetime, status: str = "completed", *, seconds: float = 60,
                errors: tuple[str, ...] = (), records: int = 0, failed: int = 0, conflicts: int = 0,
                cpu: float | None = None) -> str:
        sid = f"{integration}-{uuid.uuid4().hex[:8]}"
        end = start + timedelta(seconds=seconds)
        self._add("session_created", integration, start, {
            "sync_type": "delta", "direction": "inbound", "entity_types": ["students"],
            "triggered_by": "schedule", "retry_of": None}, sid)
        self._add("session_status", integration, start + timedelta(seconds=1),
                  {"status": "running", "stage": "fetch", "reason": None}, sid)
        for n, category in enumerate(errors):
            self._add("session_error", integration, start + timedelta(seconds=2 + n * 0.01), {
                "category": category, "severity": "high", "code": "E1", "message": f"{category} error",
                "entity_type": "students", "entity_id": None, "retryable": False, "retry_count": 0}, sid)
        if records:
            self._add("session_progress", integration, end - timedelta(seconds=3), {
                "stage": "load", "progress_pct": 100.0, "entity_type": "students", "records_processed": records,
                "records_created": 0, "records_updated": records - failed, "records_deleted": 0,
                "records_skipped": 0, "records_failed": failed}, sid)
        for n in range(conflicts):
            self._add("session_conflict", integration, start + timedelta(seconds=3 + n * 0.01), {
                "entity_type": "students", "entity_id": str(n), "field": "email", "strategy": "source_wins",
                "resolved": True}, sid)
        if cpu is not None:
            self._add("session_metrics", integration, end - timedelta(seconds=2), {
                "api_calls": 10, "api_errors": 0, "api_latency_ms_avg": 80.0, "api_latency_ms_p95": 200.0,
                "throughput_rps": 5.0, "cache_hits": 1, "cache_misses": 1, "cpu_pct": cpu, "memory_mb": 300.0,
                "rate_limit_remaining": 900}, sid)
        self._add("session_status", integration, end, {"status": status, "stage": None, "reason": None}, sid)
        self.started[sid], self.ended[sid] = start, end
        return sid

    def check(self, integration: str, at: datetime, *, reachable: bool = True, auth: str = "valid",
              remaining: int = 800, latency: float = 90.0) -> None:
        self._add("health_check", integration, at, {
            "reachable": reachable, "latency_ms": latency if reachable else None,
            "auth_status": auth if reachable else None, "rate_limit_remaining": remaining if reachable else None,
            "message": None if reachable else "connection timed out"})


@dataclass(frozen=True)
class Crafted:
    paths: DataPaths
    sessions: dict[str, list[str]]  # scenario -> its session ids, in order
    started: dict[str, datetime]
    ended: dict[str, datetime]

    def observe(self, at: datetime | list[datetime], settings: AlertingSettings | None = None,
                rule: str | None = None) -> list[Observation]:
        ticks = at if isinstance(at, list) else [at]
        with duckdb.connect(str(self.paths.warehouse), read_only=True) as con:
            return observe(con, ticks, settings or AlertingSettings(), rules=[rule] if rule else None)


def scenario_events() -> tuple[Events, dict[str, list[str]]]:
    ev, s = Events(), {}
    # sync_failure: 8 good runs, then failures ending T+1, T+16, T+31 min
    for k in range(8):
        ev.session("canvas-university-1", T - timedelta(minutes=120 - 15 * k))
    s["sync_failure"] = [ev.session("canvas-university-1", T + k * 15 * MIN, "failed", errors=("system",))
                         for k in range(3)]
    # integration_down: unreachable from T (every 5 min); a blip: two unreachable checks, then fine
    for k in range(-12, 4):
        ev.check("clever-district-2", T + 5 * k * MIN, reachable=k < 0)
        ev.check("clever-district-3", T + 5 * k * MIN, reachable=k not in (0, 1))
    # authentication_failure: expired at T and T+5, a session failing on authentication at T+2
    for k in range(-6, 4):
        ev.check("workday-tenant-4", T + 5 * k * MIN, auth="expired" if k in (0, 1) else "valid")
        ev.check("workday-tenant-5", T + 5 * k * MIN, auth="expired" if k == 0 else "valid")
    s["authentication_failure"] = [ev.session("workday-tenant-4", T + 2 * MIN, "failed", seconds=5,
                                              errors=("authentication",))]
    # rate_limit_exceeded: 5 rate_limit errors in one run; 4 elsewhere, plus health checks out of quota
    s["rate_limit_exceeded"] = [ev.session("bamboohr-company-6", T, "completed_with_warnings", seconds=120,
                                           errors=("rate_limit",) * 5)]
    ev.session("bamboohr-company-7", T, "completed_with_warnings", seconds=120, errors=("rate_limit",) * 4)
    for k in (1, 2):
        ev.check("bamboohr-company-7", T + 5 * k * MIN, remaining=3)
    # timeout_threshold: 2 of the last 3 runs time out; elsewhere two timeouts three good runs apart
    s["timeout_threshold"] = [ev.session("schoology-district-8", T - 120 * MIN, "timed_out", seconds=1800),
                              ev.session("schoology-district-8", T - 60 * MIN),
                              ev.session("schoology-district-8", T, "timed_out", seconds=1800)]
    for k, status in enumerate(("timed_out", "completed", "completed", "completed")):
        ev.session("schoology-district-9", T - (4 - k) * 45 * MIN, status, seconds=1800 if k == 0 else 60)
    ev.session("schoology-district-9", T, "timed_out", seconds=1800)
    # high_error_rate: two runs with 3 system errors each; elsewhere two runs with 1 error each
    s["high_error_rate"] = [ev.session("netsuite-subsidiary-10", T + k * 15 * MIN, "partially_completed",
                                       errors=("system", "network", "system")) for k in range(2)]
    for k in range(2):
        ev.session("netsuite-subsidiary-11", T + k * 15 * MIN, "completed_with_warnings", errors=("system",))
    # data_quality_issue: two runs with 30 % records failed; a run with 10 validation errors
    s["data_quality_issue"] = [ev.session("infinite-campus-district-12", T + k * 15 * MIN, "partially_completed",
                                          records=100, failed=30) for k in range(2)]
    s["validation"] = [ev.session("infinite-campus-district-13", T, "completed_with_warnings", records=1000,
                                  errors=("validation",) * 10)]
    # conflict_spike and resource_exhaustion: two bad runs each
    s["conflict_spike"] = [ev.session("powerschool-district-14", T + k * 15 * MIN, records=50, conflicts=6)
                           for k in range(2)]
    s["resource_exhaustion"] = [ev.session("canvas-university-15", T + k * 15 * MIN, cpu=98.0) for k in range(2)]
    # performance_degradation: a week of 100 ms health checks, then 400 ms (150 ms elsewhere) from T - 30 min
    for day in range(1, 8):
        for hour in range(0, 24, 3):
            for integration in ("clever-district-16", "clever-district-17"):
                ev.check(integration, T - timedelta(days=day, hours=hour), latency=100.0)
    for k in range(-3, 1):
        ev.check("clever-district-16", T + 10 * k * MIN, latency=400.0)
        ev.check("clever-district-17", T + 10 * k * MIN, latency=150.0)
    return ev, s


@pytest.fixture(scope="module")
def crafted(tmp_path_factory: pytest.TempPathFactory) -> Crafted:
    root = tmp_path_factory.mktemp("alert_rules")
    paths = data_dir(root)
    ev, sessions = scenario_events()
    landing = paths.landing / "crafted.ndjson"
    landing.write_text("".join(json.dumps(e) + "\n" for e in ev.events), encoding="utf-8")
    ingest(paths, [landing], now=T + timedelta(hours=2))
    run_dbt(paths, root / "dbt", "run", "--select", "+dim_integrations", "+fct_session_metrics")  # what rules read
    with duckdb.connect(str(paths.warehouse)) as con:  # two latency anomalies: one complete by T + 5 min, one not
        run_sql_file(con, "syncmon_pipeline.anomaly", "anomaly_tables.sql")
        for bucket in (T - timedelta(hours=1), T):
            con.execute(
                "INSERT INTO anomaly.anomaly_scores VALUES ('clever-district-16', 'health_check_latency_ms', ?,"
                " 400, 100, 50, 150, 0.97, true, 'spike', 'test', ?)",
                [bucket.replace(tzinfo=None), (T + timedelta(hours=2)).replace(tzinfo=None)],
            )
    return Crafted(paths, sessions, ev.started, ev.ended)


def only(observations: list[Observation], integration: str, rule: str | None = None) -> list[Observation]:
    return [o for o in observations if o.integration_id == integration and (rule is None or o.rule == rule)]


def settings_with(rule: str, *overrides: dict, thresholds: dict | None = None) -> AlertingSettings:
    return AlertingSettings.model_validate(
        {"rules": {rule: {"thresholds": thresholds or {}, "overrides": list(overrides)}}}
    )


# -- each rule fires on its condition, not below its threshold --------------------------------------


def test_sync_failure_fires_on_the_third_failure_in_a_row_citing_those_sessions(crafted):
    failures = crafted.sessions["sync_failure"]
    assert only(crafted.observe(T + 20 * MIN, rule="sync_failure"), "canvas-university-1") == []
    (seen,) = only(crafted.observe(T + 35 * MIN, rule="sync_failure"), "canvas-university-1")
    assert (seen.alert_type, seen.provider, seen.value, seen.threshold) == ("sync_failure", "canvas", 3.0, 3.0)
    assert seen.evidence["session_ids"] == failures[::-1]
    assert seen.started_at == crafted.ended[failures[0]] and seen.observed_at == T + 35 * MIN
    assert "3 of the last 4 finished sessions failed" in seen.summary and "system" in seen.summary


def test_overrides_per_provider_and_integration_with_the_integration_winning(crafted):
    lower = {"integration_id": "canvas-university-1", "thresholds": {"consecutive_failures": 2}}
    higher = {"provider": "canvas", "thresholds": {"consecutive_failures": 5}}
    (early,) = only(crafted.observe(T + 20 * MIN, settings_with("sync_failure", lower)), "canvas-university-1")
    assert early.threshold == 2 and len(early.evidence["session_ids"]) == 2
    assert only(crafted.observe(T + 35 * MIN, settings_with("sync_failure", higher)), "canvas-university-1") == []
    both = settings_with("sync_failure", higher, lower)
    assert only(crafted.observe(T + 20 * MIN, both), "canvas-university-1")[0].threshold == 2
    off = settings_with("sync_failure", {"integration_id": "canvas-university-1", "enabled": False})
    assert only(crafted.observe(T + 35 * MIN, off), "canvas-university-1", "sync_failure") == []


def test_integration_down_needs_three_unreachable_checks_and_ignores_a_blip(crafted):
    ticks = [T + k * MIN for k in range(0, 40)]
    seen = only(crafted.observe(ticks, rule="integration_down"), "clever-district-2")
    assert seen[0].observed_at == T + 10 * MIN and seen[0].started_at == T
    assert {o.observed_at for o in seen} == set(ticks[10:])
    assert all(o.started_at == T for o in seen), "the streak keeps its first evidence"
    assert only(crafted.observe(ticks, rule="integration_down"), "clever-district-3") == []


def test_authentication_failure_counts_expired_checks_and_authentication_errors(crafted):
    assert only(crafted.observe(T + 1 * MIN, rule="authentication_failure"), "workday-tenant-4") == []
    (seen,) = only(crafted.observe(T + 3 * MIN, rule="authentication_failure"), "workday-tenant-4")
    assert seen.value == 2 and seen.evidence["session_ids"] == crafted.sessions["authentication_failure"]
    assert seen.evidence["figures"]["last_auth_status"] == "expired" and seen.started_at == T
    ticks = [T + k * MIN for k in range(0, 60, 5)]
    assert only(crafted.observe(ticks, rule="authentication_failure"), "workday-tenant-5") == []


def test_rate_limit_exceeded_by_errors_or_by_health_checks_out_of_quota(crafted):
    (seen,) = only(crafted.observe(T + 3 * MIN, rule="rate_limit_exceeded"), "bamboohr-company-6")
    assert seen.value == 5 and seen.evidence["session_ids"] == crafted.sessions["rate_limit_exceeded"]
    assert only(crafted.observe(T + 6 * MIN, rule="rate_limit_exceeded"), "bamboohr-company-7") == []
    (by_checks,) = only(crafted.observe(T + 11 * MIN, rule="rate_limit_exceeded"), "bamboohr-company-7")
    assert by_checks.value == 2 and by_checks.evidence["figures"]["lowest_remaining"] == 3


def test_timeout_threshold_counts_recent_timeouts_and_a_run_stalled_past_its_limit(crafted):
    first, _, last = crafted.sessions["timeout_threshold"]
    assert only(crafted.observe(T + 19 * MIN, rule="timeout_threshold"), "schoology-district-8") == []
    (stalled,) = only(crafted.observe(T + 21 * MIN, rule="timeout_threshold"), "schoology-district-8")
    assert stalled.value == 2 and stalled.evidence["figures"]["stalled_session_ids"] == [last]
    assert stalled.started_at == crafted.ended[first] and "running past its stall limit" in stalled.summary
    (seen,) = only(crafted.observe(T + 31 * MIN, rule="timeout_threshold"), "schoology-district-8")
    assert seen.value == 2 and seen.evidence["session_ids"] == [last, first]
    ticks = [T + k * MIN for k in range(-200, 60, 5)]
    assert only(crafted.observe(ticks, rule="timeout_threshold"), "schoology-district-9") == []


def test_high_error_rate_needs_errors_in_most_sessions_and_several_per_session(crafted):
    assert only(crafted.observe(T + 5 * MIN, rule="high_error_rate"), "netsuite-subsidiary-10") == []
    (seen,) = only(crafted.observe(T + 20 * MIN, rule="high_error_rate"), "netsuite-subsidiary-10")
    assert seen.value == 1.0 and seen.evidence["figures"]["errors"] == 6
    assert set(seen.evidence["session_ids"]) == set(crafted.sessions["high_error_rate"])
    assert only(crafted.observe(T + 20 * MIN, rule="high_error_rate"), "netsuite-subsidiary-11") == []


def test_data_quality_issue_by_failed_records_or_by_validation_errors(crafted):
    assert only(crafted.observe(T + 5 * MIN, rule="data_quality_issue"), "infinite-campus-district-12") == []
    (seen,) = only(crafted.observe(T + 20 * MIN, rule="data_quality_issue"), "infinite-campus-district-12")
    assert seen.value == pytest.approx(0.3) and seen.evidence["figures"]["records_failed"] == 60
    (invalid,) = only(crafted.observe(T + 2 * MIN, rule="data_quality_issue"), "infinite-campus-district-13")
    assert invalid.value == 10 and invalid.evidence["session_ids"] == crafted.sessions["validation"]
    looser = settings_with("data_quality_issue", thresholds={"min_sessions": 1})
    assert only(crafted.observe(T + 5 * MIN, looser), "infinite-campus-district-12", "data_quality_issue")


@pytest.mark.parametrize(("rule", "integration"), [("conflict_spike", "powerschool-district-14"),
                                                   ("resource_exhaustion", "canvas-university-15")])
def test_conflict_spike_and_resource_exhaustion_need_two_bad_runs(crafted, rule, integration):
    first, second = crafted.sessions[rule]
    assert only(crafted.observe(T + 5 * MIN, rule=rule), integration) == []
    (seen,) = only(crafted.observe(T + 20 * MIN, rule=rule), integration)
    assert seen.value == 2 and seen.evidence["session_ids"] == [second, first]


def test_performance_degradation_against_the_weekly_baseline_with_anomaly_rows(crafted):
    (seen,) = only(crafted.observe(T + 5 * MIN, rule="performance_degradation"), "clever-district-16")
    assert seen.value == pytest.approx(4.0) and seen.evidence["figures"]["health_check_latency_baseline_ms"] == 100
    (row,) = seen.evidence["anomalies"]  # the hour starting at T is not over at T + 5 min: not cited
    assert row["metric"] == "health_check_latency_ms" and row["bucket_start"].startswith("2026-11-27 09:00")
    assert only(crafted.observe(T + 5 * MIN, rule="performance_degradation"), "clever-district-17") == []


def test_evidence_cites_only_what_happened_by_the_tick(crafted):
    ticks = [T + k * MIN for k in range(-30, 60, 2)]
    observations = crafted.observe(ticks)
    assert {o.rule for o in observations} == set(RULE_CATALOG)
    for o in observations:
        still_running = set(o.evidence["figures"].get("stalled_session_ids") or ())  # cited as running at the tick
        for sid in o.evidence["session_ids"]:
            assert crafted.started[sid] <= o.observed_at, (o.rule, sid)
            assert sid in still_running or crafted.ended[sid] <= o.observed_at, (o.rule, sid)
        assert o.started_at <= o.observed_at
        for row in o.evidence.get("anomalies", []):
            assert datetime.fromisoformat(row["bucket_start"]).replace(tzinfo=UTC) + timedelta(hours=1) <= o.observed_at


def test_a_live_tick_sees_what_the_same_tick_of_a_backtest_sees(crafted):
    ticks = [T + k * MIN for k in (3, 12, 21, 35)]
    batch = {(o.rule, o.integration_id, o.observed_at): (o.value, o.summary) for o in crafted.observe(ticks)}
    single = {(o.rule, o.integration_id, o.observed_at): (o.value, o.summary)
              for t in ticks for o in crafted.observe(t)}
    assert batch == single and batch


def test_no_marts_no_observations(tmp_path):
    with duckdb.connect(str(tmp_path / "empty.duckdb")) as con:
        assert observe(con, [T], AlertingSettings()) == []


# -- over simulated history: every injected incident raises the right alert in its window -----------

SIM_END = datetime(2026, 11, 20, tzinfo=UTC)
SIM_DAYS = 8
GRACE = timedelta(minutes=30)


@dataclass(frozen=True)
class Simulated:
    warehouse: Path
    truth: list[dict]


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Simulated:
    """12 integrations x 8 days (seed 7: every kind of incident), built by run_once like `syncmon run-once`."""
    root = tmp_path_factory.mktemp("alert_rules_sim")
    with isolated_home(root) as paths:
        simulate_history(paths.landing, integrations=12, days=SIM_DAYS, seed=7, end=SIM_END,
                         truth_path=root / "truth.json")  # fmt: skip
        from syncmon_pipeline.runner import run_once

        assert run_once(reports=False).success
    return Simulated(paths.warehouse, read_truth(root / "truth.json"))


@pytest.fixture(scope="module")
def replayed(simulated: Simulated):
    with duckdb.connect(str(simulated.warehouse), read_only=True) as con:
        return backtest(con, since=SIM_END - timedelta(days=SIM_DAYS), until=SIM_END, step=timedelta(minutes=5),
                        settings=AlertingSettings())  # fmt: skip


def _overlaps(alert, start: datetime, end: datetime, until: datetime) -> bool:
    return alert.fired_at <= end and (alert.resolved_at or until) >= start


def test_every_injected_incident_raises_its_alert_within_its_window(simulated, replayed):
    assert {t["kind"] for t in simulated.truth} == set(RULE_CATALOG), "the fixture must cover every kind"
    missed, outside = [], []
    for t in simulated.truth:
        start, end = datetime.fromisoformat(t["start"]), datetime.fromisoformat(t["end"]) + GRACE
        if not any(a.rule == t["kind"] and a.integration_id == t["integration_id"]
                   and _overlaps(a, start, end, replayed.until) for a in replayed.alerts):
            missed.append(f"{t['kind']} {t['integration_id']} {t['start']}")
    for alert in replayed.alerts:
        windows = [t for t in simulated.truth if t["integration_id"] == alert.integration_id]
        if not any(_overlaps(alert, datetime.fromisoformat(t["start"]), datetime.fromisoformat(t["end"]) + GRACE,
                             replayed.until) for t in windows):
            outside.append(alert)
    print(f"\n{len(simulated.truth)} incidents, {len(replayed.alerts)} alerts,"
          f" {len(outside)} outside incident windows:")
    for alert in outside:
        print(f"  {alert.rule} {alert.integration_id} fired {alert.fired_at:%m-%d %H:%M}: {alert.summary}")
    assert missed == []
    assert len(outside) <= 2, "false alarms should stay rare"


def test_backtest_report_renders_and_serialises(replayed):
    text = replayed.render()
    assert "totals per rule:" in text and "nothing was sent" in text
    assert all(rule in text for rule in RULE_CATALOG)
    body = json.loads(replayed.to_json())
    assert len(body["alerts"]) == len(replayed.alerts) and body["notifications"] == replayed.notifications
    first = body["alerts"][0]
    assert {"rule", "integration_id", "severity", "fired_at", "resolved_at", "notifications"} <= set(first)
    assert replayed.notifications > 0 and sum(replayed.notifications_by_transition.values()) == replayed.notifications


def test_backtest_of_one_rule_enables_it_for_the_replay(simulated):
    disabled = AlertingSettings.model_validate({"rules": {"integration_down": {"enabled": False}}})
    with duckdb.connect(str(simulated.warehouse), read_only=True) as con:
        report = backtest(con, since=SIM_END - timedelta(days=SIM_DAYS), until=SIM_END, step=timedelta(minutes=10),
                          settings=disabled, rule="integration_down")  # fmt: skip
    downs = [t for t in simulated.truth if t["kind"] == "integration_down"]
    assert report.rules == ("integration_down",) and {a.rule for a in report.alerts} == {"integration_down"}
    assert len(report.alerts) >= len(downs)


def test_simulated_evidence_never_looks_ahead(simulated):
    with duckdb.connect(str(simulated.warehouse), read_only=True) as con:
        ticks = replay_ticks(SIM_END - timedelta(days=SIM_DAYS), SIM_END, timedelta(minutes=30))
        observations = observe(con, ticks, AlertingSettings())
        sessions = dict(con.execute("SELECT session_id, first_event_at FROM marts.fct_sync_sessions").fetchall())
    assert {o.rule for o in observations} == set(RULE_CATALOG)
    for o in observations:
        tick = o.observed_at.replace(tzinfo=None)
        assert o.started_at <= o.observed_at
        assert len(o.evidence["session_ids"]) <= MAX_SESSION_IDS
        assert all(sessions[s] <= tick for s in o.evidence["session_ids"]), o
