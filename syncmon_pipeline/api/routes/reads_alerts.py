"""Alerts, their notifications and delivery attempts, and silences.

Read from the alerts snapshot (republished after every alert evaluation) when it is published, else
from the analyst snapshot's copy of the alerts schema; `snapshot` in each answer says which.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from .. import alert_reads as a
from .. import read_models as m
from ..context import ApiContext
from ..deps import get_context, require
from ..pagination import decode_cursor, filters_hash, page_of
from ..problems import Problem
from ..read_http import body_tagged_json, conditional_json, documented
from ..read_parts import DEFAULT_LIMIT, Cursor, Instant, Limit, ReadParts, checked_range, read_parts

router = APIRouter(prefix="/v1", tags=["alerts"])
AlertStatus = Literal["pending", "firing", "acknowledged", "resolved"]
Severity = Literal["info", "warning", "error", "critical"]
AlertType = Literal["sync_failure", "performance_degradation", "high_error_rate", "integration_down",
                    "data_quality_issue", "conflict_spike", "resource_exhaustion", "authentication_failure",
                    "rate_limit_exceeded", "timeout_threshold"]  # fmt: skip
Text = Annotated[str | None, Query(max_length=200)]


def _alert_page(request: Request, parts: ReadParts, filters: a.AlertFilters, *, endpoint: str, limit: int,
                cursor: str | None) -> Response:  # fmt: skip
    checked_range(filters.started_after, filters.started_before, ("started_after", "started_before"))
    fingerprint = filters_hash(endpoint, filters.fingerprint_fields())
    after = decode_cursor(cursor, fingerprint, a.ALERT_KEY_KINDS) if cursor else None
    with parts.snapshots.alerts(required=False) as lease:
        if lease is None:
            empty = m.Page[m.AlertItem](items=[], next_cursor=None, published_at=None, snapshot=None)
            return conditional_json(request, None, version=None, modified=None, build=lambda: empty)

        def build() -> m.Page[m.AlertItem]:
            rows = a.alert_rows(lease.cursor, filters, after=after, limit=limit + 1)
            rows, next_cursor = page_of(rows, limit, a.alert_key, fingerprint)
            return m.Page[m.AlertItem](items=[a.alert_item(r) for r in rows], next_cursor=next_cursor,
                                       published_at=lease.published_at, snapshot=lease.name)  # fmt: skip

        return conditional_json(request, parts.cache, version=lease.version, modified=lease.published_at, build=build)


@router.get("/alerts", response_model=m.Page[m.AlertItem], summary="Alerts (open ones by default)",
            description=("Most severe first, then newest. Without `status`: the open ones (pending, firing,"
                         " acknowledged). Repeat a filter for several values."),
            responses=documented())  # fmt: skip
async def list_alerts(
    request: Request,
    status: Annotated[list[AlertStatus] | None, Query()] = None,
    severity: Annotated[list[Severity] | None, Query()] = None,
    alert_type: Annotated[list[AlertType] | None, Query()] = None,
    integration_id: Text = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    parts: ReadParts = Depends(read_parts),
    _: object = Depends(require("read")),
) -> Response:
    def read() -> Response:
        filters = a.AlertFilters(statuses=tuple(sorted(set(status or a.OPEN_STATUSES))),
                                 severities=tuple(sorted(set(severity or ()))), alert_types=tuple(sorted(set(alert_type or ()))),
                                 integration_id=integration_id, by_severity=True)  # fmt: skip
        return _alert_page(request, parts, filters, endpoint="alerts", limit=limit, cursor=cursor)

    return await parts.answer(request, "alerts", read)


@router.get("/alerts/history", response_model=m.Page[m.AlertItem], summary="Every alert, newest first",
            description="All statuses, newest first by start; `started_after` inclusive, `started_before` exclusive.",
            responses=documented())  # fmt: skip
async def alert_history(
    request: Request,
    started_after: Instant | None = None,
    started_before: Instant | None = None,
    status: Annotated[list[AlertStatus] | None, Query()] = None,
    severity: Annotated[list[Severity] | None, Query()] = None,
    alert_type: Annotated[list[AlertType] | None, Query()] = None,
    integration_id: Text = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    parts: ReadParts = Depends(read_parts),
    _: object = Depends(require("read")),
) -> Response:
    def read() -> Response:
        filters = a.AlertFilters(statuses=tuple(sorted(set(status or ()))), severities=tuple(sorted(set(severity or ()))),
                                 alert_types=tuple(sorted(set(alert_type or ()))), integration_id=integration_id,
                                 started_after=started_after, started_before=started_before, by_severity=False)  # fmt: skip
        return _alert_page(request, parts, filters, endpoint="alerts/history", limit=limit, cursor=cursor)

    return await parts.answer(request, "alerts", read)


@router.get("/alerts/{alert_id}", response_model=m.AlertDetail, summary="One alert: evidence and notifications",
            description="With every notification about it and each delivery attempt (targets are addresses or"
                        " webhook names, never URLs; errors are redacted).",
            responses=documented(404, 503))  # fmt: skip
async def alert(
    request: Request,
    alert_id: Annotated[str, Path(min_length=1, max_length=200)],
    parts: ReadParts = Depends(read_parts),
    _: object = Depends(require("read")),
) -> Response:
    def read() -> Response:
        with parts.snapshots.alerts(required=True) as lease:
            def build() -> m.AlertDetail:
                found = a.alert_detail(lease, alert_id)
                if found is None:
                    raise Problem(404, f"no alert {alert_id!r} in the published alert tables; GET /v1/alerts/history lists them")
                return found

            return conditional_json(request, parts.cache, version=lease.version, modified=lease.published_at, build=build)

    return await parts.answer(request, "alerts", read)


@router.get("/silences", response_model=m.Page[m.SilenceItem], summary="Silences (in force or to come)",
            description="Newest first. Without `include_expired`: those in force now or starting later.",
            responses=documented())  # fmt: skip
def list_silences(
    request: Request,
    include_expired: bool = False,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    ctx: ApiContext = Depends(get_context),
    parts: ReadParts = Depends(read_parts),
    _: object = Depends(require("read")),
) -> Response:
    fingerprint = filters_hash("silences", {"include_expired": include_expired})
    after = decode_cursor(cursor, fingerprint, a.SILENCE_KEY_KINDS) if cursor else None
    with parts.snapshots.alerts(required=False) as lease:
        if lease is None or not lease.has("alerts.silences"):
            page = m.Page[m.SilenceItem](items=[], next_cursor=None, published_at=lease and lease.published_at,
                                         snapshot=lease and lease.name)  # fmt: skip
            return conditional_json(request, None, version=None, modified=None, build=lambda: page)
        rows = a.silences(lease.cursor, now=ctx.clock(), include_expired=include_expired, after=after, limit=limit + 1)
        rows, next_cursor = page_of(rows, limit, a.silence_key, fingerprint)
        page = m.Page[m.SilenceItem](items=[m.SilenceItem(**r) for r in rows], next_cursor=next_cursor,
                                     published_at=lease.published_at, snapshot=lease.name)  # fmt: skip
        return body_tagged_json(request, page, lease.published_at)
