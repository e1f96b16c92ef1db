"""The live stream: `GET /v1/stream` (Server-Sent Events) and `GET /v1/ws` (WebSocket), same messages.

Every message is one JSON object `{"id", "kind", "at", "integration_id", "data"}` (SSE: the `data:`
field, with the id also as `id:`; WebSocket: one text frame). Resume after the last id seen with the
`Last-Event-ID` header or `?last_event_id=`; a position the buffer cannot serve gives one `resync`.
Heartbeats (SSE: a `: heartbeat` comment with `id:`; WebSocket: a `heartbeat` frame) keep idle
streams open through proxies. The sources (landing files, alert changefeed, snapshots) start here.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any
from urllib.parse import urlsplit

import anyio
from fastapi import APIRouter, Depends, Header, Query, WebSocket
from fastapi.sse import EventSourceResponse, ServerSentEvent
from starlette.websockets import WebSocketDisconnect

from ..auth import Principal
from ..context import ApiContext
from ..deps import authorize, get_context, require
from ..problems import Problem, problem_response
from ..stream_sources import StreamSources
from ..subscription import StreamFilter, follow, parse_last_event_id, start_at

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["stream"])
RETRY_MS = 3000  # how long a browser's EventSource waits before reconnecting
_DEFAULT_PORTS = {"http": "80", "https": "443", "ws": "80", "wss": "443"}

KINDS_DOC = (
    "Message kinds (repeatable; a family name like `alert` or `session` matches `alert_*`, `session_*`): "
    "session_created, session_status, session_progress, session_error, session_warning, session_conflict, "
    "session_metrics, health_check (accepted events, `provisional: true` until ingested), landing_file, "
    "ingested, alert_firing, alert_acknowledged, alert_resolved, command_applied, command_rejected, "
    "snapshot_published. `resync` and `heartbeat` are always sent."
)
IntegrationIds = Annotated[list[str], Query(description="Only these integrations (repeatable).")]
Kinds = Annotated[list[str], Query(description=KINDS_DOC)]
LastEventId = Annotated[str | None, Query(description="Resume after this id (the `Last-Event-ID` header wins).")]
AccessToken = Annotated[str | None, Query(description="The bearer token, for clients that cannot set headers.")]


async def startup(ctx: ApiContext) -> None:
    sources = StreamSources(ctx.paths, ctx.bus)
    await sources.start()
    ctx.parts["stream_sources"] = sources


async def shutdown(ctx: ApiContext) -> None:
    sources = ctx.parts.pop("stream_sources", None)
    if sources is not None:
        await sources.stop()


def stream_filter(integration_id: IntegrationIds = [], kind: Kinds = []) -> StreamFilter:  # noqa: B006
    return StreamFilter.parse(integration_id, kind)


def _encode(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False, default=str)


def _subscribers(ctx: ApiContext, change: int) -> None:
    ctx.parts["stream_subscribers"] = ctx.parts.get("stream_subscribers", 0) + change


@router.get(
    "/stream", response_class=EventSourceResponse, summary="Follow the live stream (Server-Sent Events)",
    responses={200: {"description": "`text/event-stream`; each event's data is one message (JSON)."}},
    description="Each event's `data:` is one message `{\"id\", \"kind\", \"at\", \"integration_id\", \"data\"}`"
    " and its `id:` the message id. Reconnect with `Last-Event-ID` (or `?last_event_id=`) to get what"
    " followed; when that is no longer buffered the first message is `resync`: reload from the REST reads."
    " Heartbeats are comments (`: heartbeat`) with an `id:`. The same messages come as JSON text frames"
    " from the WebSocket `GET /v1/ws` (same query, token as header or `?access_token=`; browsers' Origin"
    " must be the service's own or in `api.allowed_origins`).",
)  # fmt: skip
async def stream(
    selected: StreamFilter = Depends(stream_filter),
    last_event_id: LastEventId = None,
    last_event_id_header: Annotated[str | None, Header(alias="Last-Event-ID", include_in_schema=False)] = None,
    access_token: AccessToken = None,
    _: Principal = Depends(require("read", allow_query_token=True)),
    ctx: ApiContext = Depends(get_context),
) -> AsyncIterator[ServerSentEvent]:
    start = start_at(ctx.bus, parse_last_event_id(last_event_id_header, last_event_id))
    _subscribers(ctx, +1)
    try:
        yield ServerSentEvent(comment="connected", retry=RETRY_MS)
        async for message in follow(ctx.bus, start, selected, ctx.settings.api.heartbeat_seconds):
            if message["kind"] == "heartbeat":
                yield ServerSentEvent(comment="heartbeat", id=str(message["id"]))
            else:
                yield ServerSentEvent(raw_data=_encode(message), id=str(message["id"]))
    finally:
        _subscribers(ctx, -1)


def _netloc(scheme: str, netloc: str) -> str:
    """host[:port], lower-case, without the scheme's default port."""
    netloc = netloc.lower()
    host, sep, port = netloc.rpartition(":")
    return host if sep and port == _DEFAULT_PORTS.get(scheme) else netloc


