"""A real uvicorn on loopback serving the API over a temp SYNCMON_HOME, for the API tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn

from syncmon_pipeline.api.app import build_context, create_app
from syncmon_pipeline.api.context import ApiContext
from syncmon_pipeline.config import DataPaths, Settings

OPERATOR_SECRET = "operator-secret-0123456789"
INGEST_SECRET = "ingest-secret-0123456789ab"
READER_SECRET = "reader-secret-0123456789ab"
ADMIN_SECRET = "admin-secret-0123456789abc"
TOKEN_ENV = {"SM_OPERATOR": OPERATOR_SECRET, "SM_INGEST": INGEST_SECRET, "SM_READER": READER_SECRET,
             "SM_ADMIN": ADMIN_SECRET}  # fmt: skip
TOKENS = [
    {"name": "ops-alice", "scopes": ["read", "operate"], "secret_env": "SM_OPERATOR"},
    {"name": "sync-bot", "scopes": ["ingest"], "secret_env": "SM_INGEST"},
    {"name": "dash", "scopes": ["read"], "secret_env": "SM_READER"},
    {"name": "root", "scopes": ["admin"], "secret_env": "SM_ADMIN"},
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api_settings(**api: object) -> Settings:
    return Settings.model_validate({"api": {"tokens": TOKENS, **api}})


@dataclass
class RunningApi:
    url: str
    ctx: ApiContext
    server: uvicorn.Server

    def client(self, secret: str | None = ADMIN_SECRET, **kwargs) -> httpx.Client:
        headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=10, **kwargs)


@contextmanager
def running_api(home: Path, settings: Settings | None = None, **context_kwargs) -> Iterator[RunningApi]:
    """Serve the API on a free loopback port in a thread; stops it on exit."""
    ctx = build_context(DataPaths(home=home), settings or api_settings(), environ=TOKEN_ENV, **context_kwargs)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(ctx), host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="on"))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the API did not start")
        time.sleep(0.02)
    try:
        yield RunningApi(f"http://127.0.0.1:{port}", ctx, server)
    finally:
        server.should_exit = True
        thread.join(15)
