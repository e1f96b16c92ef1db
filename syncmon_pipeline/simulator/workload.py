"""How much work a session does, how long it takes and what its resource metrics look like."""

from __future__ import annotations

import math
import random
from typing import Any

from .catalog import Integration
from .effects import Conditions

# Share of an entity's records changed per hour at a weekday peak.
_CHANGE_RATE_PER_HOUR = 0.012


def draw_records(integration: Integration, rng: random.Random, sync_type: str, load: float) -> list[int]:
    """Records each entity type of `integration` carries in one session."""
    if sync_type == "full":
        return [int(n * rng.uniform(0.97, 1.03)) for n in integration.records]
    if sync_type == "realtime":
        counts = [0] * len(integration.records)
        counts[rng.randrange(len(counts))] = rng.randint(1, 25)
        return counts
    hours = integration.cadence_s / 3600.0
    noise = rng.lognormvariate(0.0, 0.5)
    return [int(n * _CHANGE_RATE_PER_HOUR * hours * load * noise * rng.uniform(0.6, 1.4) + rng.random())
            for n in integration.records]


def split_counts(processed: int, sync_type: str, failed: int, rng: random.Random) -> dict[str, int]:
    """Break `processed` records down into created/updated/deleted/skipped/failed (they sum to processed)."""
    ok = processed - failed
    if sync_type == "full":
        created, updated, deleted = int(ok * rng.uniform(0.01, 0.05)), int(ok * rng.uniform(0.08, 0.2)), \
            int(ok * rng.uniform(0.0, 0.01))
    else:
        created, updated, deleted = int(ok * rng.uniform(0.1, 0.3)), int(ok * rng.uniform(0.55, 0.8)), \
            int(ok * rng.uniform(0.0, 0.04))
    skipped = max(0, ok - created - updated - deleted)
    return {
        "records_processed": processed,
        "records_created": created,
        "records_updated": updated,
        "records_deleted": deleted,
        "records_skipped": skipped,
        "records_failed": failed,
    }


def run_duration_s(integration: Integration, rng: random.Random, total: int, conditions: Conditions) -> float:
    """Wall time of fetch + transform + load: log-normal, scaled with the records and the incident."""
    overhead = rng.lognormvariate(math.log(6.0), 0.5)
    rate = integration.records_per_s * rng.lognormvariate(0.0, 0.25)
    return (overhead + total / rate) * conditions.duration_mult


def metrics_payload(
    integration: Integration,
    rng: random.Random,
    conditions: Conditions,
    *,
    processed: int,
    duration_s: float,
    load: float,
    errors: int,
    calls: int | None = None,
) -> dict[str, Any]:
    """A `session_metrics` payload consistent with the work done."""
    page = integration.provider.page_size
    if calls is None:
        calls = sum(1 for _ in integration.entity_types) + math.ceil(processed / page) + errors
    api_errors = errors + int(calls * conditions.api_error_share * rng.uniform(0.5, 1.5))
    latency = integration.latency_ms * (0.85 + 0.3 * load) * rng.lognormvariate(0.0, 0.12) * conditions.latency_mult
    if not conditions.reachable:
        latency = 30000.0 * rng.uniform(0.98, 1.02)
    hits = int(calls * rng.uniform(0.1, 0.6))
    if conditions.cpu_pct is not None:
        cpu = rng.uniform(*conditions.cpu_pct)
    else:
        cpu = min(92.0, rng.uniform(6.0, 30.0) + 35.0 * processed / (processed + 25000.0) + rng.gauss(0.0, 3.0))
    memory = integration.memory_mb * (1.0 + processed / 150000.0) * rng.lognormvariate(0.0, 0.08)
    quota = integration.provider.rate_limit
    remaining = rng.randint(0, 5) if conditions.rate_limited else max(0, quota - calls - rng.randint(0, quota // 3))
    return {
        "api_calls": calls,
        "api_errors": min(api_errors, calls),
        "api_latency_ms_avg": round(latency, 1),
        "api_latency_ms_p95": round(latency * rng.uniform(1.7, 2.8), 1),
        "throughput_rps": round(processed / duration_s, 2) if duration_s > 0 else 0.0,
        "cache_hits": hits,
        "cache_misses": calls - hits,
        "cpu_pct": round(max(1.0, cpu), 1),
        "memory_mb": round(memory * conditions.memory_mult, 1),
        "rate_limit_remaining": remaining,
    }

