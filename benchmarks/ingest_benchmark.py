"""Ingest benchmark: syncmon's own ingest code against DuckDB's bare `INSERT … SELECT * FROM read_json(…)`.

Generates ~1M events with the simulator, then, in each round and on the same files, times
(a) DuckDB alone inserting the NDJSON files into a table and (b) `ingest_files` — decoding,
checksums, contract checks, redaction, dedup, quarantine, ledger and archiving — and prints
the ratio. Rounds alternate the two so machine noise hits both; the median ratio is reported.

    .venv/bin/python benchmarks/ingest_benchmark.py [--integrations 60] [--days 21] [--rounds 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from syncmon_pipeline.ingest.load import ingest_files
from syncmon_pipeline.simulator import simulate_history

TARGET_RATIO = 1.5
FILES_PER_RUN = 100  # what one ingest run takes (ingest.max_files_per_run)


def duckdb_alone(files: list[Path], database: Path) -> float:
    with duckdb.connect(str(database)) as con:
        con.execute("CREATE TABLE events AS SELECT * FROM read_json(?) LIMIT 0", [[str(f) for f in files]])
        started = time.perf_counter()
        con.execute("INSERT INTO events SELECT * FROM read_json(?)", [[str(f) for f in files]])
        return time.perf_counter() - started


def syncmon_ingest(files: list[Path], database: Path, archive: Path) -> tuple[float, int]:
    with duckdb.connect(str(database)) as con:
        started = time.perf_counter()
        inserted = 0
        for start in range(0, len(files), FILES_PER_RUN):
            report = ingest_files(
                con, files[start : start + FILES_PER_RUN], archive_root=archive,
                run_id=uuid.uuid4().hex, now=datetime.now(UTC),
            )
            inserted += report.events_inserted
        return time.perf_counter() - started, inserted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--integrations", type=int, default=60)
    parser.add_argument("--days", type=float, default=21)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="syncmon-bench-") as tmp:
        work = Path(tmp)
        source = work / "generated"
        summary = simulate_history(
            source, integrations=args.integrations, days=args.days, seed=args.seed,
            end=datetime(2026, 11, 1, tzinfo=UTC), truth_path=work / "truth.json",
        )
        files = sorted(source.glob("*.ndjson"))
        size_mb = sum(f.stat().st_size for f in files) / 1e6
        print(f"generated {summary.events:,} events in {len(files)} files ({size_mb:,.0f} MB)")

        ratios = []
        for round_no in range(1, args.rounds + 1):
            landing = work / f"landing-{round_no}"
            shutil.copytree(source, landing)
            round_files = sorted(landing.glob("*.ndjson"))
            baseline = duckdb_alone(round_files, work / f"baseline-{round_no}.duckdb")
            ours, inserted = syncmon_ingest(round_files, work / f"syncmon-{round_no}.duckdb", work / f"archive-{round_no}")
            ratios.append(ours / baseline)
            print(
                f"round {round_no}: duckdb read_json insert {baseline:6.2f} s | syncmon ingest {ours:6.2f} s"
                f" ({inserted:,} events stored, {inserted / ours:,.0f} events/s) | ratio {ours / baseline:.2f}"
            )
            shutil.rmtree(landing, ignore_errors=True)
        median = statistics.median(ratios)
        print(f"median ratio syncmon/duckdb: {median:.2f} (target <= {TARGET_RATIO})")


if __name__ == "__main__":
    main()
