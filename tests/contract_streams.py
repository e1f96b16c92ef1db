"""Hypothesis strategies for streams of contract-valid events, generated from the shipped JSON Schema.

Payloads come from the contract's own `$defs` (hypothesis-jsonschema), so the streams follow the
contract when it changes: any optional field absent or null, unknown extra payload fields, unicode.
On top of that the strategies reach the corners real synchronizers reach: extreme but valid numbers
(0, 2^53 counts, 1e9 ms latencies), markup, formula starts and 10,000-character text, events out of
order and late (a second file), sessions that never finish, status without `session_created`, the
same session id in two integrations, and replays of the same event.
"""

from __future__ import annotations

import copy

import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from syncmon_pipeline.contract import SCHEMA

SESSION_TYPES = (
    "session_created", "session_status", "session_progress", "session_error", "session_warning",
    "session_conflict", "session_metrics",
)  # fmt: skip
# What a hostile or careless synchronizer puts in free text; none of it may come out executable.
HOSTILE = (
    '<script>alert("x")</script>', '<img src=x onerror=alert(1)>', '=HYPERLINK("http://evil.example","x")',
    "+1+1", "-2+3", "@SUM(A1)", "\t=1", "password=hunter2 token=abc", "Bearer eyJhbGciOi.secret.value",
    "ops@example.com", "ünïcödé ✓ 日本語 🚀", "x" * 10_000,
)  # fmt: skip
EXTREME_COUNTS = (0, 1, 2**53)
EXTREME_NUMBERS = (0.0, 1e-9, 1e9)
HOSTILE_LABELS = ("<b>bold</b>-district", "=cmd|' /C calc'!A0", "école-ünï ✓", "x" * 200)


def contract() -> dict[str, Any]:
    return SCHEMA


def payload_schema(event_type: str) -> dict[str, Any]:
    """The payload's schema for one event type, with the contract's `$defs` so its references resolve.

    A deep copy: hypothesis-jsonschema inlines references in place, which would rewrite the contract.
    """
    defs = copy.deepcopy(contract()["$defs"])
    return {"$defs": defs, **defs[event_type]}


@st.composite
def payloads(draw: st.DrawFn, event_type: str) -> dict[str, Any]:
    payload = dict(draw(from_schema(payload_schema(event_type))))
    properties = contract()["$defs"][event_type].get("properties", {})
    for name, spec in properties.items():
        ref = spec.get("$ref", "")
        if name in payload and draw(st.integers(0, 3)) == 0:  # sometimes a corner value instead
            if ref.endswith("/count"):
                payload[name] = draw(st.sampled_from(EXTREME_COUNTS))
            elif ref.endswith("/number"):
                payload[name] = draw(st.sampled_from(EXTREME_NUMBERS))
            elif ref.endswith("text") or spec.get("type") == ["string", "null"]:
                payload[name] = draw(st.sampled_from(HOSTILE))
    if draw(st.booleans()):  # unknown payload fields are kept (redacted) by the contract
        payload[f"x_{draw(st.sampled_from(['vendor', 'extra', 'debug']))}"] = draw(
            st.one_of(st.none(), st.integers(), st.sampled_from(HOSTILE), st.lists(st.integers(), max_size=3))
        )
    return payload


@dataclass
class Stream:
    """A generated stream: the files to drop in landing and what the pipeline must make of them."""

    files: list[list[dict[str, Any]]] = field(default_factory=list)  # one list of events per landing file
    replays: int = 0  # events written twice (same event_id): counted as duplicates, stored once

    @property
    def events(self) -> list[dict[str, Any]]:
        return [e for f in self.files for e in f]

    @property
    def unique_events(self) -> int:
        return len({e["event_id"] for e in self.events})

    @property
    def sessions(self) -> set[tuple[str, str]]:
        return {(e["integration_id"], e["session_id"]) for e in self.events if e["event_type"].startswith("session_")}

    @property
    def integrations(self) -> set[str]:
        return {e["integration_id"] for e in self.events}

    def write(self, landing: Path) -> None:
        landing.mkdir(parents=True, exist_ok=True)
        for i, events in enumerate(self.files):
            body = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events)
            partial = landing / f".stream-{i:02d}.tmp"
            partial.write_text(body, "utf-8")
            partial.rename(landing / f"stream-{i:02d}.ndjson")


