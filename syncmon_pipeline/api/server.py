"""`syncmon api`: run the service on uvicorn, with access logs that never show a token."""

from __future__ import annotations

import argparse
import gc
import logging
import re
import sys

_TOKEN_IN_QUERY = re.compile(r"(access_token=)[^&\s]*")


class RedactTokens(logging.Filter):
    """uvicorn's access log prints the request line; the stream's `?access_token=` must not reach it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_TOKEN_IN_QUERY.sub(r"\1[redacted]", a) if isinstance(a, str) else a
                                for a in record.args)  # fmt: skip
        return True


def log_config() -> dict:
    from uvicorn.config import LOGGING_CONFIG

    config = {**LOGGING_CONFIG, "filters": {"redact_tokens": {"()": RedactTokens}}}
    config["handlers"] = {name: {**handler, "filters": ["redact_tokens"]}
                          for name, handler in LOGGING_CONFIG["handlers"].items()}  # fmt: skip
    return config


def serve(host: str, port: int) -> int:
    import uvicorn

    from .app import build_context, create_app
    from .auth import TokenConfigError

    try:
        ctx = build_context()
    except (TokenConfigError, ValueError) as error:
        print(f"syncmon api: {error}", file=sys.stderr)
        return 2
    app = create_app(ctx)
    _settle_garbage_collector()
    print(f"syncmon api: http://{host}:{port}/ (docs /docs, OpenAPI /openapi.json), SYNCMON_HOME={ctx.paths.home}")
    if ctx.generated_token is not None:
        print(f"syncmon api: no api.tokens configured; admin token in {ctx.paths.api_token_file} (mode 600)")
    # Open live streams never end by themselves: give them 5 s after Ctrl-C, then uvicorn cancels them.
    uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_config=log_config(), proxy_headers=False,
                                  timeout_graceful_shutdown=5)).run()  # fmt: skip
    return 0


def _settle_garbage_collector() -> None:
    """The app's own objects (modules, routes, models) live as long as the process: `gc.freeze` takes them
    out of the collector's walks, and a larger first generation lets a batch of 1,000 decoded events
    (~3,000 containers, all garbage once answered) die young instead of triggering collections that
    walk it again. Measured on intake: 57k -> 75k events/s (benchmarks/api_benchmark.py)."""
    gc.freeze()
    gc.set_threshold(100_000, 20, 100)


def _api_command(args: argparse.Namespace) -> int:
    return serve(args.host, args.port)


def register_cli(commands: argparse._SubParsersAction) -> None:
    api = commands.add_parser("api", help="Run the live service: HTTP API, live stream and live dashboard.")
    api.add_argument("--host", default="127.0.0.1")
    api.add_argument("--port", type=int, default=8000)
    api.set_defaults(func=_api_command)
