"""The event simulator: contract-valid, deterministic, believable, with ground truth — on real files in tmp dirs."""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import orjson
import pytest

from syncmon_pipeline.contract import (
    ALERT_TYPES,
    EVENT_TYPES,
    SCHEMA,
    TERMINAL_STATUSES,
    contract_errors,
    is_valid_event,
)
from syncmon_pipeline.simulator import (
    build_history_engine,
    live_loop,
    register_cli,
    run_live,
    simulate_history,
    write_history,
)
from syncmon_pipeline.simulator.events import format_epoch, uuid4_from_bits

END = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
SEED = 20261127


@dataclass
class Run:
    landing: Path
    truth: Path
    summary: object
    files: list[Path]
    lines: list[list[bytes]]  # raw lines per file, in file order

    @property
    def events(self) -> list[dict]:
        return [orjson.loads(line) for lines in self.lines for line in lines]


def read_run(landing: Path, truth: Path, summary) -> Run:
    files = sorted(p for p in landing.iterdir())
    lines = []
    for path in files:
        data = path.read_bytes()
        if path.name.endswith(".gz"):
            data = gzip.decompress(data)
        assert data.endswith(b"\n")
        lines.append(data.splitlines())
    return Run(landing, truth, summary, files, lines)


def simulate(root: Path, *, seed: int = SEED, integrations: int = 10, days: float = 7, **kwargs) -> Run:
    landing, truth = root / "landing", root / "truth" / "incidents.json"
    summary = simulate_history(landing, integrations=integrations, days=days, seed=seed, end=END,
                               truth_path=truth, events_per_file=kwargs.pop("events_per_file", 2000), **kwargs)
    return read_run(landing, truth, summary)


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Run:
    return simulate(tmp_path_factory.mktemp("sim"))


@pytest.fixture(scope="module")
def events(run) -> list[dict]:
    return run.events


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


# -- contract & determinism ------------------------------------------------------------------


