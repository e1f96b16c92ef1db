"""What every route needs, built once per process: paths, settings, tokens, the bus, the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from syncmon_pipeline.config import DataPaths, Settings

from .auth import TokenRegistry
from .bus import StreamBus
from .ratelimit import TokenBucket


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class ApiContext:
    paths: DataPaths
    settings: Settings
    tokens: TokenRegistry
    bus: StreamBus
    generated_token: str | None = None  # set when no token is configured (the local admin token)
    clock: Callable[[], datetime] = utc_now
    buckets: dict[str, TokenBucket] = field(default_factory=dict)
    # Components the route modules add at startup (the landing writer, snapshot readers, stream sources).
    parts: dict[str, Any] = field(default_factory=dict)
