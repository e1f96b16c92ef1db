"""Live mode: the fleet keeps syncing in real time, one atomic landing file per interval."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from syncmon_pipeline.recorder import write_events_atomically

from .delivery import Delivery
from .events import child_rng, to_epoch
from .history import check_truth_outside, read_truth, write_truth
from .stream import Engine

# A fresh live fleet starts this long before the first tick: its first file holds the last
# quarter of an hour, with sessions in every stage, instead of minutes of silence.
FRESH_BACKFILL_S = 900.0
LIVE_INCIDENTS_PER_HOUR = 0.3  # over the whole fleet; the demo asks for more so alerts show soon


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class LiveSummary:
    ticks: int = 0
    files: int = 0
    events: int = 0
    duplicates_injected: int = 0
    incidents: int = 0


def run_live(
    out_dir: Path,
    *,
    integrations: int,
    seed: int,
    interval_s: float = 5.0,
    duration_s: float | None = None,
    clock: Callable[[], datetime] = _utc_now,
    sleep: Callable[[float], None] = time.sleep,
    compress: bool = False,
    truth_path: Path | None = None,
    engine: Engine | None = None,
    incidents_per_hour: float = LIVE_INCIDENTS_PER_HOUR,
) -> None:
    """Emit events in real time until `duration_s` has elapsed (forever when None) or Ctrl-C.

    Every `interval_s` each integration's sessions advance by the elapsed time
    (create → running → progress/metrics/errors → terminal) and whatever happened
    is written as one atomic file `live-{seed}-{time}-{tick}.ndjson`. Now and then
    an incident starts; with `truth_path` the ground truth is rewritten each time.

    Without `engine`, a fresh fleet starts `FRESH_BACKFILL_S` before `clock()` and
    its incidents are added to the entries already in `truth_path`. With `engine`
    (from `build_history_engine` + `write_history`), live mode continues that
    history seamlessly: sessions in flight at its end finish live.
    """
    live_loop(out_dir, integrations=integrations, seed=seed, interval_s=interval_s, duration_s=duration_s,
              clock=clock, sleep=sleep, compress=compress, truth_path=truth_path, engine=engine,
              incidents_per_hour=incidents_per_hour)


def live_loop(
    out_dir: Path,
    *,
    integrations: int,
    seed: int,
    interval_s: float = 5.0,
    duration_s: float | None = None,
    clock: Callable[[], datetime] = _utc_now,
    sleep: Callable[[float], None] = time.sleep,
    compress: bool = False,
    truth_path: Path | None = None,
    engine: Engine | None = None,
    incidents_per_hour: float = LIVE_INCIDENTS_PER_HOUR,
) -> LiveSummary:
    """`run_live`, returning what it wrote."""
    if interval_s <= 0:
        raise ValueError(f"interval_s must be > 0, got {interval_s}")
    check_truth_outside(Path(out_dir), truth_path)
    began = clock()
    engine_is_fresh = engine is None
    if engine is None:  # a fresh fleet already running for a while, so the first file shows activity
        engine = Engine.create(integrations=integrations, seed=seed, start=to_epoch(began) - FRESH_BACKFILL_S)
    engine.book.go_live(engine.position, fleet_incidents_per_hour=incidents_per_hour)
    deadline = began + timedelta(seconds=duration_s) if duration_s is not None else None
    delivery = Delivery(child_rng(seed, "live-delivery"), late_rate=0.02, duplicate_rate=0.001, jitter_s=3.0,
                        max_delay_files=2)
    summary = LiveSummary()
    truth_version = -1
    # A fresh fleet adds to the truth of whatever history is already in the landing folder;
    # an engine carried over from `write_history` already knows that history's incidents.
    earlier = read_truth(truth_path) if truth_path is not None and engine_is_fresh else []

    def emit(now: datetime, final: bool = False) -> None:
        nonlocal truth_version
        events = [item for chunk in engine.advance(to_epoch(now)) for item in chunk]
        lines = delivery.pack(summary.ticks, events, final=final)
        if lines:
            stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
            write_events_atomically(out_dir, lines, f"live-{seed}-{stamp}-{summary.ticks:06d}", compress=compress)
            summary.files += 1
            summary.events += len(lines)
        summary.ticks += 1
        summary.duplicates_injected = delivery.duplicates
        if truth_path is not None and engine.book.version != truth_version:
            truth_version = engine.book.version
            write_truth(truth_path, engine.book.incidents, earlier=earlier)
        summary.incidents = len(earlier) + len(engine.book.incidents)

    try:
        while True:
            now = clock()
            done = deadline is not None and now >= deadline
            emit(min(now, deadline) if deadline is not None else now, final=done)
            if done:
                break
            next_at = began + timedelta(seconds=interval_s * summary.ticks)  # a fixed grid: no drift
            if deadline is not None:
                next_at = min(next_at, deadline)
            sleep(max(0.0, (next_at - clock()).total_seconds()))
    except KeyboardInterrupt:
        if delivery.pending:
            with contextlib.suppress(KeyboardInterrupt):
                emit(clock() if deadline is None else min(clock(), deadline), final=True)
    return summary
