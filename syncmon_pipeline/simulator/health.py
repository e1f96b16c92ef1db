"""Health checks: the platform probing each integration every few minutes, independently of its syncs."""

from __future__ import annotations

import random
from typing import Any

from .catalog import Integration
from .effects import Conditions
from .messages import health_message

# A lone failed probe on a normal day (a network blip detectors must not page on).
BLIP_PROBABILITY = 0.002


def health_payload(
    integration: Integration, rng: random.Random, conditions: Conditions, *, load: float, expiring: bool
) -> dict[str, Any]:
    """A `health_check` payload under `conditions`; `expiring` when credentials expire within hours."""
    reachable = conditions.reachable and rng.random() >= BLIP_PROBABILITY
    auth = conditions.auth_status
    if auth == "valid" and expiring:
        auth = "expiring"
    latency = remaining = None
    if reachable:
        latency = round(integration.latency_ms * 0.6 * (0.9 + 0.2 * load) * rng.lognormvariate(0.0, 0.2)
                        * conditions.latency_mult, 1)
        quota = integration.provider.rate_limit
        if conditions.rate_limited:
            remaining = rng.randint(0, 5)
        else:
            remaining = int(quota * rng.uniform(0.55, 1.0) * (1.0 - 0.3 * load))
    message = health_message(integration, rng, reachable=reachable, auth_status=auth,
                             rate_limited=conditions.rate_limited)
    return {
        "reachable": reachable,
        "latency_ms": latency,
        "auth_status": auth if reachable else None,
        "rate_limit_remaining": remaining,
        "message": message,
    }
