"""Alert rules over simulated history: is every injected incident caught, and how many false alerts?

For each seed: simulate a fleet (default 30 integrations x 21 days) into a fresh data directory,
build the warehouse with `syncmon run-once`, then replay every rule with default settings through
the real alert engine every 5 minutes over the whole history (`alerts.backtest`, nothing is sent)
and compare the alerts with the simulator's ground truth:

- an incident is detected when an alert of its kind for its integration fired within
  [start, end + grace] (or was already firing at its start); the delay is fired_at - start;
- an alert is *outside* incident windows when its integration had no incident (of any kind) whose
  [start, end + grace] overlaps the time the alert was firing: a false alarm;
- an alert of another kind during an incident of its integration is *collateral* (e.g. sync_failure
  while the integration is down; inhibition mutes most of those), counted apart.

    .venv/bin/python benchmarks/alert_benchmark.py [--seeds 11 23 47] [--integrations 30] [--days 21]

Not a test: it takes a few minutes per seed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from syncmon_pipeline.alerts.backtest import BacktestAlert, BacktestReport, backtest  # noqa: E402
from syncmon_pipeline.alerts.settings import AlertingSettings  # noqa: E402
from syncmon_pipeline.simulator import read_truth, simulate_history  # noqa: E402

END = datetime(2026, 11, 20, tzinfo=UTC)


@dataclass(frozen=True)
class Incident:
    integration_id: str
    kind: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Score:
    incidents: tuple[Incident, ...]
    delays_min: dict[Incident, float]  # detected incidents -> minutes from start to the alert
    outside: tuple[BacktestAlert, ...]  # alerts overlapping no incident window of their integration
    collateral: tuple[BacktestAlert, ...]  # alerts of another kind during an incident of their integration

    @property
    def missed(self) -> list[Incident]:
        return [i for i in self.incidents if i not in self.delays_min]


def score(report: BacktestReport, incidents: list[Incident], grace: timedelta) -> Score:
    def firing(alert: BacktestAlert) -> tuple[datetime, datetime]:
        assert alert.fired_at is not None
        return alert.fired_at, alert.resolved_at or report.until

    delays: dict[Incident, float] = {}
    for incident in incidents:
        window_end = incident.end + grace
        matching = [
            a for a in report.alerts
            if a.rule == incident.kind and a.integration_id == incident.integration_id
            and firing(a)[0] <= window_end and firing(a)[1] >= incident.start
        ]  # fmt: skip
        if matching:
            first = min(firing(a)[0] for a in matching)
            delays[incident] = max(0.0, (first - incident.start).total_seconds() / 60)
    outside, collateral = [], []
    for alert in report.alerts:
        start, end = firing(alert)
        overlapping = [i for i in incidents if i.integration_id == alert.integration_id
                       and start <= i.end + grace and end >= i.start]
        if not overlapping:
            outside.append(alert)
        elif all(i.kind != alert.rule for i in overlapping):
            collateral.append(alert)
    return Score(tuple(incidents), delays, tuple(outside), tuple(collateral))


def run_seed(seed: int, args: argparse.Namespace, work: Path) -> tuple[Score, BacktestReport, dict[str, float]]:
    home = work / f"seed-{seed}" / "home"
    truth_path = work / f"seed-{seed}" / "truth.json"
    timings: dict[str, float] = {}
    warehouse = home / "warehouse" / "syncmon.duckdb"
    if not (args.reuse and warehouse.exists() and truth_path.exists()):
        build(seed, args, home, truth_path, timings)
    incidents = [
        Incident(t["integration_id"], t["kind"], datetime.fromisoformat(t["start"]), datetime.fromisoformat(t["end"]))
        for t in read_truth(truth_path)
    ]
    clock = time.perf_counter()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        report = backtest(con, since=END - timedelta(days=args.days), until=END,
                          step=timedelta(minutes=args.step), settings=AlertingSettings())  # fmt: skip
    timings["backtest"] = time.perf_counter() - clock
    return score(report, incidents, timedelta(minutes=args.grace)), report, timings


def build(seed: int, args: argparse.Namespace, home: Path, truth_path: Path, timings: dict[str, float]) -> None:
    """Simulate the history into `home`'s landing folder and build the warehouse with `syncmon run-once`."""
    clock = time.perf_counter()
    simulate_history(home / "landing", integrations=args.integrations, days=args.days, seed=seed, end=END,
                     truth_path=truth_path)  # fmt: skip
    timings["simulate"] = time.perf_counter() - clock
    env = {**os.environ, "SYNCMON_HOME": str(home), "DBT_TARGET_PATH": str(home / "dbt_target"),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("DAGSTER_HOME", None)
    env.pop("SYNCMON_CONFIG", None)
    clock = time.perf_counter()
    built = subprocess.run([str(Path(sys.executable).parent / "syncmon"), "run-once"], env=env, cwd=home.parent,
                           capture_output=True, text=True)  # fmt: skip
    timings["run_once"] = time.perf_counter() - clock
    if not (home / "warehouse" / "syncmon.duckdb").exists():
        raise SystemExit(f"seed {seed}: run-once built no warehouse:\n{built.stdout[-3000:]}\n{built.stderr[-3000:]}")
    if built.returncode != 0:
        print(f"  (seed {seed}: run-once exited {built.returncode}; the marts are there, carrying on)", flush=True)


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def print_seed(seed: int, result: Score, report: BacktestReport, timings: dict[str, float], args) -> dict:
    delays = list(result.delays_min.values())
    print(f"\nseed {seed}: {args.integrations} integrations x {args.days} days, {len(result.incidents)} incidents"
          f" ({', '.join(f'{k} {v}' for k, v in sorted(Counter(i.kind for i in result.incidents).items()))})")
    for incident in sorted(result.incidents, key=lambda i: i.start):
        hours = (incident.end - incident.start).total_seconds() / 3600
        delay = result.delays_min.get(incident)
        verdict = f"alert after {delay:6.1f} min" if delay is not None else "MISSED"
        print(f"  {incident.kind:<24} {incident.integration_id:<28} {incident.start:%m-%d %H:%M} {hours:5.1f} h"
              f"  {verdict}")
    detected = len(delays)
    print(f"  detected {detected}/{len(result.incidents)} within [start, end + {args.grace} min]"
          + (f"; delay median {statistics.median(delays):.1f} min, p95 {_p95(delays):.1f} min" if delays else ""))
    for incident in result.missed:
        print(f"  missed: {incident.kind} {incident.integration_id} {incident.start:%Y-%m-%d %H:%M}")
    outside = Counter(a.rule for a in result.outside)
    outside_notifications = Counter()
    for alert in result.outside:
        outside_notifications[alert.rule] += alert.notifications
    print(f"  alerts outside incident windows: {len(result.outside)} of {len(report.alerts)} alerts"
          f" ({sum(outside_notifications.values())} of {report.notifications} notifications)"
          + (": " + ", ".join(f"{r} {n} ({outside_notifications[r]} notif.)" for r, n in sorted(outside.items()))
             if outside else ""))
    for alert in result.outside:
        print(f"    {alert.rule} {alert.integration_id} fired {alert.fired_at:%m-%d %H:%M}: {alert.summary}")
    collateral = Counter(a.rule for a in result.collateral)
    print(f"  collateral alerts (another kind during an incident): {len(result.collateral)}"
          + (": " + ", ".join(f"{r} {n}" for r, n in sorted(collateral.items())) if collateral else ""))
    print("  runtime: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())
          + f" ({report.ticks:,} evaluations, {report.observations:,} observations)")
    return {
        "seed": seed, "incidents": len(result.incidents), "detected": detected,
        "missed": [f"{i.kind} {i.integration_id} {i.start.isoformat()}" for i in result.missed],
        "delay_median_min": statistics.median(delays) if delays else None,
        "delay_p95_min": _p95(delays) if delays else None,
        "alerts": len(report.alerts), "notifications": report.notifications,
        "outside_alerts": len(result.outside), "outside_by_rule": dict(outside),
        "outside_notifications": sum(outside_notifications.values()), "collateral_alerts": len(result.collateral),
        "delays_by_kind": {k: sorted(round(d, 1) for i, d in result.delays_min.items() if i.kind == k)
                           for k in sorted({i.kind for i in result.incidents})},
        "timings_s": {k: round(v, 1) for k, v in timings.items()},
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[11, 23, 47])
    parser.add_argument("--integrations", type=int, default=30)
    parser.add_argument("--days", type=float, default=21)
    parser.add_argument("--step", type=float, default=5, help="evaluation step in minutes (default 5)")
    parser.add_argument("--grace", type=float, default=30, help="minutes after an incident's end that still count")
    parser.add_argument("--work", type=Path, default=None, help="keep the data here (default: a temp dir, removed)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    parser.add_argument("--reuse", action="store_true", help="reuse warehouses a previous run left in --work")
    args = parser.parse_args()
    print(f"alert benchmark: default rules, engine replay every {args.step:g} min, grace {args.grace:g} min"
          f" after each incident's end")
    with tempfile.TemporaryDirectory(prefix="syncmon-alert-bench-") as tmp:
        work = (args.work or Path(tmp)).resolve()
        work.mkdir(parents=True, exist_ok=True)
        figures = [print_seed(seed, *run_seed(seed, args, work), args) for seed in args.seeds]
    total = sum(f["incidents"] for f in figures)
    detected = sum(f["detected"] for f in figures)
    pooled: dict[str, list[float]] = {}
    for f in figures:
        for kind, delays in f["delays_by_kind"].items():
            pooled.setdefault(kind, []).extend(delays)
    every = [d for delays in pooled.values() for d in delays]
    print(f"\nall seeds: {detected}/{total} incidents detected"
          + (f", delay median {statistics.median(every):.1f} min, p95 {_p95(every):.1f} min" if every else "")
          + "; alerts outside incident windows " + ", ".join(f"seed {f['seed']}: {f['outside_alerts']}" for f in figures))
    for kind, delays in sorted(pooled.items()):
        if delays:
            print(f"  {kind:<24} {len(delays):>3} detected, delay median {statistics.median(delays):6.1f} min,"
                  f" max {max(delays):6.1f} min")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
