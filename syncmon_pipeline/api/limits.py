"""Request bodies larger than `api.max_body_bytes` are refused with 413 before they are buffered."""

from __future__ import annotations

import json

from .problems import PROBLEM_JSON


class BodyTooLarge(Exception):
    pass


def _problem_body(limit: int) -> bytes:
    return json.dumps({"type": "about:blank", "title": "Content Too Large", "status": 413,
                       "detail": f"request body exceeds {limit} bytes"}).encode()  # fmt: skip


class BodyLimitMiddleware:
    """Pure ASGI: checks Content-Length up front and counts the bytes of a chunked body as they arrive."""

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            return await self._refuse(send)
        seen = 0
        started = False

        async def counting_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge()
            return message

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send):
        body = _problem_body(self.max_bytes)
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]})  # fmt: skip
        await send({"type": "http.response.body", "body": body})
