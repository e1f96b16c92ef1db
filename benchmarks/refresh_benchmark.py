"""Refresh benchmark: is a refresh after 10,000 new events as cheap on 10M events of history as on 1M?

From one run on the same machine:
  1. history H1 = ~1M simulated events (60 integrations x 21 days), ingested and fully built;
     history H10 = H1 plus nine copies shifted back in time (new ids), ~10M events, fully built —
     the time and peak memory (max RSS of the dbt process) of each full `dbt build` are printed;
  2. on top of each, the same ~10,000 new events: the post-ingest refresh (ingest, then the
     incremental session facts — what `ingest_job` runs — and, separately, their dbt tests, which
     scan whole tables) and the analytics refresh (health, trends, entity marts, incremental over
     the buckets and integrations the new events touch) are timed, with the peak RSS of each part
     (each runs in its own process), and the ratios H10/H1 printed (target: <= 1.3).

    .venv/bin/python benchmarks/refresh_benchmark.py
    .venv/bin/python benchmarks/refresh_benchmark.py --copies 99   # history of ~100M events (~20 GB, ~30 min)

SHOW_SLOWEST=N prints the N slowest dbt nodes of every dbt run. DuckDB's memory limit is the
profile's (SYNCMON_DUCKDB_MEMORY_LIMIT, default 600MB).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from syncmon_pipeline.defs.dbt import SESSION_FACTS_SELECT
from syncmon_pipeline.ingest.load import ingest_files
from syncmon_pipeline.simulator import simulate_history

REPO = Path(__file__).resolve().parents[1]
DBT = str(Path(sys.executable).parent / "dbt")
END = datetime(2026, 11, 1, tzinfo=UTC)
COPIES = 9
HISTORY_DAYS = 21
TARGET_RATIO = 1.3
SHOW_SLOWEST = int(os.environ.get("SHOW_SLOWEST", "0"))  # print the slowest dbt nodes of each run


# Runs argv[2:] and writes its peak RSS (KB) to argv[1]. A forked child starts from its parent's peak
# RSS, and the benchmark is over 1 GB after simulating, so children are measured through this small one.
_MEASURE = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
open(sys.argv[1], "w").write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def measured(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Run `command` to completion: its seconds and its own peak RSS in MB."""
    with tempfile.NamedTemporaryFile("r", suffix=".maxrss") as peak:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", _MEASURE, peak.name, *command], env=env, check=True)
        return time.perf_counter() - started, int(Path(peak.name).read_text()) / 1024


def dbt(home: Path, *args: str) -> tuple[float, float]:
    """Run dbt against the warehouse in `home` (unit tests excluded, as in the pipeline): seconds, peak MB."""
    if "--exclude" not in args:
        args = (*args, "--exclude", "test_type:unit")
    work = home / "dbt_work" / uuid.uuid4().hex[:8]
    seconds, peak = measured(
        [DBT, "--quiet", *args, "--project-dir", str(REPO / "dbt_models"), "--profiles-dir", str(REPO / "dbt_models"),
         "--target-path", str(work), "--log-path", str(work)],
        env={**os.environ, "SYNCMON_HOME": str(home)},
    )
    if SHOW_SLOWEST:
        nodes = json.loads((work / "run_results.json").read_text())["results"]
        slowest = sorted(nodes, key=lambda node: -node["execution_time"])[:SHOW_SLOWEST]
        print(f"  dbt {args[0]} {seconds:.1f} s; slowest: "
              + ", ".join(f"{node['unique_id'].split('.')[-1]} {node['execution_time']:.1f} s" for node in slowest))
    return seconds, peak


def ingest(home: Path, landing: Path) -> tuple[float, float]:
    """Ingest every file of `landing` (100 files a run) in a process of its own: the seconds of the
    ingest itself (timed by the child, without its start-up) and the process's peak MB."""
    with tempfile.NamedTemporaryFile("r", suffix=".seconds") as seconds:
        _, peak = measured([sys.executable, __file__, "--ingest", str(home), str(landing), seconds.name],
                           env=dict(os.environ))
        return float(Path(seconds.name).read_text()), peak


def ingest_in_process(home: Path, landing: Path) -> float:
    started = time.perf_counter()
    with duckdb.connect(str(home / "warehouse" / "syncmon.duckdb")) as con:
        files = sorted(landing.glob("*.ndjson*"))
        for start in range(0, len(files), 100):
            ingest_files(con, files[start : start + 100], archive_root=home / "processed",
                         run_id=uuid.uuid4().hex, now=datetime.now(UTC))
    return time.perf_counter() - started