def _inline_refs(node, defs):
    if isinstance(node, dict):
        if set(node) == {"$ref"}:
            return _inline_refs(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
        return {k: _inline_refs(v, defs) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline_refs(v, defs) for v in node]
    return node


@pytest.fixture(scope="module")
def fast_validators() -> dict[str, jsonschema.Draft202012Validator]:
    """The contract schema specialised per event type (its `allOf` if/then resolved, `$ref`s inlined).

    Same constraints, about 3x faster than the general schema, so every simulated line can be checked
    within the test budget; `test_fast_validators_agree_with_the_contract` keeps them honest.
    """
    defs = SCHEMA["$defs"]
    base = _inline_refs({k: v for k, v in SCHEMA.items() if k not in ("allOf", "$defs", "$id", "$schema")}, defs)
    validators = {}
    for event_type in EVENT_TYPES:
        schema = json.loads(json.dumps(base))
        schema["properties"]["event_type"] = {"const": event_type}
        schema["properties"]["payload"] = _inline_refs(defs[event_type], defs)
        if event_type.startswith("session_"):
            schema["required"].append("session_id")
            schema["properties"]["session_id"] = {"type": "string", "minLength": 1, "maxLength": 200}
        validators[event_type] = jsonschema.Draft202012Validator(schema)
    return validators


def fast_valid(validators, event) -> bool:
    validator = validators.get(event.get("event_type")) if isinstance(event, dict) else None
    return validator.is_valid(event) if validator else is_valid_event(event)


def test_fast_validators_agree_with_the_contract(fast_validators, events):
    sample = random.Random(0).sample(events, 300)
    mutants = []
    for event in sample[:60]:
        for key in ("event_id", "occurred_at", "session_id", "event_type", "integration_id"):
            mutants.append({**event, key: ""})
        for key in event["payload"]:
            mutants.append({**event, "payload": {**event["payload"], key: -1}})
            mutants.append({**event, "payload": {**event["payload"], key: "?"}})
        mutants.append({k: v for k, v in event.items() if k != "session_id"})
    for candidate in sample + mutants:
        assert fast_valid(fast_validators, candidate) == is_valid_event(candidate), candidate


def test_every_line_of_every_file_satisfies_the_contract(run, events, fast_validators):
    assert run.summary.files == len(run.files) > 3
    assert run.summary.events == len(events) > 20_000
    assert all(p.name.startswith("sim-") and p.name.endswith(".ndjson") for p in run.files)
    invalid = [e for e in events if not fast_valid(fast_validators, e)]
    assert invalid == []
    assert all(contract_errors(e) == [] for e in random.Random(1).sample(events, 1000))
    for event in events:
        assert run.summary.start <= ts(event["occurred_at"]) < run.summary.end
    assert {e["event_type"] for e in events} == {
        "session_created", "session_status", "session_progress", "session_error", "session_warning",
        "session_conflict", "session_metrics", "health_check"}


def test_same_seed_and_end_give_identical_bytes(run, tmp_path):
    again = simulate(tmp_path)
    assert [p.name for p in again.files] == [p.name for p in run.files]
    assert again.lines == run.lines
    assert again.truth.read_bytes() == run.truth.read_bytes()
    assert again.summary == run.summary.__class__(**{**run.summary.__dict__, "truth_path": again.truth})


def test_a_different_seed_gives_different_data(run, tmp_path):
    other = simulate(tmp_path, seed=SEED + 1)
    assert other.lines[0] != run.lines[0]
    assert other.truth.read_bytes() != run.truth.read_bytes()


def test_another_window_with_the_same_seed_never_reuses_event_ids(run, tmp_path):
    # Ingest drops replays by event_id, so a later run with the same seed must not collide.
    later = simulate_history(tmp_path / "landing", integrations=10, days=1, seed=SEED, end=END + timedelta(days=1),
                             truth_path=None, events_per_file=5000)
    later_ids = {orjson.loads(line)["event_id"] for p in (tmp_path / "landing").iterdir()
                 for line in p.read_bytes().splitlines()}
    assert later.events > 1000
    assert not later_ids & {e["event_id"] for e in run.events}


def test_ids_and_timestamps_match_the_documented_recipes():
    rng = random.Random(1)
    for _ in range(1000):
        bits = rng.getrandbits(128)
        assert uuid4_from_bits(bits) == str(uuid.UUID(int=bits, version=4))
    assert format_epoch(END.timestamp() + 0.123456) == "2026-11-27T10:00:00.123456+00:00"


# -- ground truth ----------------------------------------------------------------------------


def test_truth_has_every_kind_within_range_without_overlap(run, events):
    truth = json.loads(run.truth.read_text())
    assert run.summary.incidents == len(truth)
    assert {t["kind"] for t in truth} == set(ALERT_TYPES)
    assert [t["start"] for t in truth] == sorted(t["start"] for t in truth)
    known = {e["integration_id"] for e in events}
    per_integration = defaultdict(list)
    for t in truth:
        assert set(t) == {"integration_id", "kind", "start", "end"}
        start, end = ts(t["start"]), ts(t["end"])
        assert start.utcoffset() == timedelta(0)
        assert run.summary.start + timedelta(days=1) <= start < end <= run.summary.end  # day one is clean
        assert timedelta(minutes=59) <= end - start <= timedelta(days=1, minutes=1)
        assert t["integration_id"] in known
        per_integration[t["integration_id"]].append((start, end))
    for spans in per_integration.values():
        spans.sort()
        assert all(a_end <= b_start for (_, a_end), (b_start, _) in itertools.pairwise(spans))


def _inside(events, incident, event_type):
    start, end = ts(incident["start"]), ts(incident["end"])
    return [e for e in events if e["integration_id"] == incident["integration_id"]
            and e["event_type"] == event_type and start <= ts(e["occurred_at"]) < end]


def test_incidents_leave_the_signals_detectors_look_for(run, events):
    truth = {t["kind"]: t for t in json.loads(run.truth.read_text())}
    down = _inside(events, truth["integration_down"], "health_check")
    assert down and not any(e["payload"]["reachable"] for e in down)
    auth = _inside(events, truth["authentication_failure"], "health_check")
    assert auth and all(e["payload"]["auth_status"] in ("expired", "invalid") for e in auth)
    limited = _inside(events, truth["rate_limit_exceeded"], "health_check")
    assert limited and all(e["payload"]["rate_limit_remaining"] <= 5 for e in limited)
    statuses = [e["payload"]["status"] for e in _inside(events, truth["timeout_threshold"], "session_status")]
    assert "timed_out" in statuses
    cpu = [e["payload"]["cpu_pct"] for e in _inside(events, truth["resource_exhaustion"], "session_metrics")]
    assert cpu and max(cpu) > 95
    conflicts = _inside(events, truth["conflict_spike"], "session_conflict")
    assert len(conflicts) >= 10
    quality = _inside(events, truth["data_quality_issue"], "session_error")
    assert sum(e["payload"]["category"] == "validation" for e in quality) >= 10
    failures = [e for e in _inside(events, truth["sync_failure"], "session_status")
                if e["payload"]["status"] == "failed"]
    assert len(failures) >= 2
    errors = _inside(events, truth["high_error_rate"], "session_error")
    assert len(errors) >= 10
    # Outside incidents the fleet is mostly healthy.
    checks = [e for e in events if e["event_type"] == "health_check"]
    assert sum(e["payload"]["reachable"] for e in checks) / len(checks) > 0.9


# -- realism ---------------------------------------------------------------------------------


def test_sessions_follow_a_believable_lifecycle(run, events):
    sessions = defaultdict(list)
    for e in events:
        if e["event_type"] != "health_check":
            sessions[e["session_id"]].append(e)
    created = {sid for sid, evs in sessions.items() if any(e["event_type"] == "session_created" for e in evs)}
    assert created == set(sessions)
    assert len(created) == run.summary.sessions
    terminal = Counter()
    for evs in sessions.values():
        ends = [e["payload"]["status"] for e in evs
                if e["event_type"] == "session_status" and e["payload"]["status"] in TERMINAL_STATUSES]
        terminal[ends[0] if ends else None] += 1
    assert terminal[None] / len(sessions) < 0.01  # only those still running at the end
    assert terminal["completed"] / len(sessions) > 0.8
    for status in ("completed_with_warnings", "partially_completed", "failed", "timed_out"):
        assert terminal[status] > 0, status
    created_payloads = [e["payload"] for e in events if e["event_type"] == "session_created"]
    assert {p["sync_type"] for p in created_payloads} >= {"full", "incremental", "delta"}
    retries = [p for p in created_payloads if p["triggered_by"] == "retry"]
    assert retries and all(p["retry_of"] in sessions for p in retries)
    assert len({e["provider"] for e in events}) == 8
    assert all(re.fullmatch(r"[a-z-]+-[a-z]+-\d+", e["integration_id"]) for e in events)


def test_health_checks_every_five_to_fifteen_minutes(events):
    times = defaultdict(list)
    for e in events:
        if e["event_type"] == "health_check":
            times[e["integration_id"]].append(ts(e["occurred_at"]))
    assert len(times) == 10
    for series in times.values():
        series.sort()
        gaps = sorted((b - a).total_seconds() for a, b in itertools.pairwise(series))
        assert 240 <= gaps[len(gaps) // 2] <= 1050


def test_load_follows_the_working_day(events):
    """Records per hour of change-driven (delta/incremental) syncs: weekday office hours >> nights, weekends."""
    change_driven = {e["session_id"] for e in events if e["event_type"] == "session_created"
                     and e["payload"]["sync_type"] in ("delta", "incremental")}
    buckets: dict[str, int] = Counter()
    hours: dict[str, set] = defaultdict(set)
    for e in events:
        if e["event_type"] == "session_progress" and e["session_id"] in change_driven:
            at = ts(e["occurred_at"]) - timedelta(hours=6)  # roughly US local time
            bucket = ("weekend" if at.weekday() >= 5 else
                      "peak" if 9 <= at.hour < 15 else "night" if at.hour < 5 else "other")
            buckets[bucket] += e["payload"]["records_processed"] or 0
            hours[bucket].add(at.replace(minute=0, second=0, microsecond=0))
    rate = {b: buckets[b] / len(hours[b]) for b in buckets}
    assert rate["peak"] > 5 * rate["night"]
    assert rate["peak"] > 2 * rate["weekend"]


def test_free_text_contains_secrets_for_ingest_to_redact(events):
    texts = [e["payload"].get("message") or e["payload"].get("reason") or "" for e in events]
    blob = "\n".join(texts)
    assert re.search(r"[\w.]+@[\w-]+\.\w+", blob)
    assert "Authorization: Bearer " in blob
    assert "password=" in blob
    assert re.search(r"https://[^/\s:]+:[^@\s]+@", blob)
    assert "api_key=" in blob


# -- delivery --------------------------------------------------------------------------------


def test_events_arrive_late_and_out_of_order(run):
    times = [[orjson.loads(line)["occurred_at"] for line in lines] for lines in run.lines]
    assert any(file != sorted(file) for file in times)
    late = total = 0
    for previous, current in itertools.pairwise(times):
        cutoff = (ts(max(previous)) - timedelta(hours=1)).isoformat()
        late += sum(t < cutoff for t in current)
        total += len(current)
    assert 0.002 < late / total < 0.1


def test_duplicates_are_exact_copies_in_later_files(run):
    first_seen: dict[str, tuple[int, bytes]] = {}
    duplicates = 0
    for index, lines in enumerate(run.lines):
        for line in lines:
            event_id = orjson.loads(line)["event_id"]
            if event_id in first_seen:
                duplicates += 1
                first_index, first_line = first_seen[event_id]
                assert first_line == line
                assert first_index < index
            else:
                first_seen[event_id] = (index, line)
    assert duplicates == run.summary.duplicates_injected > 0


def test_gzip_history(tmp_path, fast_validators):
    run = simulate(tmp_path, integrations=3, days=1.5, compress=True, events_per_file=500)
    assert run.files and all(p.name.endswith(".ndjson.gz") for p in run.files)
    assert all(fast_valid(fast_validators, e) for e in run.events)
    assert json.loads(run.truth.read_text()) is not None


def test_truth_may_not_live_in_the_landing_folder(tmp_path):
    with pytest.raises(ValueError, match="outside the landing folder"):
        simulate_history(tmp_path / "landing", integrations=2, days=1, seed=1, end=END,
                         truth_path=tmp_path / "landing" / "truth.json")


# -- live ------------------------------------------------------------------------------------


class FakeTime:
    def __init__(self, start: datetime) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=seconds)


def test_live_mode_writes_files_and_stops_at_duration(tmp_path, fast_validators):
    fake = FakeTime(END)
    run_live(tmp_path / "landing", integrations=5, seed=3, interval_s=60, duration_s=3 * 3600,
             clock=fake.clock, sleep=fake.sleep)
    assert fake.now == END + timedelta(hours=3)
    assert len(fake.sleeps) == 180
    files = sorted((tmp_path / "landing").iterdir())
    assert len(files) > 100 and all(p.name.startswith("live-3-") for p in files)
    events = [orjson.loads(line) for p in files for line in p.read_bytes().splitlines()]
    assert all(fast_valid(fast_validators, e) for e in events)
    assert all(END - timedelta(minutes=15) <= ts(e["occurred_at"]) <= END + timedelta(hours=3) for e in events)
    statuses = {e["payload"]["status"] for e in events if e["event_type"] == "session_status"}
    assert {"queued", "running", "completed"} <= statuses


def _unfinished_sessions(paths) -> set[str]:
    created, finished = set(), set()
    for path in paths:
        for line in path.read_bytes().splitlines():
            event = orjson.loads(line)
            if event["event_type"] == "session_created":
                created.add(event["session_id"])
            elif event["event_type"] == "session_status" and event["payload"]["status"] in TERMINAL_STATUSES:
                finished.add(event["session_id"])
    return created - finished


def test_live_continues_a_history_and_keeps_the_truth_current(tmp_path, fast_validators):
    # Find a history end with a session in flight (most syncs take seconds, so not every minute has one).
    for minutes in range(0, 240, 10):
        end = END - timedelta(minutes=minutes)
        landing, truth = tmp_path / f"landing-{minutes}", tmp_path / f"truth-{minutes}.json"
        engine = build_history_engine(integrations=10, days=1.2, seed=5, end=end)
        write_history(engine, landing, end=end, truth_path=truth)
        history_files = set(landing.iterdir())
        in_flight = _unfinished_sessions(history_files)
        if in_flight:
            break
    assert in_flight
    fake = FakeTime(end + timedelta(minutes=30))  # the first tick catches up on the half hour since `end`
    summary = live_loop(landing, integrations=10, seed=5, interval_s=900, duration_s=12 * 3600,
                        clock=fake.clock, sleep=fake.sleep, truth_path=truth, engine=engine)
    live_files = sorted(set(landing.iterdir()) - history_files)
    assert summary.files == len(live_files) > 40
    events = [orjson.loads(line) for p in live_files for line in p.read_bytes().splitlines()]
    assert all(fast_valid(fast_validators, e) for e in events)
    assert min(ts(e["occurred_at"]) for e in events) < end + timedelta(minutes=5)
    finished_live = {e["session_id"] for e in events if e["event_type"] == "session_status"
                     and e["payload"]["status"] in TERMINAL_STATUSES}
    assert in_flight <= finished_live  # sessions in flight at `end` finish live
    incidents = json.loads(truth.read_text())
    assert summary.incidents == len(incidents) >= 1
    assert any(ts(t["start"]) >= end for t in incidents)  # started live


def test_live_mode_exits_quietly_on_ctrl_c(tmp_path):
    fake = FakeTime(END)

    def sleep(seconds: float) -> None:
        fake.sleep(seconds)
        if len(fake.sleeps) == 4:
            raise KeyboardInterrupt

    run_live(tmp_path / "landing", integrations=3, seed=1, interval_s=300, clock=fake.clock, sleep=sleep)
    assert len(fake.sleeps) == 4
    assert list((tmp_path / "landing").iterdir())


# -- CLI -------------------------------------------------------------------------------------


def _cli() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="syncmon")
    register_cli(parser.add_subparsers(dest="command", required=True))
    return parser


