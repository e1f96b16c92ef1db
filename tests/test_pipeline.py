"""End to end, headless: `syncmon simulate` then `syncmon run-once`; every input line accounted for."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

from syncmon_pipeline.cli import main
from syncmon_pipeline.runner import run_once

from conftest import query

END = "2026-11-20T00:00:00+00:00"


def lines_in(folder: Path) -> int:
    total = 0
    for path in folder.glob("*.ndjson*"):
        data = path.read_bytes()
        data = gzip.decompress(data) if path.name.endswith(".gz") else data
        total += data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
    return total


def test_simulate_then_run_once_ingests_everything_exactly_once(home, capsys):
    assert main(["simulate", "--integrations", "4", "--days", "2", "--seed", "3", "--end", END]) == 0
    expected_lines = lines_in(home.landing)
    assert expected_lines > 1000

    first = run_once(reports=False)
    assert first.success and first.reconciled
    assert first.lines_in == expected_lines
    assert first.events_inserted + first.lines_quarantined + first.lines_duplicate == expected_lines
    assert first.landing_left == 0

    second = run_once(reports=False)
    assert second.success and second.files == 0 and second.events_inserted == 0
    assert second.total_events == first.total_events

    (staged,) = query(home, "SELECT count(*) FROM staging.stg_sync_events")[0]
    assert staged == first.total_events
    (errors,) = query(home, "SELECT count(*) FROM staging.stg_session_errors")[0]
    assert errors > 0


def test_run_once_cli_prints_a_summary(home):
    assert main(["simulate", "--integrations", "2", "--days", "0.5", "--seed", "5", "--end", END]) == 0
    repo = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, "-m", "syncmon_pipeline.cli", "run-once"],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(repo)}, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "syncmon run-once succeeded" in result.stdout
    assert f"warehouse: {home.warehouse}" in result.stdout
    assert "reconciled          yes" in result.stdout
