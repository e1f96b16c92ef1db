"""Refresh benchmark: is a refresh after 10,000 new events as cheap on 10M events of history as on 1M?

From one run on the same machine:
  1. history H1 = ~1M simulated events (60 integrations x 21 days), ingested and fully built;
     history H10 = H1 plus nine copies shifted back in time (new ids), ~10M events, fully built —
     the peak memory (max RSS) of that full `dbt build` is printed;
  2. on top of each, the same ~10,000 new events: the post-ingest refresh (ingest, then the
     incremental session facts — what `ingest_job` runs — and, separately, their dbt tests, which
     scan whole tables) and the analytics refresh (health, trends, entity marts, rebuilt from the
     facts) are timed, and the ratios H10/H1 printed (target for the incremental refresh: <= 1.3).

    .venv/bin/python benchmarks/refresh_benchmark.py
"""

from __future__ import annotations

import os
import resource
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


def dbt(home: Path, *args: str) -> float:
    """Run dbt against the warehouse in `home` (unit tests excluded, as in the pipeline); returns seconds."""
    if "--exclude" not in args:
        args = (*args, "--exclude", "test_type:unit")
    work = home / "dbt_work" / uuid.uuid4().hex[:8]
    started = time.perf_counter()
    subprocess.run(
        [DBT, "--quiet", *args, "--project-dir", str(REPO / "dbt_models"), "--profiles-dir", str(REPO / "dbt_models"),
         "--target-path", str(work), "--log-path", str(work)],
        check=True, env={**os.environ, "SYNCMON_HOME": str(home)},
    )
    return time.perf_counter() - started


def ingest(home: Path, landing: Path) -> float:
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


def full_build_peak_memory_mb(home: Path) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    seconds = dbt(home, "build", "--full-refresh", "--vars", '{"as_of": "2026-11-01T00:00:00Z"}')
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(before, after) / 1024


def refresh(home: Path, new_events: Path) -> dict[str, float]:
    """Seconds for each part of the refresh after the new events land."""
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
    with tempfile.TemporaryDirectory(prefix="syncmon-refresh-") as tmp:
        work = Path(tmp)
        history, new = work / "history", work / "new"
        base = simulate_history(history, integrations=60, days=HISTORY_DAYS, seed=3, end=END,
                                truth_path=work / "truth-history.json")
        extra = simulate_history(new, integrations=60, days=0.21, seed=3, end=END + timedelta(days=0.21),
                                 truth_path=work / "truth-new.json")
        print(f"history: {base.events:,} events; new batch: {extra.events:,} events")

        homes = {"1M": work / "h1", "10M": work / "h10"}
        for label, home in homes.items():
            (home / "warehouse").mkdir(parents=True)
            shutil.copytree(history, home / "landing")
            ingest(home, home / "landing")
            total = replicate_history(home, COPIES) if label == "10M" else None
            seconds, peak = full_build_peak_memory_mb(home)
            count = total or base.events
            print(f"{label}: {count:,} events of history; full dbt build {seconds:.1f} s, peak RSS {peak:,.0f} MB")

        results = {label: refresh(home, new) for label, home in homes.items()}
        for part in results["1M"]:
            small, large = results["1M"][part], results["10M"][part]
            print(f"refresh after {extra.events:,} new events — {part:<28} 1M {small:6.2f} s | 10M {large:6.2f} s"
                  f" | ratio {large / small:.2f}")
        incremental = ("ingest", "session facts (dbt run)")
        small = sum(results["1M"][p] for p in incremental)
        large = sum(results["10M"][p] for p in incremental)
        print(f"ratio 10M/1M, ingest + incremental session facts: {large / small:.2f} (target <= {TARGET_RATIO})")
        with_tests = incremental + ("their dbt tests",)
        small = sum(results["1M"][p] for p in with_tests)
        large = sum(results["10M"][p] for p in with_tests)
        print(f"ratio 10M/1M, the whole ingest_job (with its dbt tests): {large / small:.2f}")

if __name__ == "__main__":
    main()