@st.composite
def streams(draw: st.DrawFn, *, now: datetime, max_integrations: int = 3, max_sessions: int = 3) -> Stream:
    """Sessions of a few integrations over the two hours before `now`, shuffled into one or two files."""
    labels = st.one_of(st.sampled_from(["powerschool-district-12", "canvas-district-3", "workday-tenant-7"]),
                       st.sampled_from(HOSTILE_LABELS))
    integrations = draw(st.lists(labels, min_size=2, max_size=max_integrations, unique=True))
    # A small pool of session ids, so two integrations often bring the same id.
    session_ids = st.sampled_from(["1234", "session-1", "セッション-9", "<i>s</i>", "=1+1"])
    start = now - timedelta(hours=2)
    events: list[dict[str, Any]] = []
    base_id = draw(st.integers(0, 2**64))  # event ids are unique within a stream; only replays repeat one

    def event(event_type: str, integration: str, at: datetime, session_id: str | None) -> dict[str, Any]:
        envelope = {
            "event_id": str(uuid.UUID(int=(base_id << 32) + len(events), version=4)),
            "schema_version": 1, "event_type": event_type,
            "occurred_at": at.astimezone(draw(st.sampled_from([UTC, _zone(-5), _zone(5, 30)]))).isoformat(),
            "integration_id": integration, "provider": integration.split("-")[0] or "p",
            "payload": draw(payloads(event_type)),
        }  # fmt: skip
        if session_id is not None:
            envelope["session_id"] = session_id
        return envelope

    for integration in integrations:
        used = draw(st.lists(session_ids, min_size=1, max_size=max_sessions, unique=True))
        for session_id in used:
            at = start + timedelta(seconds=draw(st.integers(0, 7000)))
            kinds = draw(st.lists(st.sampled_from(SESSION_TYPES), min_size=2, max_size=6))
            if draw(st.booleans()):  # most sessions also say how they ended; some never finish
                kinds.append("session_status")
            for n, kind in enumerate(kinds):
                events.append(event(kind, integration, at + timedelta(seconds=5 * n + draw(st.integers(0, 60))), session_id))
        for _ in range(draw(st.integers(0, 3))):
            events.append(event("health_check", integration, start + timedelta(seconds=draw(st.integers(0, 7200))), None))
    order = draw(st.randoms(use_true_random=False))
    order.shuffle(events)  # out of order within a file
    stream = Stream()
    late = draw(st.integers(0, len(events)))  # the tail arrives later, in a second file
    stream.files = [f for f in (events[:late], events[late:]) if f]
    if events and draw(st.booleans()):
        replayed = dict(order.choice(events))
        stream.files[-1].append(replayed)
        stream.replays = 1
    return stream


def _zone(hours: int, minutes: int = 0):
    from datetime import timezone

    sign = 1 if hours >= 0 else -1
    return timezone(timedelta(hours=hours, minutes=sign * minutes))


def sparse_stream(now: datetime, integrations: tuple[str, ...] = ("sparse-a", "sparse-b")) -> Stream:
    """The smallest events the contract allows: only required fields, nulls elsewhere (a fixed example)."""
    rng = random.Random(7)
    events = []
    for integration in integrations:
        for n in range(6):
            sid = f"{n}"
            at = now - timedelta(minutes=10 * (6 - n))
            base = {"schema_version": 1, "integration_id": integration, "provider": "sparse", "session_id": sid}
            events += [
                {**base, "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "event_type": kind,
                 "occurred_at": (at + timedelta(seconds=i)).isoformat(), "payload": payload}
                for i, (kind, payload) in enumerate([
                    ("session_status", {"status": "running"}),
                    ("session_metrics", {"cpu_pct": 99.0}),
                    ("session_progress", {}),
                    ("session_error", {"category": "system", "severity": "high", "message": ""}),
                    ("session_status", {"status": "failed" if n % 2 else "completed"}),
                ])
            ]  # fmt: skip
        events.append({"event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "schema_version": 1,
                       "event_type": "health_check", "occurred_at": now.isoformat(), "integration_id": integration,
                       "provider": "sparse", "payload": {"reachable": True}})
    return Stream(files=[events])