def origin_allowed(origin: str | None, host: str | None, scheme: str, allowed: list[str]) -> bool:
    """No Origin (not a browser), the service's own origin (the request's Host), or one configured."""
    if origin is None:
        return True
    normalized = origin.strip().rstrip("/").lower()
    if normalized in {a.strip().rstrip("/").lower() for a in allowed}:
        return True
    parts = urlsplit(normalized)
    if parts.scheme not in ("http", "https") or not parts.netloc or not host:
        return False
    own_scheme = "https" if scheme in ("https", "wss") else "http"
    return _netloc(parts.scheme, parts.netloc) == _netloc(own_scheme, host.strip())


async def _refuse(websocket: WebSocket, status: int, detail: str) -> None:
    """Refuse the handshake with an HTTP problem response (close 1008 where the server cannot send one)."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(problem_response(status, detail))
    else:
        await websocket.close(code=1008, reason=detail[:120])


@router.websocket("/ws", name="ws")
async def ws(
    websocket: WebSocket,
    integration_id: IntegrationIds = [],  # noqa: B006
    kind: Kinds = [],  # noqa: B006
    last_event_id: LastEventId = None,
) -> None:
    ctx: ApiContext = websocket.app.state.ctx
    if not origin_allowed(websocket.headers.get("origin"), websocket.headers.get("host"), websocket.url.scheme,
                          ctx.settings.api.allowed_origins):  # fmt: skip
        return await _refuse(websocket, 403, "this Origin may not open the stream (api.allowed_origins)")
    header = websocket.headers.get("authorization", "")
    presented = header[7:].strip() if header[:7].lower() == "bearer " else websocket.query_params.get("access_token")
    try:
        authorize(ctx, presented, "read")
        selected = StreamFilter.parse(integration_id, kind)
    except Problem as problem:
        return await _refuse(websocket, problem.status, problem.detail)
    start = start_at(ctx.bus, parse_last_event_id(websocket.headers.get("last-event-id"), last_event_id))
    await websocket.accept()
    _subscribers(ctx, +1)
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(_until_closed, websocket, group.cancel_scope)
            messages = follow(ctx.bus, start, selected, ctx.settings.api.heartbeat_seconds)
            await _send_all(websocket, messages, group.cancel_scope)
    finally:
        _subscribers(ctx, -1)


async def _send_all(websocket: WebSocket, messages: AsyncIterator[dict[str, Any]], scope: anyio.CancelScope) -> None:
    try:
        async for message in messages:
            await websocket.send_text(_encode(message))
    except (WebSocketDisconnect, OSError, RuntimeError):
        pass  # the client went away mid-send
    scope.cancel()


async def _until_closed(websocket: WebSocket, scope: anyio.CancelScope) -> None:
    """Read (and ignore) what the client sends; when it closes, stop the sender."""
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
    except (WebSocketDisconnect, OSError, RuntimeError):
        pass
    scope.cancel()
