"""What the read routes share: the snapshot readers, the response cache and the report library
(kept in `ctx.parts`), and the common query parameters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
import re
from typing import Annotated, Any

from fastapi import Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BeforeValidator

from syncmon_pipeline.timestamps import from_utc_naive

from .context import ApiContext
from .deps import get_context
from .pagination import LIMIT_DEFAULT, LIMIT_MAX, MAX_CURSOR_CHARS
from .problems import Problem
from .read_http import ResponseCache, cached_json
from .report_files import ReportLibrary
from .snapshots import Snapshots

PART = "reads"


@dataclass
class ReadParts:
    snapshots: Snapshots
    cache: ResponseCache
    reports: ReportLibrary

    def clear(self) -> None:
        """Close every snapshot connection (once its requests end) and forget every cached response."""
        self.snapshots.reset()
        self.cache.clear()
        self.reports.clear()

    async def answer(self, request: Request, snapshot: str, read: Callable[[], Response]) -> Response:
        """A read of `snapshot` ("analytics" or "alerts"): answered on the event loop when the response
        cache (or the client's ETag) already holds it, else `read()` runs in the thread pool (it queries
        DuckDB). Hits are most reads, and a thread-pool hop per request would cost them most of their time."""
        opened = self.snapshots.current(snapshot)
        if opened is not None:
            hit = cached_json(request, self.cache, version=opened.version, modified=opened.published_at)
            if hit is not None:
                return hit
        return await run_in_threadpool(read)


def install(ctx: ApiContext) -> ReadParts:
    parts = ctx.parts.get(PART)
    if parts is None:
        parts = ctx.parts[PART] = ReadParts(
            Snapshots(ctx.paths.analytics_snapshot, ctx.paths.alerts_snapshot), ResponseCache(),
            ReportLibrary(ctx.paths.reports),
        )  # fmt: skip
        ctx.parts["snapshots"] = parts.snapshots
    return parts


async def read_parts(ctx: ApiContext = Depends(get_context)) -> ReadParts:
    return install(ctx)  # normally made at startup; made here too when the app runs without its lifespan


Limit = Annotated[int, Query(ge=1, le=LIMIT_MAX, description=f"Items per page (at most {LIMIT_MAX}).")]
Cursor = Annotated[str | None, Query(min_length=1, max_length=MAX_CURSOR_CHARS, pattern=r"^[A-Za-z0-9_-]+$",
                                    description="`next_cursor` of the previous page (opaque).")]
DEFAULT_LIMIT = LIMIT_DEFAULT

_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _iso_only(value: Any) -> Any:
    """Query instants must be ISO 8601 date-times (as the schema says), not numbers or bare dates."""
    if isinstance(value, str) and not _ISO_DATETIME.match(value):
        raise ValueError("expected an ISO 8601 date-time, e.g. 2026-11-20T00:00:00Z (naive = UTC)")
    return value


Instant = Annotated[datetime, BeforeValidator(_iso_only)]

# Instants outside this range are refused (422) rather than overflowing date arithmetic.
EARLIEST, LATEST = datetime(1970, 1, 1), datetime(9000, 1, 1)


def checked_range(start: datetime | None, end: datetime | None, names: tuple[str, str]) -> None:
    """422 when an instant is out of range or the range is empty."""
    for name, value in zip(names, (start, end)):
        if value is not None and not EARLIEST <= value.replace(tzinfo=None) <= LATEST:
            raise Problem(422, f"{name}: must lie between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}")
    if start is not None and end is not None and from_utc_naive(end) <= from_utc_naive(start):
        raise Problem(422, f"{names[1]} ({end.isoformat()}) must be after {names[0]} ({start.isoformat()})")
