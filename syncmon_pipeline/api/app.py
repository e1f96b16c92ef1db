"""The FastAPI application: one context per process, route modules under `routes/`, problem errors."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from importlib import import_module

from fastapi import FastAPI

from syncmon_pipeline.config import DataPaths, Settings, load_settings

from .auth import build_registry
from .bus import StreamBus
from .context import ApiContext, utc_now
from .limits import BodyLimitMiddleware
from .problems import install_problem_handlers

# Each module has `router`; it may also have `async startup(ctx)` and `async shutdown(ctx)`.
ROUTE_MODULES = ("system", "events", "sessions", "operations", "reads", "stream", "live")

DESCRIPTION = """\
The syncmon live service. Synchronizers POST contract-v1 events (written to the landing folder before
the 202, exactly once with `Idempotency-Key`); operators acknowledge, resolve, silence and request
reports through a command inbox that the alert job applies; everyone reads health, sessions, alerts and
reports from the published snapshots and follows the live stream (`/v1/stream`, `/v1/ws`).

Every route but `/v1/healthz` needs `Authorization: Bearer <token>`; scopes are `read`, `ingest`,
`operate` and `admin`. Errors are RFC 9457 problem details. Lists page with `limit` (≤ 500) and the
opaque `next_cursor` of the previous page.
"""


def build_context(
    paths: DataPaths | None = None,
    settings: Settings | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> ApiContext:
    paths = (paths or DataPaths.from_env()).ensure()
    settings = settings or load_settings()
    registry, generated = build_registry(settings.api.tokens, os.environ if environ is None else environ,
                                         paths.api_token_file)  # fmt: skip
    return ApiContext(paths=paths, settings=settings, tokens=registry, bus=StreamBus(settings.api.stream_buffer),
                      generated_token=generated, clock=clock)  # fmt: skip


def create_app(ctx: ApiContext | None = None) -> FastAPI:
    ctx = ctx or build_context()
    modules = [import_module(f"syncmon_pipeline.api.routes.{name}") for name in ROUTE_MODULES]

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        for module in modules:
            if hasattr(module, "startup"):
                await module.startup(ctx)
        try:
            yield
        finally:
            for module in reversed(modules):
                if hasattr(module, "shutdown"):
                    await module.shutdown(ctx)

    app = FastAPI(title="syncmon API", version="1", description=DESCRIPTION, lifespan=lifespan,
                  openapi_url="/openapi.json", docs_url="/docs", redoc_url=None)  # fmt: skip
    app.state.ctx = ctx
    install_problem_handlers(app)
    for module in modules:
        app.include_router(module.router)
    app.add_middleware(BodyLimitMiddleware, max_bytes=ctx.settings.api.max_body_bytes)
    return app
