"""Sync sessions: lists (with aggregate figures), the ones running now, and one session's detail.

A session is (integration_id, session_id): ids are unique per integration only. `GET
/v1/sessions/{session_id}` without `integration_id` answers the session when one integration has
that id, and 409 with the candidates (`matches`, each with its URL) when several do.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from .. import read_models as m
from .. import read_queries as q
from ..deps import require
from ..pagination import decode_cursor, filters_hash, page_of
from ..problems import Problem
from ..read_http import conditional_json, documented
from ..read_parts import DEFAULT_LIMIT, Cursor, Instant, Limit, ReadParts, checked_range, read_parts
from ..snapshots import Lease

router = APIRouter(prefix="/v1/sessions", tags=["sessions"])
SessionStatus = Literal["pending", "queued", "initializing", "running", "paused", "retrying", "completing", "completed",
                        "completed_with_warnings", "partially_completed", "failed", "cancelled", "timed_out"]  # fmt: skip
SyncType = Literal["full", "incremental", "delta", "realtime"]
Outcome = Literal["succeeded", "partial", "failed", "cancelled"]
Text = Annotated[str | None, Query(max_length=200)]
MAX_MATCHES = 20


def _page(request: Request, parts: ReadParts, filters: q.SessionFilters, *, endpoint: str, limit: int,
          cursor: str | None, aggregate: bool) -> Response:  # fmt: skip
    checked_range(filters.started_after, filters.started_before, ("started_after", "started_before"))
    fingerprint = filters_hash(endpoint, filters.fingerprint_fields())
    after = decode_cursor(cursor, fingerprint, q.SESSION_KEY_KINDS) if cursor else None
    with parts.snapshots.analytics(required=False) as lease:
        if lease is None:
            empty = m.SessionPage(items=[], next_cursor=None, published_at=None, snapshot=None,
                                  aggregate=m.SessionAggregate(sessions=0, by_status={}, by_outcome={}, success_rate=None,
                                                               avg_duration_seconds=None, p95_duration_seconds=None)
                                  if aggregate else None)  # fmt: skip
            return conditional_json(request, None, version=None, modified=None, build=lambda: empty)

        def build() -> m.SessionPage:
            rows = q.session_rows(lease.cursor, filters, after=after, limit=limit + 1)
            rows, next_cursor = page_of(rows, limit, q.session_key, fingerprint)
            return m.SessionPage(items=[q.session_item(r) for r in rows], next_cursor=next_cursor,
                                 published_at=lease.published_at, snapshot="analytics",
                                 aggregate=q.session_aggregate(lease.cursor, filters) if aggregate else None)  # fmt: skip

        return conditional_json(request, parts.cache, version=lease.version, modified=lease.published_at, build=build)


@router.get("", response_model=m.SessionPage, summary="Sessions, newest first",
            description=("Newest first by start (creation for a session not started yet). `started_after` is"
                         " inclusive, `started_before` exclusive; naive instants are UTC. `aggregate=true` adds"
                         " figures over every matching session (not only the page)."),
            responses=documented())  # fmt: skip
async def list_sessions(
    request: Request,
    integration_id: Text = None,
    provider: Text = None,
    status: Annotated[list[SessionStatus] | None, Query(description="Repeat for several.")] = None,
    sync_type: SyncType | None = None,
    outcome: Outcome | None = None,
    started_after: Instant | None = None,
    started_before: Instant | None = None,
    aggregate: bool = False,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    parts: ReadParts = Depends(read_parts),
    _: object = Depends(require("read")),
) -> Response:
    def read() -> Response:
        filters = q.SessionFilters(integration_id=integration_id, provider=provider, statuses=tuple(sorted(set(status or ()))),
                                   sync_type=sync_type, outcome=outcome, started_after=started_after,
                                   started_before=started_before)  # fmt: skip
        return _page(request, parts, filters, endpoint="sessions", limit=limit, cursor=cursor, aggregate=aggregate)

    return await parts.answer(request, "analytics", read)


@router.get("/current", response_model=m.SessionPage, summary="Sessions running now",
            description=("Not finished and heard from within 6 hours of the data's as-of time (as on the"
                         " dashboard), newest first."),
            responses=documented())  # fmt: skip
async def current_sessions(
    request: Request,
    integration_id: Text = None,
    provider: Text = None,
    aggregate: bool = False,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    parts: ReadParts = Depends(read_parts),
    _: object = Depends(require("read")),
) -> Response:
    def read() -> Response:
        filters = q.SessionFilters(integration_id=integration_id, provider=provider, current=True)
        return _page(request, parts, filters, endpoint="sessions/current", limit=limit, cursor=cursor, aggregate=aggregate)

    return await parts.answer(request, "analytics", read)


def _one(lease: Lease, session_id: str, integration_id: str | None) -> dict:
    rows = q.session_rows(lease.cursor, q.SessionFilters(session_id=session_id, integration_id=integration_id),
                          after=None, limit=MAX_MATCHES + 1)  # fmt: skip
    if not rows:
        where = f" in integration {integration_id!r}" if integration_id else ""
        raise Problem(404, f"no session {session_id!r}{where} in the analyst snapshot")
    if len(rows) > 1:
        matches = sorted(({"integration_id": r["integration_id"], "url": q.session_url(r["integration_id"], session_id)}
                          for r in rows[:MAX_MATCHES]), key=lambda x: x["integration_id"])  # fmt: skip
        count = str(len(rows)) if len(rows) <= MAX_MATCHES else f"more than {MAX_MATCHES}"
        raise Problem(409, f"session id {session_id!r} exists in {count} integrations; pass `integration_id`"
                           " (one of `matches`)", matches=matches)  # fmt: skip
    return rows[0]


@router.get("/{session_id}", response_model=m.SessionDetail, summary="One session: timeline, errors, metrics",
            description=("Session ids are unique per integration: pass `integration_id`. Without it the id must"
                         " be unique in the fleet, else 409 lists the integrations that have it (`matches`)."
                         f" Each event list holds at most {q.MAX_SESSION_EVENTS} entries (`truncated`)."),
            responses=documented(404, 409, 503))  # fmt: skip
async def session(
    request: Request,
    session_id: Annotated[str, Path(min_length=1, max_length=200)],
    integration_id: Text = None,
    parts: ReadParts = Depends(read_parts),
    _: object = Depends(require("read")),
) -> Response:
    def read() -> Response:
        with parts.snapshots.analytics(required=True) as lease:
            def build() -> m.SessionDetail:
                row = _one(lease, session_id, integration_id)
                return q.session_detail(lease.cursor, row, published_at=lease.published_at,
                                        has_status_history=lease.has("intermediate.int_session_status_history"))  # fmt: skip

            return conditional_json(request, parts.cache, version=lease.version, modified=lease.published_at, build=build)

    return await parts.answer(request, "analytics", read)
