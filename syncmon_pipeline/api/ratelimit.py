"""Per-token rate limit: a token bucket, as a pure decision over explicit time."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class TokenBucket:
    rate_per_second: float
    burst: int
    tokens: float = -1.0
    updated_at: float = 0.0

    def take(self, now: float) -> float:
        """Spend one request at `now` (seconds): 0.0 when allowed, else the seconds to wait."""
        if self.tokens < 0:
            self.tokens, self.updated_at = float(self.burst), now
        elapsed = max(0.0, now - self.updated_at)
        self.tokens = min(float(self.burst), self.tokens + elapsed * self.rate_per_second)
        self.updated_at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate_per_second


def retry_after_header(wait_seconds: float) -> str:
    return str(max(1, math.ceil(wait_seconds)))
