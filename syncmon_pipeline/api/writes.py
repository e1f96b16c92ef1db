"""What every write route shares: the landing writer, the door's verdicts, Idempotency-Key answers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from .auth import Principal
from .context import ApiContext
from .idempotency import IdempotencyKeyError, IdempotencyStore, StoredAnswer, request_fingerprint
from .intake import LineVerdict, classify_batch, stream_line_data
from .landing_writer import LandingWriter
from .problems import PROBLEM_JSON, Problem

IDEMPOTENCY_HEADER = "Idempotency-Key"


def landing_writer(ctx: ApiContext) -> LandingWriter:
    writer = ctx.parts.get("landing_writer")
    if writer is None:
        api = ctx.settings.api
        writer = ctx.parts["landing_writer"] = LandingWriter(
            ctx.paths.landing, window_seconds=api.landing_flush_ms / 1000, max_events=api.landing_file_max_events,
            clock=ctx.clock,
        )  # fmt: skip
    return writer


def idempotency_store(ctx: ApiContext) -> IdempotencyStore:
    store = ctx.parts.get("idempotency")
    if store is None:
        ttl = timedelta(hours=ctx.settings.api.idempotency_hours)
        store = ctx.parts["idempotency"] = IdempotencyStore(ctx.paths.api_state / "idempotency", ttl)
    return store


async def classify(ctx: ApiContext, lines: list[bytes], parsed: list[Any] | None = None) -> list[LineVerdict]:
    return await run_in_threadpool(classify_batch, lines, max_line_bytes=ctx.settings.ingest.max_line_bytes,
                                   parsed=parsed)  # fmt: skip


async def land(ctx: ApiContext, verdicts: list[LineVerdict]) -> str | None:
    """Write the accepted events to landing (returns once the file is renamed into place), then publish
    them on the live stream, marked provisional until ingested. None when nothing was accepted."""
    accepted = [v for v in verdicts if v.status == "accepted"]
    if not accepted:
        return None
    try:
        name = await landing_writer(ctx).write([v.line for v in accepted])
    except OSError as error:
        raise Problem(503, f"could not write to the landing folder ({error.strerror or 'I/O error'}); retry") from error
    ctx.bus.publish_rendered([(str(v.event.get("event_type")), v.event.get("integration_id"), v.line)
                              for v in accepted if v.event is not None], stream_line_data)  # fmt: skip
    return name


async def answer_once(
    request: Request, ctx: ApiContext, principal: Principal, produce: Callable[[], Awaitable[tuple[int, Any]]]
) -> Response:
    """Run `produce` once per Idempotency-Key (when one is sent) and return its answer, stored for retries.

    Only answers below 500 are kept: a retry after a server error tries again."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        status, body = await produce()
        return _response(status, body)
    store = idempotency_store(ctx)
    fingerprint = request_fingerprint(request.method, request.url.path, request.url.query, await request.body())
    locks: dict[str, asyncio.Lock] = ctx.parts.setdefault("idempotency_locks", {})
    lock = locks.setdefault(f"{principal.name}\0{key}", asyncio.Lock())
    try:
        async with lock:
            try:
                stored = store.lookup(principal.name, key, fingerprint, ctx.clock())
            except IdempotencyKeyError as error:
                raise Problem(422, str(error)) from error
            if stored is not None:
                return _response(stored.status_code, stored.body, {"Idempotent-Replayed": "true"})
            status, body = await produce()
            if status < 500:
                store.save(principal.name, key, fingerprint, StoredAnswer(status, body), ctx.clock())
            return _response(status, body)
    finally:
        if not lock.locked():
            locks.pop(f"{principal.name}\0{key}", None)


def _response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    media_type = PROBLEM_JSON if status >= 400 else "application/json"
    return Response(orjson.dumps(body), status_code=status, headers=headers, media_type=media_type)
