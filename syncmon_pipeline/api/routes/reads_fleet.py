"""Integrations, their health, and any measure as a time series (reads of the analyst snapshot)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from syncmon_pipeline.analytics.series import INTERVALS, MAX_POINTS, MEASURES, SeriesRequestError, measure_series, point_count
from syncmon_pipeline.timestamps import from_utc_naive

from .. import read_models as m
from .. import read_queries as q
from ..context import ApiContext
from ..deps import get_context, require
from ..pagination import decode_cursor, filters_hash, page_of
from ..problems import Problem
from ..read_http import conditional_json, documented
from ..read_parts import DEFAULT_LIMIT, Cursor, Instant, Limit, ReadParts, checked_range, read_parts

router = APIRouter(prefix="/v1", tags=["integrations"])
HealthStatus = Literal["healthy", "degraded", "down", "stale", "unknown"]
Measure = Literal[MEASURES]  # type: ignore[valid-type]
Interval = Literal["minute", "hour", "day"]
IntegrationId = Annotated[str, Path(min_length=1, max_length=200, description="e.g. powerschool-district-12")]
DEFAULT_SPAN = {"minute": timedelta(hours=6), "hour": timedelta(hours=24), "day": timedelta(days=30)}


def _empty_page() -> m.Page:
    return m.Page(items=[], next_cursor=None, published_at=None, snapshot=None)


@router.get("/integrations", response_model=m.Page[m.Integration], summary="Integrations with their health",
            description="By integration id. Filters: `provider`, health `status`.", responses=documented())  # fmt: skip
async def list_integrations(
    request: Request,
    provider: Annotated[str | None, Query(max_length=200)] = None,
    status: HealthStatus | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    parts: ReadParts = Depends(read_parts),
    _: object = Depends(require("read")),
) -> Response:
    def read() -> Response:
        fingerprint = filters_hash("integrations", {"provider": provider, "status": status})
        after = decode_cursor(cursor, fingerprint, ("str",))[0] if cursor else None
        with parts.snapshots.analytics(required=False) as lease:
            if lease is None:
                return conditional_json(request, None, version=None, modified=None, build=_empty_page)

            def build() -> m.Page[m.Integration]:
                found = q.integrations(lease.cursor, provider=provider, status=status, after=after, limit=limit + 1)
                items, next_cursor = page_of(found, limit, lambda i: (i.integration_id,), fingerprint)
                return m.Page[m.Integration](items=items, next_cursor=next_cursor, published_at=lease.published_at,
                                             snapshot="analytics")  # fmt: skip

            return conditional_json(request, parts.cache, version=lease.version, modified=lease.published_at, build=build)

    return await parts.answer(request, "analytics", read)


def _unknown_integration(integration_id: str) -> Problem:
    return Problem(404, f"no integration {integration_id!r} in the analyst snapshot; GET /v1/integrations lists them")


@router.get("/health/{integration_id}", response_model=m.HealthDetail, summary="One integration's health",
            description="Its health row and the hourly buckets of the 24 hours up to the health's as-of time.",
            responses=documented(404, 503))  # fmt: skip
async def health(
    request: Request,
    integration_id: IntegrationId,
    ctx: ApiContext = Depends(get_context),
    parts: ReadParts = Depends(read_parts),
    _: object = Depends(require("read")),
) -> Response:
    def read() -> Response:
        with parts.snapshots.analytics(required=True) as lease:
            def build() -> m.HealthDetail:
                found = q.integrations(lease.cursor, integration_id=integration_id, limit=1)
                if not found:
                    raise _unknown_integration(integration_id)
                integration = found[0]
                as_of = ((integration.health and integration.health.as_of) or integration.last_seen_at
                         or lease.published_at or ctx.clock())  # fmt: skip
                start, end = q.health_window(as_of.astimezone(UTC))
                return m.HealthDetail(integration=integration, window_start=start, window_end=end,
                                      hourly=q.hourly_buckets(lease.cursor, integration_id, start, end),
                                      published_at=lease.published_at)  # fmt: skip

            return conditional_json(request, parts.cache, version=lease.version, modified=lease.published_at, build=build)

    return await parts.answer(request, "analytics", read)


def _floor(moment: datetime, interval: str) -> datetime:
    moment = moment.replace(second=0, microsecond=0)
    if interval in ("hour", "day"):
        moment = moment.replace(minute=0)
    if interval == "day":
        moment = moment.replace(hour=0)
    return moment


def _default_range(start: datetime | None, end: datetime | None, interval: str,
                   anchor: datetime) -> tuple[datetime, datetime]:  # fmt: skip
    """Unset ends: the range ends with the bucket of the newest data and spans DEFAULT_SPAN[interval]."""
    span = DEFAULT_SPAN[interval]
    if end is None:
        latest = _floor(anchor, interval) + INTERVALS[interval]
        end = latest if start is None or from_utc_naive(start) < latest else from_utc_naive(start) + span
    if start is None:
        start = from_utc_naive(end) - span
    return from_utc_naive(start).astimezone(UTC), from_utc_naive(end).astimezone(UTC)


@router.get("/metrics/{measure}", response_model=m.MetricSeries, summary="A measure as a time series",
            description=(f"Per `interval` bucket in [start, end), UTC, for one integration or the fleet; at most"
                         f" {MAX_POINTS} points. Naive instants are UTC. Without `end` the series ends with the bucket"
                         " of the newest data; without `start` it spans 6 hours (minute), 24 hours (hour) or"
                         " 30 days (day)."),
            responses=documented(404, 503))  # fmt: skip
async def metric(
    request: Request,
    measure: Measure,
    interval: Interval = "hour",
    start: Instant | None = None,
    end: Instant | None = None,
    integration_id: Annotated[str | None, Query(max_length=200, description="Default: the whole fleet.")] = None,
    ctx: ApiContext = Depends(get_context),
    parts: ReadParts = Depends(read_parts),
    _: object = Depends(require("read")),
) -> Response:
    def read() -> Response:
        checked_range(start, end, ("start", "end"))
        with parts.snapshots.analytics(required=True) as lease:
            health_as_of, data_as_of = q.data_as_of(lease.cursor)
            anchor = max([t for t in (health_as_of, data_as_of) if t is not None], default=ctx.clock().astimezone(UTC))
            first, last = _default_range(start, end, interval, anchor)
            checked_range(first, last, ("start", "end"))
            points = point_count(first, last, interval)
            if points > MAX_POINTS:
                raise Problem(422, f"{points} {interval} points from {first.isoformat()} to {last.isoformat()} exceed the"
                                   f" limit of {MAX_POINTS}; use a coarser interval or a shorter range",
                              points=points, max_points=MAX_POINTS)  # fmt: skip

            def build() -> m.MetricSeries:
                if integration_id is not None and not q.integrations(lease.cursor, integration_id=integration_id, limit=1):
                    raise _unknown_integration(integration_id)
                try:
                    series = measure_series(lease.cursor, measure, start=first, end=last, interval=interval,
                                            integration_id=integration_id)  # fmt: skip
                except SeriesRequestError as exc:
                    raise Problem(422, str(exc)) from None
                values = [None if v is None or math.isnan(v) else float(v) for v in series.tolist()]
                stamps = [from_utc_naive(t.to_pydatetime()) for t in series.index]
                return m.MetricSeries(
                    measure=measure, interval=interval, start=first, end=first + points * INTERVALS[interval],
                    integration_id=integration_id, max_points=MAX_POINTS, published_at=lease.published_at,
                    points=[m.MetricPoint(bucket_start=t, value=v) for t, v in zip(stamps, values)],
                )  # fmt: skip

            return conditional_json(request, parts.cache, version=lease.version, modified=lease.published_at, build=build)

    return await parts.answer(request, "analytics", read)
