"""Injected incidents: which integration suffers what, when (the ground truth the detectors are scored on)."""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from syncmon_pipeline.contract import ALERT_TYPES

from .catalog import Integration
from .events import child_rng, from_epoch

# Kinds an operator can see from health checks alone, hence on any integration;
# the others only show in sessions, so they go on integrations syncing at least hourly.
HEALTH_VISIBLE_KINDS: tuple[str, ...] = ("integration_down", "authentication_failure", "rate_limit_exceeded")
DAY_S = 86400.0
MAX_DURATION_S = DAY_S
MAX_LIVE_DURATION_S = 6 * 3600.0
GAP_S = 2 * 3600.0  # quiet time kept between two incidents of one integration
EXPIRING_NOTICE_S = 12 * 3600.0  # credentials report "expiring" this long before they expire


@dataclass(frozen=True, order=True)
class Incident:
    start: float  # epoch seconds
    integration_id: str
    kind: str
    end: float

    def truth(self) -> dict[str, str]:
        return {
            "integration_id": self.integration_id,
            "kind": self.kind,
            "start": from_epoch(self.start).isoformat(),
            "end": from_epoch(self.end).isoformat(),
        }


def eligible_kinds(integration: Integration) -> tuple[str, ...]:
    if integration.cadence_s <= 3600:
        return ALERT_TYPES
    return tuple(k for k in ALERT_TYPES if k in HEALTH_VISIBLE_KINDS)


def min_duration_s(kind: str, integration: Integration) -> float:
    """Long enough for the signal to show: at least an hour and three scheduled sessions."""
    if kind in HEALTH_VISIBLE_KINDS and integration.cadence_s > 3600:
        return 3600.0
    return max(3600.0, 3.0 * integration.cadence_s)


def _draw_span(rng: random.Random, lo: float, hi: float, shortest: float, longest: float) -> tuple[float, float] | None:
    longest = min(longest, hi - lo)
    if longest < shortest:
        return None
    duration = math.exp(rng.uniform(math.log(shortest), math.log(longest)))
    start = math.floor(rng.uniform(lo, hi - duration) / 60.0) * 60.0
    end = start + math.ceil(duration / 60.0) * 60.0
    return (start, min(end, hi)) if start >= lo else None


def _free(spans: Sequence[tuple[float, float]], start: float, end: float) -> bool:
    return all(end + GAP_S <= s or start >= e + GAP_S for s, e in spans)


def plan_incidents(
    fleet: Sequence[Integration], start: float, end: float, rng: random.Random, *, rate_per_day: float = 0.035
) -> list[Incident]:
    """Incidents within [start + 1 day, end): every kind at least once when room allows, then random extras.

    The first simulated day stays clean so detectors can learn a baseline; one
    integration never has two incidents at once (nor within `GAP_S` of each other).
    """
    lo = start + DAY_S
    if end - lo < 3600.0:
        return []
    spans: dict[int, list[tuple[float, float]]] = {i.index: [] for i in fleet}
    incidents: list[Incident] = []

    def place(integration: Integration, kind: str, attempts: int) -> bool:
        for _ in range(attempts):
            span = _draw_span(rng, lo, end, min_duration_s(kind, integration), MAX_DURATION_S)
            if span is None:
                return False
            if _free(spans[integration.index], *span):
                spans[integration.index].append(span)
                incidents.append(Incident(span[0], integration.integration_id, kind, span[1]))
                return True
        return False

    kinds = list(ALERT_TYPES)
    rng.shuffle(kinds)
    order = list(fleet)
    rng.shuffle(order)
    for kind in kinds:  # coverage: each kind on the least-burdened integration that can show it
        candidates = sorted((i for i in order if kind in eligible_kinds(i)), key=lambda i: len(spans[i.index]))
        for integration in candidates:
            if place(integration, kind, attempts=25):
                break
    usable_days = (end - lo) / DAY_S
    expected = rate_per_day * len(fleet) * usable_days
    for _ in range(_poisson_count(rng, expected)):
        integration = fleet[rng.randrange(len(fleet))]
        place(integration, rng.choice(eligible_kinds(integration)), attempts=5)
    return sorted(incidents)


def _poisson_count(rng: random.Random, mean: float) -> int:
    return max(0, round(rng.gauss(mean, math.sqrt(mean)))) if mean > 0 else 0


class IncidentBook:
    """Answers "what is wrong with this integration at time t", and keeps inventing incidents once live."""

    def __init__(self, fleet: Sequence[Integration], incidents: Sequence[Incident], *, seed: int) -> None:
        self._fleet = list(fleet)
        by_id = {i.integration_id: i.index for i in fleet}
        self._spans: list[list[Incident]] = [[] for _ in fleet]
        for incident in sorted(incidents):
            self._spans[by_id[incident.integration_id]].append(incident)
        self._starts = [[x.start for x in spans] for spans in self._spans]
        self._seed = seed
        self._live_from: float | None = None
        self._horizon: list[float] = []
        self._live_rngs: list[random.Random] = []
        self._live_p_hour = 0.0
        self.version = 0  # bumped whenever an incident is added

    @property
    def incidents(self) -> list[Incident]:
        return sorted(x for spans in self._spans for x in spans)

    def go_live(self, from_t: float, *, warmup_s: float = 600.0, fleet_incidents_per_hour: float = 0.3) -> None:
        """From `from_t` on, start incidents at random (about `fleet_incidents_per_hour` over the fleet)."""
        self._live_from = from_t + warmup_s
        self._horizon = [from_t + warmup_s] * len(self._fleet)
        self._live_rngs = [child_rng(self._seed, "live-incidents", i.index) for i in self._fleet]
        self._live_p_hour = min(0.5, fleet_incidents_per_hour / max(1, len(self._fleet)))

    def current(self, integration: Integration, t: float) -> Incident | None:
        if self._live_from is not None and t >= self._horizon[integration.index]:
            self._extend(integration, t)
        starts = self._starts[integration.index]
        pos = bisect_right(starts, t) - 1
        if pos >= 0:
            incident = self._spans[integration.index][pos]
            if t < incident.end:
                return incident
        return None

    def kind_at(self, integration: Integration, t: float) -> str | None:
        incident = self.current(integration, t)
        return incident.kind if incident else None

    def credentials_expiring(self, integration: Integration, t: float) -> bool:
        """True in the hours before an expired-credentials incident (health checks say "expiring")."""
        starts = self._starts[integration.index]
        pos = bisect_right(starts, t)
        if pos < len(starts):
            incident = self._spans[integration.index][pos]
            return incident.kind == "authentication_failure" and incident.start - t <= EXPIRING_NOTICE_S
        return False

    def _extend(self, integration: Integration, until: float) -> None:
        index = integration.index
        rng = self._live_rngs[index]
        spans = self._spans[index]
        while self._horizon[index] <= until:
            hour = self._horizon[index]
            self._horizon[index] = hour + 3600.0
            if rng.random() >= self._live_p_hour:
                continue
            kind = rng.choice(eligible_kinds(integration))
            shortest = min_duration_s(kind, integration)
            duration = math.exp(rng.uniform(math.log(shortest), math.log(max(shortest, MAX_LIVE_DURATION_S))))
            start = math.floor((hour + rng.uniform(0.0, 3600.0)) / 60.0) * 60.0
            if spans and start < spans[-1].end + GAP_S:
                continue
            spans.append(Incident(start, integration.integration_id, kind, start + math.ceil(duration / 60.0) * 60.0))
            self._starts[index].append(start)
            self.version += 1
