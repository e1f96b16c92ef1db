"""Route dependencies: the context, and `require(scope)` (authentication, scope, rate limit)."""

from __future__ import annotations

import time

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .auth import Principal
from .context import ApiContext
from .problems import Problem
from .ratelimit import TokenBucket, retry_after_header

bearer = HTTPBearer(auto_error=False, description="A token from api.tokens (or $SYNCMON_HOME/api-token).")


async def get_context(request: Request) -> ApiContext:
    # async: a plain `def` dependency would cost every request a hop to the thread pool
    return request.app.state.ctx


def _presented(request: Request, credentials: HTTPAuthorizationCredentials | None, allow_query: bool) -> str | None:
    if credentials and credentials.scheme.lower() == "bearer":
        return credentials.credentials
    if allow_query:  # EventSource and browsers' WebSocket cannot set headers; never logged (see server.py)
        return request.query_params.get("access_token")
    return None


def authorize(ctx: ApiContext, presented: str | None, scope: str) -> Principal:
    principal = ctx.tokens.authenticate(presented)
    if principal is None:
        raise Problem(401, "a valid bearer token is required", headers={"WWW-Authenticate": "Bearer"})
    if not principal.allows(scope):
        raise Problem(403, f"token {principal.name!r} lacks the {scope!r} scope")
    bucket = ctx.buckets.get(principal.name)
    if bucket is None:
        api = ctx.settings.api
        bucket = ctx.buckets[principal.name] = TokenBucket(api.rate_limit_per_second, api.rate_limit_burst)
    wait = bucket.take(time.monotonic())
    if wait > 0:
        raise Problem(429, f"rate limit of token {principal.name!r} exceeded; retry later",
                      headers={"Retry-After": retry_after_header(wait)})  # fmt: skip
    return principal


def require(scope: str, *, allow_query_token: bool = False):
    async def dependency(
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Security(bearer),
        ctx: ApiContext = Depends(get_context),
    ) -> Principal:
        return authorize(ctx, _presented(request, credentials, allow_query_token), scope)

    return dependency
