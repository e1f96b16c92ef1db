"""One sync session, start to finish: created → queued → initializing → running (fetch, transform, load) → terminal.

All of a session's events are generated at once when it starts (with future
times); the stream releases them as simulated time passes.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from .catalog import Integration
from .effects import Conditions, pick_outcome
from .events import EventFactory, Timed, poisson
from .messages import cancel_reason, entity_id, error_text, failure_reason, warning_text
from .workload import draw_records, metrics_payload, run_duration_s, split_counts

STAGE_SHARES: tuple[tuple[str, float], ...] = (("fetch", 0.45), ("transform", 0.15), ("load", 0.40))
_CONFLICT_FIELDS = ("email", "last_name", "grade_level", "status", "section_id", "phone", "address", "title")
_STRATEGIES = ("source_wins", "target_wins", "merge", "manual")
_RETRYABLE = {"network": True, "rate_limit": True, "system": True, "validation": False,
              "authentication": False, "conflict": False}


@dataclass
class SessionResult:
    session_id: str
    status: str
    end: float
    failure_category: str | None
    events: list[Timed] = field(default_factory=list)


class _Session:
    """Accumulates one session's events."""

    def __init__(self, integration: Integration, factory: EventFactory, rng: random.Random, cond: Conditions):
        self.i, self.f, self.rng, self.cond = integration, factory, rng, cond
        self.sid = factory.new_id()
        self.events: list[Timed] = []
        self.errors = 0

    def emit(self, t: float, event_type: str, payload: dict) -> None:
        self.events.append(self.f.session(t, event_type, self.sid, payload))

    def status(self, t: float, status: str, stage: str | None = None, reason: str | None = None) -> None:
        self.emit(t, "session_status", {"status": status, "stage": stage, "reason": reason})

    def error(self, t: float, category: str, *, severity: str, retry_count: int = 0, entity: str | None = None,
              retryable: bool | None = None) -> None:
        entity = entity or self.rng.choice(self.i.entity_types)
        code, message = error_text(category, self.i, self.rng, entity)
        eid = entity_id(self.rng, entity) if category in ("validation", "conflict") else None
        self.emit(t, "session_error", {
            "category": category, "severity": severity, "code": code, "message": message,
            "entity_type": entity, "entity_id": eid,
            "retryable": _RETRYABLE[category] if retryable is None else retryable, "retry_count": retry_count,
        })
        self.errors += 1

    def warning(self, t: float, entity: str | None = None) -> None:
        code, message, eid = warning_text(self.i, self.rng, entity or self.rng.choice(self.i.entity_types))
        self.emit(t, "session_warning", {"code": code, "message": message,
                                         "entity_type": entity or None, "entity_id": eid})

    def metrics(self, t: float, *, processed: int, duration: float, load: float, calls: int | None = None) -> None:
        self.emit(t, "session_metrics", metrics_payload(self.i, self.rng, self.cond, processed=processed,
                                                        duration_s=duration, load=load, errors=self.errors,
                                                        calls=calls))


