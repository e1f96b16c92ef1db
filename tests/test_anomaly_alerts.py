"""Session anomalies as alert triggers: an anomalous session raises the alert type its measure belongs to.

One warehouse built by `run-once` from crafted history: every 20 minutes for eight days, an ordinary
session (noisy API latency, duration, volume, CPU and memory) per integration; then, in the last hour,
one session of `int-latency` with ten times its usual API latency, one of `int-volume` with a tenth of
its usual records and one of `int-memory` with four times its usual memory. `int-quiet` stays ordinary.
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from syncmon_pipeline.alerts.observations import observe, with_anomaly_rows
from syncmon_pipeline.alerts.settings import AlertingSettings

from conftest import isolated_home, make_event

NOW = datetime.now(UTC).replace(microsecond=0)
HISTORY = timedelta(days=8)  # anomalies page once a series holds a week
EVERY = timedelta(minutes=20)
ANOMALOUS = {  # integration -> (measure, factor) of its last session
    "int-latency": ("api_latency_ms_avg", 10.0),
    "int-volume": ("records_processed", 0.1),
    "int-memory": ("memory_mb", 4.0),
}
QUIET = "int-quiet"


def session_events(integration: str, start: datetime, rng: random.Random, factor: tuple[str, float] | None) -> list[dict]:
    """The events of one completed session with ordinary noisy measures, one of them scaled by `factor`."""
    measures = {
        "api_latency_ms_avg": 120 * rng.lognormvariate(0, 0.08), "records_processed": round(4000 * rng.lognormvariate(0, 0.05)),
        "memory_mb": 600 * rng.lognormvariate(0, 0.04), "cpu_pct": 35 * rng.lognormvariate(0, 0.08),
        "seconds": 240 * rng.lognormvariate(0, 0.06),
    }  # fmt: skip
    if factor is not None:
        measure, times = factor
        measures[measure] = round(measures[measure] * times) if measure == "records_processed" else measures[measure] * times
    sid = f"{integration}-{uuid.uuid4().hex[:10]}"
    end = start + timedelta(seconds=measures["seconds"])

    def event(kind: str, at: datetime, payload: dict) -> dict:
        return make_event(kind, integration_id=integration, provider="canvas", session_id=sid,
                          occurred_at=at.isoformat(), payload=payload)  # fmt: skip

    records = measures["records_processed"]
    return [
        event("session_created", start, {"sync_type": "incremental", "direction": "inbound", "entity_types": ["students"],
                                         "triggered_by": "schedule", "retry_of": None}),
        event("session_status", start + timedelta(seconds=1), {"status": "running", "stage": "fetch", "reason": None}),
        event("session_progress", end - timedelta(seconds=3), {
            "stage": "load", "progress_pct": 100.0, "entity_type": "students", "records_processed": records,
            "records_created": 0, "records_updated": records, "records_deleted": 0, "records_skipped": 0,
            "records_failed": 0}),
        event("session_metrics", end - timedelta(seconds=2), {
            "api_calls": 200, "api_errors": 0, "api_latency_ms_avg": measures["api_latency_ms_avg"],
            "api_latency_ms_p95": 2.5 * measures["api_latency_ms_avg"], "throughput_rps": records / measures["seconds"],
            "cache_hits": 10, "cache_misses": 2, "cpu_pct": measures["cpu_pct"], "memory_mb": measures["memory_mb"],
            "rate_limit_remaining": 900}),
        event("session_status", end, {"status": "completed", "stage": None, "reason": None}),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("anomaly_alerts")
    with isolated_home(root) as paths:
        rng = random.Random(7)
        events: list[dict] = []
        last_start = NOW - timedelta(minutes=30)
        for integration in [*ANOMALOUS, QUIET]:
            start = last_start - HISTORY
            while start < last_start:
                events += session_events(integration, start, rng, None)
                start += EVERY
            events += session_events(integration, last_start, rng, ANOMALOUS.get(integration))
        (paths.landing / "history.ndjson").write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
        from syncmon_pipeline.runner import run_once

        summary = run_once(reports=False)
        yield paths, summary


def firing(paths, integration: str) -> list[tuple[str, dict, str]]:
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        rows = con.execute(
            "SELECT rule, evidence, summary FROM alerts.alerts WHERE integration_id = ? AND status = 'firing'",
            [integration],
        ).fetchall()
    return [(rule, json.loads(evidence), summary) for rule, evidence, summary in rows]


@pytest.mark.parametrize(
    ("integration", "rule", "measure"),
    [
        ("int-latency", "performance_degradation", "api_latency_ms"),
        ("int-volume", "data_quality_issue", "records_processed"),
        ("int-memory", "resource_exhaustion", "memory_mb"),
    ],
)
def test_run_once_raises_the_alert_an_anomalous_session_belongs_to_with_the_anomaly_as_evidence(
    built, integration, rule, measure
):
    paths, summary = built
    assert summary.success
    alerts = firing(paths, integration)
    assert [a[0] for a in alerts] == [rule], alerts
    _, evidence, text = alerts[0]
    # the session's anomaly, with its value, expected value, band and score (whether it alone triggered
    # the rule or the rule's own condition held too)
    (anomaly,) = [a for a in evidence["session_anomalies"] if a["measure"] == measure]
    assert anomaly["score"] >= 0.5 and anomaly["lower_band"] <= anomaly["expected"] <= anomaly["upper_band"]
    assert not anomaly["lower_band"] <= anomaly["value"] <= anomaly["upper_band"]  # outside the band
    factor = ANOMALOUS[integration][1]
    assert anomaly["ratio"] == pytest.approx(max(factor, 1 / factor), rel=0.35)
    assert anomaly["session_id"] in evidence["session_ids"]
    if evidence.get("trigger") == "session_anomaly":  # the anomaly alone: it is the alert's headline
        assert evidence["figures"]["measure"] == measure and evidence["figures"]["score"] == anomaly["score"]
        assert measure.replace("_", " ") in text and "anomaly score" in text


def test_an_ordinary_integration_raises_nothing(built):
    paths, _ = built
    assert firing(paths, QUIET) == []
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        flagged = con.execute(
            "SELECT greatest(value / nullif(expected, 0), expected / nullif(value, 0)) FROM anomaly.session_anomaly_scores"
            " WHERE integration_id = ? AND is_anomaly", [QUIET]
        ).fetchall()  # fmt: skip
        (points,) = con.execute(
            "SELECT count(*) FROM anomaly.session_anomaly_scores WHERE integration_id = ?", [QUIET]
        ).fetchall()[0]
    # the detector's rare marginal alarms on ordinary noise, none of them material (the trigger asks for 2x)
    assert points >= 7 * 200 and len(flagged) <= points * 0.005
    assert all(ratio < 1.5 for (ratio,) in flagged), flagged


def _observe(paths, settings: AlertingSettings, rule: str):
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        return [o for o in observe(con, [NOW], settings, rules=[rule]) if o.integration_id == "int-latency"]


def test_the_trigger_is_configurable_per_rule(built):
    paths, _ = built
    (default,) = _observe(paths, AlertingSettings(), "performance_degradation")
    assert default.value == pytest.approx(default.evidence["figures"]["score"], abs=5e-4) and default.threshold == 0.5
    off = {"rules": {"performance_degradation": {"thresholds": {"anomaly_trigger_score": 1.1}}}}
    assert _observe(paths, AlertingSettings.model_validate(off), "performance_degradation") == []
    immaterial = {"rules": {"performance_degradation": {"thresholds": {"anomaly_ratio": 50}}}}
    assert _observe(paths, AlertingSettings.model_validate(immaterial), "performance_degradation") == []
    young = {"rules": {"performance_degradation": {"thresholds": {"anomaly_min_history_days": 9}}}}
    assert _observe(paths, AlertingSettings.model_validate(young), "performance_degradation") == []
    short = {"rules": {"performance_degradation": {"thresholds": {"window_minutes": 5}}}}
    assert _observe(paths, AlertingSettings.model_validate(short), "performance_degradation") == []  # ended 25 min ago


def test_evidence_never_looks_ahead(built):
    paths, _ = built
    ticks = [NOW - timedelta(minutes=m) for m in range(0, 60, 3)]
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        observations = observe(con, ticks, AlertingSettings())
    assert observations
    for o in observations:
        for anomaly in o.evidence.get("session_anomalies", []):
            assert datetime.fromisoformat(anomaly["ended_at"]).replace(tzinfo=UTC) <= o.observed_at


ROW = ("int-a", "canvas", datetime(2026, 12, 1, 10), datetime(2026, 12, 1, 9, 40), 3.1, 2.5, "latency 3.1x",
       json.dumps({"session_ids": ["s1"], "figures": {"latency_ratio": 3.1}}))  # fmt: skip
ANOMALY_ROW = ("int-a", "canvas", datetime(2026, 12, 1, 10), datetime(2026, 12, 1, 9, 30), 0.8, 0.6, "api latency…",
               json.dumps({"trigger": "session_anomaly", "session_ids": ["s0"], "session_anomalies": [{"session_id": "s0"}]}))  # fmt: skip


def test_where_the_rule_and_an_anomaly_both_hold_the_rule_row_stays_with_the_anomalies_in_its_evidence():
    (merged,) = with_anomaly_rows([ROW], [ANOMALY_ROW])
    assert merged[:3] == ROW[:3] and merged[4:7] == ROW[4:7]
    assert merged[3] == ANOMALY_ROW[3]  # the earlier start
    evidence = json.loads(merged[7])
    assert evidence["figures"] == {"latency_ratio": 3.1} and evidence["session_anomalies"] == [{"session_id": "s0"}]
    assert evidence["session_ids"] == ["s1", "s0"]  # the rule's sessions first (`_evidence` de-duplicates)


def test_an_anomaly_alone_is_a_row_and_other_ticks_are_untouched():
    later = (ROW[0], ROW[1], ROW[2] + timedelta(minutes=5), *ROW[3:])
    merged = with_anomaly_rows([later], [ANOMALY_ROW])
    assert merged == [later, ANOMALY_ROW]
    assert with_anomaly_rows([ROW], []) == [ROW] and with_anomaly_rows([], [ANOMALY_ROW]) == [ANOMALY_ROW]
