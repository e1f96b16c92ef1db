"""What each kind of incident does to the sessions and health checks of the integration it hits."""

from __future__ import annotations

import random
from dataclasses import dataclass

# Terminal outcome weights of a session on a normal day.
NORMAL_OUTCOMES: tuple[tuple[str, float], ...] = (
    ("completed", 93.2),
    ("completed_with_warnings", 4.2),
    ("partially_completed", 1.2),
    ("failed", 0.9),
    ("cancelled", 0.3),
    ("timed_out", 0.2),
)


@dataclass(frozen=True)
class Conditions:
    """The environment one session or health check runs in (all multipliers 1.0 on a normal day)."""

    kind: str | None = None
    reachable: bool = True
    auth_status: str = "valid"
    latency_mult: float = 1.0
    duration_mult: float = 1.0
    rate_limited: bool = False
    # How the session ends: weights over terminal statuses, plus the failing error category.
    outcomes: tuple[tuple[str, float], ...] = NORMAL_OUTCOMES
    failure_category: str = "system"
    # Extra errors during the run: (category, expected count per session).
    extra_errors: tuple[tuple[str, float], ...] = ()
    extra_conflicts: float = 0.0  # expected conflicts per session on top of the usual ones
    failed_share: tuple[float, float] = (0.0, 0.0)  # share of records failing validation
    cpu_pct: tuple[float, float] | None = None
    memory_mult: float = 1.0
    api_error_share: float = 0.0


NORMAL = Conditions()


def conditions_for(kind: str | None, rng: random.Random) -> Conditions:
    """Conditions of a session or health check starting while incident `kind` is active (None: normal)."""
    if kind is None:
        return NORMAL
    if kind == "integration_down":
        return Conditions(kind, reachable=False, outcomes=(("failed", 1.0),), failure_category="network")
    if kind == "authentication_failure":
        return Conditions(kind, auth_status=rng.choice(("expired", "expired", "expired", "invalid")),
                          outcomes=(("failed", 1.0),), failure_category="authentication")
    if kind == "rate_limit_exceeded":
        return Conditions(kind, rate_limited=True, duration_mult=rng.uniform(2.0, 4.0),
                          latency_mult=rng.uniform(1.2, 1.8),
                          outcomes=(("completed_with_warnings", 40), ("partially_completed", 35), ("failed", 25)),
                          failure_category="rate_limit", extra_errors=(("rate_limit", 6.0),), api_error_share=0.3)
    if kind == "performance_degradation":
        factor = rng.uniform(3.0, 5.0)
        return Conditions(kind, latency_mult=factor, duration_mult=factor * rng.uniform(0.9, 1.1),
                          outcomes=(("completed", 88), ("completed_with_warnings", 12)))
    if kind == "high_error_rate":
        return Conditions(kind, outcomes=(("completed", 10), ("completed_with_warnings", 40),
                                          ("partially_completed", 30), ("failed", 20)),
                          extra_errors=(("system", 4.0), ("network", 2.5)), api_error_share=0.3)
    if kind == "conflict_spike":
        return Conditions(kind, extra_conflicts=rng.uniform(6.0, 20.0),
                          outcomes=(("completed", 30), ("completed_with_warnings", 70)))
    if kind == "data_quality_issue":
        return Conditions(kind, failed_share=(0.1, 0.4), extra_errors=(("validation", 6.0),),
                          outcomes=(("partially_completed", 60), ("completed_with_warnings", 40)))
    if kind == "timeout_threshold":
        return Conditions(kind, duration_mult=rng.uniform(1.5, 2.5),
                          outcomes=(("timed_out", 85), ("completed_with_warnings", 15)))
    if kind == "resource_exhaustion":
        return Conditions(kind, cpu_pct=(96.0, 100.0), memory_mult=rng.uniform(8.0, 15.0),
                          duration_mult=rng.uniform(1.3, 1.8), extra_errors=(("system", 0.6),),
                          outcomes=(("completed", 45), ("completed_with_warnings", 25), ("failed", 30)))
    if kind == "sync_failure":
        return Conditions(kind, outcomes=(("failed", 88), ("completed", 12)),
                          failure_category=rng.choice(("system", "system", "validation", "conflict")))
    raise ValueError(f"unknown incident kind {kind!r}")


def pick_outcome(conditions: Conditions, rng: random.Random) -> str:
    statuses = [s for s, _ in conditions.outcomes]
    weights = [w for _, w in conditions.outcomes]
    return rng.choices(statuses, weights=weights)[0]