def simulate_session(
    integration: Integration,
    factory: EventFactory,
    rng: random.Random,
    t0: float,
    cond: Conditions,
    *,
    sync_type: str,
    triggered_by: str,
    retry_of: str | None,
    load: float,
) -> SessionResult:
    s = _Session(integration, factory, rng, cond)
    s.emit(t0, "session_created", {"sync_type": sync_type, "direction": integration.direction,
                                   "entity_types": list(integration.entity_types),
                                   "triggered_by": triggered_by, "retry_of": retry_of})
    t = t0 + rng.uniform(0.05, 1.0)
    if rng.random() < 0.15:
        s.status(t0 + rng.uniform(0.01, 0.04), "pending")
    s.status(t, "queued")
    t += rng.lognormvariate(math.log(2.0 + 20.0 * load), 0.7)
    s.status(t, "initializing", "connect")
    t += rng.lognormvariate(math.log(2.0), 0.5) * cond.latency_mult
    outcome = pick_outcome(cond, rng)

    if outcome == "failed" and cond.failure_category == "authentication":
        s.error(t, "authentication", severity="high")
        s.metrics(t + 0.05, processed=0, duration=0.0, load=load, calls=1)
        s.status(t + 0.1, "failed", "initializing", failure_reason("authentication", integration, 1))
        return _result(s, "failed", t + 0.1, "authentication")

    s.status(t, "running", "fetch")
    if not cond.reachable:
        return _unreachable(s, t, load)

    counts = draw_records(integration, rng, sync_type, load)
    total = sum(counts)
    duration = run_duration_s(integration, rng, total, cond)
    if outcome == "timed_out" or (t - t0) + duration > integration.max_runtime_s:
        return _timed_out(s, t, counts, load)
    if total == 0 and outcome == "completed":
        s.emit(t + 0.2, "session_progress", _stage_progress("fetch", 100.0))
        s.metrics(t + 0.3, processed=0, duration=duration, load=load)
        s.status(t + 0.35, "completed")
        return _result(s, "completed", t + 0.35, None)

    run_start = t
    if rng.random() < 0.002:  # provider maintenance window pauses the run
        pause = rng.uniform(120, 900)
        s.status(t + 1.0, "paused", "fetch", "paused: provider maintenance window")
        s.status(t + 1.0 + pause, "running", "fetch", "resumed")
        t += pause
    fetch_end = t + duration * STAGE_SHARES[0][1]
    if rng.random() < 0.03:  # a transient network error, retried within the fetch stage
        when = t + (fetch_end - t) * rng.uniform(0.1, 0.7)
        room = fetch_end - when
        s.error(when, "network", severity="low", retry_count=0)
        s.status(when + room * 0.01, "retrying", "fetch", "transient network error")
        s.status(when + min(rng.uniform(1.0, 8.0), room * 0.9), "running", "fetch")
    if outcome == "failed":
        stage = rng.choices(("fetch", "transform", "load"), weights=(40, 30, 30))[0]
        return _failed(s, t, duration, stage, counts, load, run_start)
    if outcome == "cancelled":
        when = t + duration * rng.uniform(0.1, 0.9)
        s.metrics(when, processed=0, duration=when - run_start, load=load)
        s.status(when + 0.1, "cancelled", None, cancel_reason(integration, rng))
        return _result(s, "cancelled", when + 0.1, None)

    if duration * STAGE_SHARES[0][1] > 60:
        s.emit(fetch_end, "session_progress", _stage_progress("fetch", 45.0))
    s.status(fetch_end, "running", "transform")
    load_start = fetch_end + duration * STAGE_SHARES[1][1]
    s.status(load_start, "running", "load")
    end = load_start + duration * STAGE_SHARES[2][1]
    processed, failed = _load_progress(s, sync_type, counts, outcome, load_start, end)
    _incident_errors(s, run_start, end)
    _conflicts(s, total, load_start, end)
    if outcome == "completed_with_warnings":
        for _ in range(rng.randint(1, 3)):
            s.warning(rng.uniform(run_start, end), rng.choice(integration.entity_types))
    s.metrics(end + 0.2, processed=processed, duration=end - run_start, load=load)
    t = end + 0.3
    if rng.random() < 0.5:
        s.status(t, "completing", "finalize")
        t += rng.uniform(0.2, 2.0)
    reason = {"completed": None,
              "completed_with_warnings": "finished with warnings",
              "partially_completed": f"{failed} of {processed} records failed"}[outcome]
    s.status(t, outcome, None, reason)
    return _result(s, outcome, t, None)


def _result(s: _Session, status: str, end: float, category: str | None) -> SessionResult:
    return SessionResult(s.sid, status, end, category, s.events)


def _stage_progress(stage: str, pct: float) -> dict:
    return {"stage": stage, "progress_pct": pct, "entity_type": None, "records_processed": None,
            "records_created": None, "records_updated": None, "records_deleted": None, "records_skipped": None,
            "records_failed": None}


def _load_progress(s: _Session, sync_type: str, counts: list[int], outcome: str, start: float,
                   end: float) -> tuple[int, int]:
    """One progress event per entity type with its final counts; returns (processed, failed) totals."""
    rng, total = s.rng, max(1, sum(counts))
    lo, hi = s.cond.failed_share
    partial_entity = rng.randrange(len(counts)) if outcome == "partially_completed" else -1
    done = processed = failed_total = 0
    for k, (entity, n) in enumerate(zip(s.i.entity_types, counts, strict=True)):
        share = rng.uniform(lo, hi) if hi > 0 else 0.0
        if k == partial_entity and share == 0.0:
            share = rng.uniform(0.03, 0.3)
        failed = min(n, int(n * share + (rng.random() if share else 0.0)))
        done += n
        t = start + (end - start) * done / total
        s.emit(t, "session_progress", {"stage": "load", "progress_pct": round(60.0 + 40.0 * done / total, 1),
                                       "entity_type": entity, **split_counts(n, sync_type, failed, rng)})
        for _ in range(min(failed, 1 + poisson(rng, 1.5))):
            s.error(rng.uniform(start, t), "validation", severity=rng.choice(("low", "medium")), entity=entity)
        processed += n
        failed_total += failed
    return processed, failed_total


