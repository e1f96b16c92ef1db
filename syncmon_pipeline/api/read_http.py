"""HTTP side of the reads: ETag / Last-Modified / 304, a small response cache, the documented problems.

A read from a snapshot gets a weak ETag made of the snapshot's version (published_at and file
identity) and the request's path and query, and `Last-Modified: <published_at>`; `If-None-Match`
(or, without it, `If-Modified-Since`) answers 304 without running a query. Bodies are cached by the
same key, so a repeated read of an unchanged snapshot runs nothing; a republish changes the key.
Reads whose content also depends on the clock (silences) take their ETag from the body instead.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from fastapi import Request, Response
from pydantic import BaseModel

from .problems import PROBLEM_JSON
from .read_models import ProblemDetails

JSON = "application/json"
REVALIDATE = "private, no-cache"  # clients may keep it, but must ask (cheaply, with the ETag) before reuse


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_JSON: {"schema": ProblemDetails.model_json_schema()}}}


def documented(*extra: int, not_modified: bool = True) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a read route: its problems (and 304) in the OpenAPI schema."""
    found: dict[int | str, dict[str, Any]] = {}
    if not_modified:
        found[304] = {"description": "Not modified: the `If-None-Match` ETag (or `If-Modified-Since`) still holds."}
    texts = {
        401: "No valid bearer token.", 403: "The token lacks the `read` scope.", 404: "Not found.",
        409: "Ambiguous: the session id exists in several integrations; pass `integration_id`.",
        422: "Invalid parameters, or a cursor not issued for these filters.", 429: "Rate limit of the token exceeded.",
        503: "The snapshot this read needs is not published yet, or cannot be read right now.",
    }  # fmt: skip
    for status in (401, 403, *extra, 422, 429):
        found[status] = _problem(texts[status])
    return found


class ResponseCache:
    """Rendered bodies by (snapshot version, path, query), least recently used out beyond `max_bytes`."""

    def __init__(self, max_bytes: int = 32 * 1024 * 1024, max_entry_bytes: int = 4 * 1024 * 1024) -> None:
        self.max_bytes, self.max_entry_bytes = max_bytes, max_entry_bytes
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._flights: dict[str, threading.Lock] = {}  # key -> held while its body is being built

    def get(self, key: str) -> bytes | None:
        with self._lock:
            body = self._entries.get(key)
            if body is not None:
                self._entries.move_to_end(key)
            return body

    def put(self, key: str, body: bytes) -> None:
        if len(body) > self.max_entry_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            self._bytes -= len(old) if old else 0
            self._entries[key] = body
            self._bytes += len(body)
            while self._bytes > self.max_bytes and self._entries:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= len(evicted)

    def get_or_build(self, key: str, build: Callable[[], bytes]) -> bytes:
        """The cached body, or `build()`'s, made once however many requests ask for it at the same time
        (a publish followed by 50 clients would otherwise run the same query 50 times at once)."""
        body = self.get(key)
        if body is not None:
            return body
        with self._lock:
            flight = self._flights.get(key)
            leader = flight is None
            if leader:
                flight = self._flights[key] = threading.Lock()
                flight.acquire()
        if not leader:
            with flight:  # released when the leader's build ends, whether it succeeded or not
                pass
            body = self.get(key)
            return body if body is not None else build()  # the leader failed or its body was too big to keep
        try:
            body = build()
            self.put(key, body)
            return body
        finally:
            with self._lock:
                del self._flights[key]
            flight.release()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)


def request_key(request: Request) -> str:
    query = sorted(request.query_params.multi_items())
    return request.url.path + "?" + "&".join(f"{k}={v}" for k, v in query)


def weak_etag(*parts: str) -> str:
    return 'W/"' + hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32] + '"'


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    wanted = etag.removeprefix("W/")
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == wanted:  # weak comparison (RFC 9110 13.1.2)
            return True
    return False


def _not_modified_since(request: Request, modified: datetime | None) -> bool:
    header = request.headers.get("if-modified-since")
    if not header or modified is None or request.headers.get("if-none-match"):
        return False
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return modified.replace(microsecond=0) <= since


def validators(etag: str, modified: datetime | None) -> dict[str, str]:
    headers = {"ETag": etag, "Cache-Control": REVALIDATE}
    if modified is not None:
        headers["Last-Modified"] = format_datetime(modified.astimezone(UTC), usegmt=True)
    return headers


def not_modified(request: Request, etag: str, modified: datetime | None) -> Response | None:
    if _etag_matches(request.headers.get("if-none-match"), etag) or _not_modified_since(request, modified):
        return Response(status_code=304, headers=validators(etag, modified))
    return None


def json_body(model: BaseModel) -> bytes:
    return model.model_dump_json().encode()


def cached_json(request: Request, cache: ResponseCache, *, version: str, modified: datetime | None) -> Response | None:
    """What `conditional_json` would answer without building anything: a 304, or the cached body; else None."""
    key = version + "\n" + request_key(request)
    etag = weak_etag(key)
    unchanged = not_modified(request, etag, modified)
    if unchanged is not None:
        return unchanged
    body = cache.get(key)
    return None if body is None else Response(body, media_type=JSON, headers=validators(etag, modified))


def conditional_json(
    request: Request,
    cache: ResponseCache | None,
    *,
    version: str | None,
    modified: datetime | None,
    build: Callable[[], BaseModel],
) -> Response:
    """The body `build()` makes, with validators. `version` None: the snapshot is missing, no validators."""
    if version is None:
        return Response(json_body(build()), media_type=JSON, headers={"Cache-Control": "no-store"})
    key = version + "\n" + request_key(request)
    etag = weak_etag(key)
    unchanged = not_modified(request, etag, modified)
    if unchanged is not None:
        return unchanged
    body = json_body(build()) if cache is None else cache.get_or_build(key, lambda: json_body(build()))
    return Response(body, media_type=JSON, headers=validators(etag, modified))


def body_tagged_json(request: Request, model: BaseModel, modified: datetime | None) -> Response:
    """For reads that also depend on the clock: the ETag is the body's."""
    body = json_body(model)
    etag = weak_etag(request.url.path, hashlib.sha256(body).hexdigest())
    unchanged = not_modified(request, etag, None)  # no If-Modified-Since: the body may change without a publish
    if unchanged is not None:
        return unchanged
    headers = validators(etag, None)
    if modified is not None:
        headers["Last-Modified"] = format_datetime(modified.astimezone(UTC), usegmt=True)
    return Response(body, media_type=JSON, headers=headers)
