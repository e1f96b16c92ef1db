"""The live dashboard at `GET /`: the static dashboard's content, kept current over `/v1/stream`.

A browser opens `/?access_token=<token>` once; the page keeps the token for the tab (sessionStorage),
removes it from the address bar, and sends it as `Authorization` to `/live/fragment` (the new content
after a snapshot is published) and as `?access_token=` to the stream (EventSource cannot set headers).
Without a valid token the page explains how to get one (401), it never shows an error trace.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from ..auth import Principal
from ..context import ApiContext
from ..deps import authorize, get_context, require
from ..live_page import LiveView, ViewCache
from ..live_render import PAGE_HEADERS, render_denied, render_fragment, render_page
from ..problems import Problem

router = APIRouter(tags=["live"])
REPLAY_MAX = 5_000  # messages a page replays at most on load (the provisional rows since the last snapshot)


def _views(ctx: ApiContext) -> ViewCache:
    cache = ctx.parts.get("live_views")
    if cache is None:
        cache = ctx.parts["live_views"] = ViewCache(ctx.paths, ctx.bus, ctx.clock)
    return cache


def replay_position(ctx: ApiContext, view: LiveView) -> int:
    """Where the page starts following: before anything the snapshots it shows may lack (within REPLAY_MAX)."""
    sources = ctx.parts.get("stream_sources")
    start = view.position
    for snapshot in ("analytics", "alerts"):
        start = min(start, sources.published_since(snapshot) if sources is not None else ctx.bus.first_id - 1)
    return max(start, ctx.bus.last_id - REPLAY_MAX, ctx.bus.oldest_position)


def _token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return request.query_params.get("access_token")


@router.get("/", include_in_schema=False, response_class=HTMLResponse)
async def live_dashboard(request: Request, ctx: ApiContext = Depends(get_context)) -> HTMLResponse:
    try:
        authorize(ctx, _token(request), "read")
    except Problem as problem:
        return HTMLResponse(render_denied(problem.status, problem.detail), status_code=problem.status,
                            headers={**PAGE_HEADERS, **problem.headers})  # fmt: skip
    view = await run_in_threadpool(_views(ctx).get)
    html = await run_in_threadpool(render_page, view, replay_position(ctx, view))
    return HTMLResponse(html, headers=PAGE_HEADERS)


@router.get("/live/fragment", include_in_schema=False)
async def live_fragment(
    _: Principal = Depends(require("read")), ctx: ApiContext = Depends(get_context)
) -> JSONResponse:
    view = await run_in_threadpool(_views(ctx).get)
    body = await run_in_threadpool(render_fragment, view, replay_position(ctx, view))
    return JSONResponse(body, headers={"Cache-Control": "no-store"})