def _incident_errors(s: _Session, start: float, end: float) -> None:
    rng = s.rng
    for category, mean in s.cond.extra_errors:
        for attempt in range(min(40, poisson(rng, mean))):
            severity = "high" if category == "system" and rng.random() < 0.4 else "medium"
            s.error(rng.uniform(start, end), category, severity=severity, retry_count=min(attempt, 5))
    if not s.cond.extra_errors and rng.random() < 0.01:
        s.error(rng.uniform(start, end), "rate_limit", severity="low")


def _conflicts(s: _Session, total: int, start: float, end: float) -> None:
    rng, cond = s.rng, s.cond
    if total == 0:
        return
    manual = 30 if cond.kind == "conflict_spike" else 8
    for _ in range(min(80, poisson(rng, s.i.conflict_rate + cond.extra_conflicts))):
        entity = rng.choice(s.i.entity_types)
        strategy = rng.choices(_STRATEGIES, weights=(55, 20, 17, manual))[0]
        s.emit(rng.uniform(start, end), "session_conflict", {
            "entity_type": entity, "entity_id": entity_id(rng, entity), "field": rng.choice(_CONFLICT_FIELDS),
            "strategy": strategy, "resolved": strategy != "manual" or rng.random() < 0.2})


def _unreachable(s: _Session, t: float, load: float) -> SessionResult:
    """Outage: three connection attempts time out, then the session fails."""
    attempts = 3
    for attempt in range(attempts):
        t += 30.0 * s.rng.uniform(0.95, 1.05)
        s.error(t, "network", severity="high" if attempt == attempts - 1 else "medium", retry_count=attempt)
        if attempt < attempts - 1:
            s.status(t + 0.01, "retrying", "fetch", f"attempt {attempt + 1} of {attempts} failed")
            t += 5.0 * 2 ** attempt
    s.metrics(t + 0.05, processed=0, duration=0.0, load=load, calls=attempts)
    s.status(t + 0.1, "failed", "fetch", failure_reason("network", s.i, attempts))
    return _result(s, "failed", t + 0.1, "network")


def _failed(s: _Session, t: float, duration: float, stage: str, counts: list[int], load: float,
            run_start: float) -> SessionResult:
    rng, cond = s.rng, s.cond
    category = cond.failure_category if cond.kind else rng.choice(("system", "system", "network", "validation"))
    stages = [name for name, _ in STAGE_SHARES]
    for name, share in STAGE_SHARES[: stages.index(stage)]:
        t += duration * share
        nxt = stages[stages.index(name) + 1]
        s.status(t, "running", nxt)
    t += duration * dict(STAGE_SHARES)[stage] * rng.uniform(0.05, 0.9)
    _incident_errors(s, run_start, t)
    for retry in range(rng.randint(0, 2)):
        s.error(max(run_start, t - rng.uniform(5, 60)), category, severity="medium", retry_count=retry)
    s.error(t, category, severity="high", retry_count=0)
    processed = sum(counts) // 2 if stage == "load" else 0
    s.metrics(t + 0.05, processed=processed, duration=t - run_start, load=load)
    s.status(t + 0.1, "failed", stage, failure_reason(category, s.i, 1))
    return _result(s, "failed", t + 0.1, category)


def _timed_out(s: _Session, t: float, counts: list[int], load: float) -> SessionResult:
    """The run stalls and the platform kills it at the integration's maximum runtime."""
    rng, limit = s.rng, s.i.max_runtime_s
    stall = t + limit * rng.uniform(0.05, 0.3)
    s.emit(stall, "session_progress", _stage_progress("fetch", round(rng.uniform(5, 40), 1)))
    s.emit(stall + 600.0, "session_warning", {"code": "NO_PROGRESS", "message": "no progress for 600 s",
                                             "entity_type": None, "entity_id": None})
    _incident_errors(s, t, t + limit)
    end = t + limit
    s.metrics(end - 0.1, processed=sum(counts) // 4, duration=limit, load=load)
    s.status(end, "timed_out", "fetch", f"exceeded max runtime of {int(limit)} s")
    return _result(s, "timed_out", end, None)
