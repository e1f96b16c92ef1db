"""`syncmon simulate`: write a simulated history (and optionally keep going live) into the landing folder."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from .history import build_history_engine, write_history
from .live import live_loop


def _home() -> Path:
    return Path(os.environ.get("SYNCMON_HOME") or "data")


def _parse_end(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--end: not an ISO 8601 timestamp: {text!r}") from exc
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {value}")
    return value


def register_cli(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the `simulate` subcommand; its `func` takes the parsed args and returns an exit code."""
    parser = subparsers.add_parser(
        "simulate",
        help="generate realistic, deterministic sync events into the landing folder",
        description="Simulate a fleet of integrations: sessions, errors, metrics, health checks and injected "
                    "incidents (all ten alert types), written as atomic NDJSON files. The same --seed and --end "
                    "give byte-identical output.",
    )
    parser.add_argument("--integrations", type=_positive_int, default=10, help="fleet size (default 10)")
    parser.add_argument("--days", type=_non_negative_float, default=7.0, help="days of history (default 7)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--out", type=Path, default=None,
                        help="landing folder (default $SYNCMON_HOME/landing, SYNCMON_HOME defaults to ./data)")
    parser.add_argument("--truth", type=Path, default=None,
                        help="ground-truth incidents JSON (default $SYNCMON_HOME/truth/incidents.json)")
    parser.add_argument("--end", type=_parse_end, default=None,
                        help="end of the history, ISO 8601 (default: now, UTC, floored to the hour; naive = UTC)")
    parser.add_argument("--live", action="store_true", help="after the history, keep emitting in real time")
    parser.add_argument("--interval", type=_positive_float, default=5.0, help="live: seconds between files")
    parser.add_argument("--incidents-per-hour", type=_non_negative_float, default=0.3,
                        help="live: new incidents per hour over the whole fleet (default 0.3)")
    parser.add_argument("--duration", type=_non_negative_float, default=None,
                        help="live: stop after this many seconds (default: until Ctrl-C)")
    parser.add_argument("--events-per-file", type=_positive_int, default=10_000,
                        help="history: lines per landing file (default 10000)")
    parser.add_argument("--gzip", action="store_true", help="write .ndjson.gz files")
    parser.set_defaults(func=run_simulate)
    return parser


def run_simulate(args: argparse.Namespace) -> int:
    home = _home()
    out: Path = args.out or home / "landing"
    truth: Path = args.truth or home / "truth" / "incidents.json"
    end = args.end or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    try:
        with _sigterm_as_interrupt():
            return _simulate(args, out, truth, end)
    except KeyboardInterrupt:  # during the history: files written so far are complete, no temp file is left
        print("syncmon simulate: interrupted", file=sys.stderr)
        return 130
    except ValueError as exc:
        print(f"syncmon simulate: error: {exc}", file=sys.stderr)
        return 2


def _simulate(args: argparse.Namespace, out: Path, truth: Path, end: datetime) -> int:
    engine = None
    if args.days > 0 or not args.live:
        began = time.perf_counter()
        engine = build_history_engine(integrations=args.integrations, days=args.days, seed=args.seed, end=end)
        summary = write_history(engine, out, end=end, truth_path=truth, events_per_file=args.events_per_file,
                                compress=args.gzip)
        elapsed = time.perf_counter() - began
        rate = summary.events / elapsed if elapsed > 0 else 0.0
        print(f"simulated {args.integrations} integrations x {args.days:g} days "
              f"({summary.start:%Y-%m-%dT%H:%MZ} -> {summary.end:%Y-%m-%dT%H:%MZ}, seed {args.seed}): "
              f"{summary.events:,} events ({summary.duplicates_injected:,} duplicates) in {summary.files} files, "
              f"{summary.sessions:,} sessions, {summary.incidents} incidents -> {out}; truth -> {truth} "
              f"[{elapsed:.1f}s, {rate:,.0f} events/s]", flush=True)
    if args.live:
        print(f"live: {args.integrations} integrations, a file every {args.interval:g}s into {out}"
              f"{'' if args.duration is not None else ' (Ctrl-C to stop)'}", flush=True)
        live = live_loop(out, integrations=args.integrations, seed=args.seed, interval_s=args.interval,
                         duration_s=args.duration, compress=args.gzip, truth_path=truth, engine=engine,
                         incidents_per_hour=args.incidents_per_hour)
        print(f"live: stopped after {live.ticks} ticks: {live.events:,} events in {live.files} files, "
              f"{live.incidents} incidents in truth")
    return 0


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Let `kill` (SIGTERM, as scripts send) stop the command like Ctrl-C: quietly, leaving no temp file."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
