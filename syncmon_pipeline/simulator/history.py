"""Back-filled history: days of fleet activity written to the landing folder in one go, plus the ground truth."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from syncmon_pipeline.recorder import write_events_atomically

from .delivery import Delivery
from .events import Timed, child_rng, from_epoch, to_epoch
from .incidents import Incident
from .stream import Engine


@dataclass(frozen=True)
class SimulationSummary:
    events: int  # lines written, duplicates included
    files: int
    sessions: int
    incidents: int
    duplicates_injected: int
    start: datetime
    end: datetime
    truth_path: Path | None


def simulate_history(
    out_dir: Path,
    *,
    integrations: int,
    days: float,
    seed: int,
    end: datetime,
    truth_path: Path | None,
    events_per_file: int = 10_000,
    compress: bool = False,
) -> SimulationSummary:
    """Write `days` of activity of `integrations` integrations ending at `end` into `out_dir`.

    Deterministic: the same seed and end give byte-identical files and truth.
    Files are named `sim-{seed}-{end}-{index}.ndjson[.gz]`, so a rerun overwrites
    itself rather than adding a second copy.
    """
    engine = build_history_engine(integrations=integrations, days=days, seed=seed, end=end)
    return write_history(engine, out_dir, end=end, truth_path=truth_path, events_per_file=events_per_file,
                         compress=compress)


def build_history_engine(*, integrations: int, days: float, seed: int, end: datetime) -> Engine:
    if days < 0:
        raise ValueError(f"days must be >= 0, got {days}")
    end_s = to_epoch(end)
    start_s = to_epoch(end - timedelta(days=days))
    return Engine.create(integrations=integrations, seed=seed, start=start_s, plan_until=end_s)


def write_history(
    engine: Engine,
    out_dir: Path,
    *,
    end: datetime,
    truth_path: Path | None,
    events_per_file: int = 10_000,
    compress: bool = False,
) -> SimulationSummary:
    """Advance `engine` to `end`, writing its events in files of about `events_per_file` lines."""
    if events_per_file < 1:
        raise ValueError(f"events_per_file must be >= 1, got {events_per_file}")
    out_dir = Path(out_dir)
    check_truth_outside(out_dir, truth_path)
    delivery = Delivery(child_rng(engine.seed, "delivery"))
    prefix = f"sim-{engine.seed}-{end.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    written = files = 0
    buffer: list[Timed] = []

    def write(lines: list) -> None:
        nonlocal written, files
        write_events_atomically(out_dir, lines, f"{prefix}-{files:06d}", compress=compress)
        written += len(lines)
        files += 1

    for chunk in engine.advance(to_epoch(end)):
        buffer.extend(chunk)
        while len(buffer) >= events_per_file:
            write(delivery.pack(files, buffer[:events_per_file]))
            buffer = buffer[events_per_file:]
    last = delivery.pack(files, buffer, final=True)
    if last:
        write(last)
    incidents = engine.book.incidents
    if truth_path is not None:
        write_truth(truth_path, incidents)
    return SimulationSummary(
        events=written,
        files=files,
        sessions=engine.sessions,
        incidents=len(incidents),
        duplicates_injected=delivery.duplicates,
        start=from_epoch(engine.start),
        end=end.astimezone(UTC),
        truth_path=Path(truth_path) if truth_path is not None else None,
    )


def write_truth(truth_path: Path, incidents: Sequence[Incident], *, earlier: Sequence[dict] = ()) -> Path:
    """The ground truth as a JSON list sorted by start, written atomically (temp file + rename).

    `earlier`: entries to keep (e.g. read from the file before a live run added to it).
    """
    truth_path = Path(truth_path)
    truth_path.parent.mkdir(parents=True, exist_ok=True)
    entries = list(earlier)
    entries += [x.truth() for x in incidents if x.truth() not in entries]
    entries.sort(key=lambda t: (t["start"], t["integration_id"], t["kind"]))
    tmp = truth_path.with_name(f".{truth_path.name}.tmp")
    try:
        tmp.write_text(json.dumps(entries, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, truth_path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return truth_path


def read_truth(truth_path: Path) -> list[dict]:
    """The entries of an existing truth file; empty when there is none or it is not a truth list."""
    try:
        entries = json.loads(Path(truth_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    keys = {"integration_id", "kind", "start", "end"}
    if not isinstance(entries, list) or not all(isinstance(t, dict) and set(t) == keys for t in entries):
        return []
    return entries


def check_truth_outside(out_dir: Path, truth_path: Path | None) -> None:
    if truth_path is None:
        return
    landing, truth = out_dir.resolve(), Path(truth_path).resolve()
    if truth.parent == landing or landing in truth.parents:
        raise ValueError(f"the truth file {truth_path} must live outside the landing folder {out_dir}")
