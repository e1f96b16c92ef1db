"""Simulated time: each integration's schedule, retries, webhooks and health checks, advanced step by step.

`Engine.advance(until)` releases, in event-time order, every event that
happened before `until`. Sessions are generated whole when they start, so the
events of a session still running at `until` stay pending and come out of a
later `advance` — that is how live mode continues a history seamlessly.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator
from dataclasses import dataclass
from operator import itemgetter

from .catalog import NIGHTLY_HOUR, Integration, build_fleet
from .effects import NORMAL, Conditions, conditions_for
from .events import EventFactory, Timed, child_rng
from .health import health_payload
from .incidents import Incident, IncidentBook, plan_incidents
from .rhythm import load_factor, local_hour
from .sessions import simulate_session

_INF = math.inf
MAX_RETRIES = 3
STEP_S = 3600.0  # Engine.advance releases events hour by hour


class IntegrationStream:
    """Everything that happens to one integration, generated lazily in time order."""

    def __init__(self, integration: Integration, seed: int, start: float, book: IncidentBook) -> None:
        self.i = integration
        # The start is part of the derivation: the same seed over another window (or a live run
        # started at another time) must not replay the same event ids, or ingest would drop them.
        self.rng = rng = child_rng(seed, "integration", integration.index, repr(start))
        self.factory = EventFactory(integration.integration_id, integration.provider.name, rng)
        self.book = book
        self.sessions = 0
        self._pending: list[tuple[float, int, dict]] = []  # heap of generated, unreleased events
        self._seq = 0
        self._busy_until = start
        self._retries: list[tuple[float, int, str, str, int]] = []  # (t, seq, sync_type, retry_of, attempt)
        self._conditions: dict[Incident, Conditions] = {}
        cadence = integration.cadence_s
        offset = integration.phase_s
        if cadence >= 86400:
            offset += ((NIGHTLY_HOUR - integration.tz_offset_h) * 3600) % 86400
        self._next_tick = offset + math.ceil((start - offset) / cadence) * cadence
        self._next_health = start + rng.uniform(0.0, integration.health_interval_s)
        webhooks = integration.provider.supports_webhooks and cadence >= 3600
        self._webhook_rate = rng.uniform(1.0, 3.0) / 3600.0 if webhooks else 0.0
        self._next_webhook = self._draw_webhook(start)

    # -- public ------------------------------------------------------------------------------

    def advance(self, until: float) -> list[Timed]:
        """Generate every action starting before `until`; release the events that happened before it."""
        while True:
            retry_t = self._retries[0][0] if self._retries else _INF
            t = min(self._next_tick, self._next_health, retry_t, self._next_webhook)
            if t >= until:
                break
            if t == self._next_health:
                self._health(t)
            elif t == retry_t:
                _, _, sync_type, retry_of, attempt = heapq.heappop(self._retries)
                self._session(t, sync_type, "retry", retry_of, attempt)
            elif t == self._next_webhook:
                self._next_webhook = self._draw_webhook(t)
                self._session(t, "realtime", "webhook", None, 0)
            else:
                self._scheduled(t)
        out: list[Timed] = []
        pending = self._pending
        while pending and pending[0][0] < until:
            t, _, event = heapq.heappop(pending)
            out.append((t, event))
        return out

    # -- actions -----------------------------------------------------------------------------

    def _conditions_at(self, t: float) -> Conditions:
        incident = self.book.current(self.i, t)
        if incident is None:
            return NORMAL
        cond = self._conditions.get(incident)
        if cond is None:  # one draw per incident, so its severity is consistent throughout
            cond = self._conditions[incident] = conditions_for(incident.kind, self.rng)
        return cond

    def _push(self, events: list[Timed]) -> None:
        for t, event in events:
            self._seq += 1
            heapq.heappush(self._pending, (t, self._seq, event))

    def _health(self, t: float) -> None:
        self._next_health = t + self.i.health_interval_s * self.rng.uniform(0.85, 1.15)
        load = load_factor(t, self.i.tz_offset_h, self.i.provider.calendar)
        payload = health_payload(self.i, self.rng, self._conditions_at(t), load=load,
                                 expiring=self.book.credentials_expiring(self.i, t))
        self._push([self.factory.health(t, payload)])

    def _scheduled(self, tick: float) -> None:
        cadence = self.i.cadence_s
        self._next_tick = tick + cadence
        if self._busy_until > tick:  # previous run still going: the scheduler skips this slot
            return
        sync_type = self.i.sync_type
        if cadence < 86400 and NIGHTLY_HOUR <= local_hour(tick, self.i.tz_offset_h) < NIGHTLY_HOUR + cadence / 3600:
            sync_type = "full"
        triggered_by = "manual" if self.rng.random() < 0.005 else "schedule"
        self._session(tick + self.rng.uniform(0.5, 20.0), sync_type, triggered_by, None, 0)

    def _session(self, t0: float, sync_type: str, triggered_by: str, retry_of: str | None, attempt: int) -> None:
        load = load_factor(t0, self.i.tz_offset_h, self.i.provider.calendar)
        result = simulate_session(self.i, self.factory, self.rng, t0, self._conditions_at(t0),
                                  sync_type=sync_type, triggered_by=triggered_by, retry_of=retry_of, load=load)
        self.sessions += 1
        self._push(result.events)
        if sync_type != "realtime":
            self._busy_until = max(self._busy_until, result.end)
        if result.status == "failed" and attempt < MAX_RETRIES:
            chance = 0.75 if result.failure_category in ("network", "rate_limit", "system") else 0.35
            if self.rng.random() < chance:
                delay = 60.0 * 2 ** attempt * self.rng.uniform(1.0, 2.0)
                self._seq += 1
                heapq.heappush(self._retries, (result.end + delay, self._seq, sync_type, result.session_id,
                                               attempt + 1))

    def _draw_webhook(self, t: float) -> float:
        """Next webhook-triggered realtime session (thinned Poisson process following the daily rhythm)."""
        if not self._webhook_rate:
            return _INF
        while True:
            t += self.rng.expovariate(self._webhook_rate)
            if self.rng.random() < load_factor(t, self.i.tz_offset_h, self.i.provider.calendar):
                return t


@dataclass
class Engine:
    """The whole simulated fleet, positioned at `position` (epoch seconds)."""

    seed: int
    fleet: list[Integration]
    book: IncidentBook
    streams: list[IntegrationStream]
    start: float
    position: float

    @classmethod
    def create(cls, *, integrations: int, seed: int, start: float, plan_until: float | None = None) -> Engine:
        """A fleet starting at `start`; incidents are planned over [start, plan_until) when given."""
        fleet = build_fleet(integrations, child_rng(seed, "fleet"))
        incidents = plan_incidents(fleet, start, plan_until, child_rng(seed, "incidents")) if plan_until else []
        book = IncidentBook(fleet, incidents, seed=seed)
        streams = [IntegrationStream(i, seed, start, book) for i in fleet]
        return cls(seed, fleet, book, streams, start, start)

    @property
    def sessions(self) -> int:
        return sum(s.sessions for s in self.streams)

    def advance(self, until: float, *, step_s: float = STEP_S) -> Iterator[list[Timed]]:
        """Chunks (at most `step_s` of simulated time each) of the events before `until`, sorted by time."""
        while self.position < until:
            boundary = min(until, (math.floor(self.position / step_s) + 1) * step_s)
            chunk: list[Timed] = []
            for stream in self.streams:
                chunk.extend(stream.advance(boundary))
            chunk.sort(key=itemgetter(0))
            self.position = boundary
            yield chunk