def test_cli_simulate_with_defaults_under_syncmon_home(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SYNCMON_HOME", str(tmp_path / "home"))
    args = _cli().parse_args(["simulate", "--integrations", "2", "--days", "1.2", "--seed", "9",
                              "--end", "2026-11-27T10:00:00Z", "--gzip"])
    assert args.func(args) == 0
    out = capsys.readouterr().out.strip()
    assert len(out.splitlines()) == 1 and "events" in out and "incidents" in out
    landing = tmp_path / "home" / "landing"
    assert all(p.name.startswith("sim-9-20261127T100000Z-") and p.name.endswith(".gz") for p in landing.iterdir())
    truth = json.loads((tmp_path / "home" / "truth" / "incidents.json").read_text())
    assert all(t["kind"] in ALERT_TYPES and t["start"] >= "2026-11-27T05:12" for t in truth)


def test_cli_live_with_zero_duration_writes_history_then_stops(tmp_path, capsys):
    args = _cli().parse_args(["simulate", "--integrations", "2", "--days", "1", "--out", str(tmp_path / "in"),
                              "--truth", str(tmp_path / "truth.json"), "--live", "--duration", "0",
                              "--events-per-file", "300"])
    assert args.func(args) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 3
    assert any(p.name.startswith("sim-42-") for p in (tmp_path / "in").iterdir())


def test_live_without_history_adds_to_the_existing_truth(tmp_path):
    landing, truth = tmp_path / "landing", tmp_path / "truth.json"
    simulate_history(landing, integrations=10, days=3, seed=2, end=END, truth_path=truth, events_per_file=5000)
    history_truth = json.loads(truth.read_text())
    assert history_truth
    fake = FakeTime(END + timedelta(hours=1))
    summary = live_loop(landing, integrations=10, seed=99, interval_s=1800, duration_s=24 * 3600,
                        clock=fake.clock, sleep=fake.sleep, truth_path=truth)
    combined = json.loads(truth.read_text())
    assert summary.incidents == len(combined) > len(history_truth)
    assert all(t in combined for t in history_truth)
    assert [t["start"] for t in combined] == sorted(t["start"] for t in combined)


def test_cli_live_stops_cleanly_on_sigterm(tmp_path):
    landing = tmp_path / "landing"
    code = ("import argparse, sys; from syncmon_pipeline.simulator import register_cli; "
            "p = argparse.ArgumentParser(); register_cli(p.add_subparsers()); a = p.parse_args(sys.argv[1:]); "
            "sys.exit(a.func(a))")
    process = subprocess.Popen(
        [sys.executable, "-c", code, "simulate", "--integrations", "20", "--days", "0", "--live",
         "--interval", "0.2", "--out", str(landing), "--truth", str(tmp_path / "truth.json")],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while not (landing.exists() and len(list(landing.iterdir())) >= 2) and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "live: stopped after" in out
    names = [p.name for p in landing.iterdir()]
    assert len(names) >= 2 and all(n.startswith("live-") and n.endswith(".ndjson") for n in names)


def test_cli_rejects_bad_arguments(capsys):
    with pytest.raises(SystemExit):
        _cli().parse_args(["simulate", "--integrations", "0"])
    with pytest.raises(SystemExit):
        _cli().parse_args(["simulate", "--end", "yesterday"])
    assert "--end" in capsys.readouterr().err


def test_live_incident_rate_is_configurable_so_the_demo_shows_alerts_soon(tmp_path):
    def incidents(rate: float) -> int:
        fake = FakeTime(END)
        return live_loop(tmp_path / f"landing-{rate}", integrations=12, seed=7, interval_s=600, duration_s=3 * 3600,
                         clock=fake.clock, sleep=fake.sleep, incidents_per_hour=rate).incidents  # fmt: skip

    assert incidents(0.0) == 0
    assert incidents(6.0) >= 5  # about 6 an hour over the fleet after a 10-minute warm-up