def replicate_history(home: Path, copies: int) -> int:
    """Add `copies` earlier copies of the raw history (new event and session ids), like a longer past."""
    with duckdb.connect(str(home / "warehouse" / "syncmon.duckdb")) as con:
        con.execute("CREATE TEMP TABLE original AS FROM raw.sync_events")
        for copy in range(1, copies + 1):
            con.execute(
                """
                INSERT INTO raw.sync_events
                SELECT uuid(), schema_version, event_type, occurred_at - to_days(?), integration_id, provider,
                       CASE WHEN session_id IS NULL THEN NULL ELSE session_id || '-h' || ? END,
                       CASE WHEN event_type = 'session_created' AND payload ->> '$.retry_of' IS NOT NULL
                            THEN json_merge_patch(payload, json_object('retry_of', (payload ->> '$.retry_of') || '-h' || ?))
                            ELSE payload END,
                       source_file, line_no, ingest_run_id, ingested_at - to_days(?)
                FROM original
                """,
                [copy * HISTORY_DAYS, copy, copy, copy * HISTORY_DAYS],
            )
        return con.execute("SELECT count(*) FROM raw.sync_events").fetchall()[0][0]


def full_build(home: Path) -> tuple[float, float]:
    return dbt(home, "build", "--full-refresh", "--vars", '{"as_of": "2026-11-01T00:00:00Z"}')


def refresh(home: Path, new_events: Path) -> dict[str, tuple[float, float]]:
    """Seconds and peak MB of each part of the refresh after the new events land."""
    landing = home / "landing-new"
    shutil.copytree(new_events, landing)
    return {
        "ingest": ingest(home, landing),
        "session facts (dbt run)": dbt(home, "run", "--select", SESSION_FACTS_SELECT),
        "their dbt tests": dbt(home, "test", "--select", SESSION_FACTS_SELECT),
        "analytics marts (dbt build)": dbt(
            home, "build", "--exclude", f"{SESSION_FACTS_SELECT} test_type:unit", "--vars", '{"as_of": "2026-11-01T06:00:00Z"}'
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=COPIES,
                        help=f"earlier copies of the 1M history in the large warehouse (default {COPIES}: ~10M events)")
    parser.add_argument("--ingest", nargs=3, metavar=("HOME", "LANDING", "SECONDS_FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ingest:  # the ingest part, in a process of its own so its memory is measured alone
        home, landing, seconds_file = args.ingest
        Path(seconds_file).write_text(str(ingest_in_process(Path(home), Path(landing))))
        return
    large = f"{round((args.copies + 1) * 1.02):d}M"
    with tempfile.TemporaryDirectory(prefix="syncmon-refresh-") as tmp:
        work = Path(tmp)
        history, new = work / "history", work / "new"
        base = simulate_history(history, integrations=60, days=HISTORY_DAYS, seed=3, end=END,
                                truth_path=work / "truth-history.json")
        extra = simulate_history(new, integrations=60, days=0.21, seed=3, end=END + timedelta(days=0.21),
                                 truth_path=work / "truth-new.json")
        print(f"history: {base.events:,} events; new batch: {extra.events:,} events", flush=True)

        homes = {"1M": work / "h1", large: work / "large"}
        for label, home in homes.items():
            (home / "warehouse").mkdir(parents=True)
            shutil.copytree(history, home / "landing")
            ingest(home, home / "landing")
            total = replicate_history(home, args.copies) if home.name == "large" else base.events
            seconds, peak = full_build(home)
            print(f"{label}: {total:,} events of history; full dbt build {seconds:.1f} s, peak RSS {peak:,.0f} MB",
                  flush=True)

        results = {label: refresh(home, new) for label, home in homes.items()}
        for part in results["1M"]:
            (small, small_mb), (big, big_mb) = results["1M"][part], results[large][part]
            print(f"refresh after {extra.events:,} new events — {part:<28} 1M {small:6.2f} s | {large} {big:6.2f} s"
                  f" | ratio {big / small:.2f} | peak RSS {small_mb:,.0f} / {big_mb:,.0f} MB")
        for title, parts, target in (
            ("ingest + incremental session facts", ("ingest", "session facts (dbt run)"), TARGET_RATIO),
            ("the whole ingest_job (with its dbt tests)", ("ingest", "session facts (dbt run)", "their dbt tests"), None),
            ("analytics refresh", ("analytics marts (dbt build)",), TARGET_RATIO),
        ):
            small = sum(results["1M"][p][0] for p in parts)
            big = sum(results[large][p][0] for p in parts)
            print(f"ratio {large}/1M, {title}: {big / small:.2f}" + (f" (target <= {target})" if target else ""))
        peak = max(mb for part in results[large].values() for _, mb in [part])
        print(f"peak RSS of any refresh process on {large}: {peak:,.0f} MB (target <= 1,024)")


if __name__ == "__main__":
    main()
