"""Anomaly benchmark: window-based scoring against the simulator's ground-truth incidents.

In the style of published streaming-anomaly benchmarks (NAB): every incident is a window on its
integration; the integration's hourly score is the highest score over its watched metrics. For a
threshold, a window earns up to +1 for its first detection (more the earlier it comes, NAB's scaled
sigmoid of the position in the window), a missed window costs -1, and each flagged hour outside
the windows costs 0.11 (NAB's standard profile). Normalised so a detector that never fires
scores 0 and a perfect one 100; one threshold per detector for the whole corpus, the best on a grid.
Two simple baselines run beside the detector: a trailing median/MAD z-score and a trailing
Gaussian tail probability (both over the previous 7 days). The detector's figure at its own
ANOMALY_THRESHOLD is printed too, since that is the one the pipeline uses.

When the shared NAB harness is present (`../shared/anomaly-bench/`, outside the repository), the
detector is also scored on the NAB development half by that harness, with its causal check, and
its table (standard, low-FP and low-FN profiles beside the published detectors) is printed.

    .venv/bin/python benchmarks/anomaly_benchmark.py [--integrations 20] [--days 21] [--seed 5] [--no-nab]
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from syncmon_pipeline.anomaly import ANOMALY_THRESHOLD, score_series
from syncmon_pipeline.anomaly.scoring import METRICS
from syncmon_pipeline.simulator import read_truth, simulate_history

FALSE_POSITIVE_COST = 0.11
WINDOW = 24 * 7  # trailing points for the baselines
REPO = Path(__file__).resolve().parents[1]
NAB_HARNESS = REPO.parent / "shared" / "anomaly-bench" / "nab_eval.py"


def mad_baseline(values: pd.Series) -> pd.Series:
    past = values.shift(1).rolling(WINDOW, min_periods=24)
    median = past.median()
    mad = (values.shift(1) - median).abs().rolling(WINDOW, min_periods=24).median() * 1.4826
    z = ((values - median).abs() / mad.replace(0, np.nan)).fillna(0.0)
    return z / (1.0 + z)


def gaussian_baseline(values: pd.Series) -> pd.Series:
    past = values.shift(1).rolling(WINDOW, min_periods=24)
    z = ((values - past.mean()).abs() / past.std().replace(0, np.nan)).fillna(0.0)
    return z.map(lambda v: math.erf(v / math.sqrt(2.0)))


DETECTORS = {"syncmon detector": score_series, "median/MAD z-score": mad_baseline, "Gaussian tail": gaussian_baseline}


def sigmoid_weight(position: float) -> float:
    """NAB's scaled sigmoid: position -1 = window start (weight ~1), 0 = window end (weight 0)."""
    return 2.0 / (1.0 + math.exp(5.0 * position)) - 1.0


def window_score(flags: pd.Series, windows: list[tuple[pd.Timestamp, pd.Timestamp]]) -> float:
    raw = 0.0
    inside = pd.Series(False, index=flags.index)
    for start, end in windows:
        in_window = (flags.index >= start) & (flags.index <= end)
        inside |= in_window
        hits = flags[in_window & flags.to_numpy()]
        if hits.empty:
            raw -= 1.0
        else:
            span = max((end - start).total_seconds(), 3600.0)
            raw += sigmoid_weight((hits.index[0] - end).total_seconds() / span)
    false_positives = int((flags & ~inside).sum())  # every flagged hour outside a window, as in NAB
    return raw - FALSE_POSITIVE_COST * false_positives


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--integrations", type=int, default=20)
    parser.add_argument("--days", type=float, default=21)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--no-nab", action="store_true", help="skip the NAB development-half run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="syncmon-anomaly-") as tmp:
        home = Path(tmp) / "home"
        os.environ["SYNCMON_HOME"] = str(home)
        os.environ.pop("DAGSTER_HOME", None)
        truth_path = Path(tmp) / "truth.json"
        simulate_history(home / "landing", integrations=args.integrations, days=args.days, seed=args.seed,
                         end=datetime(2026, 11, 1, tzinfo=UTC), truth_path=truth_path)
        from syncmon_pipeline.runner import run_once

        assert run_once(reports=False).success
        with duckdb.connect(str(home / "warehouse" / "syncmon.duckdb"), read_only=True) as con:
            hourly = con.execute(
                "SELECT integration_id, bucket_start, duration_seconds_p95 AS p95_duration_seconds,"
                " sessions_failed / nullif(sessions_ended, 0) AS failure_rate, errors_total::DOUBLE AS error_count,"
                " records_processed::DOUBLE AS records_processed, throughput_rps, api_latency_ms_avg AS api_latency_ms,"
                " health_check_latency_ms_avg AS health_check_latency_ms, records_failed::DOUBLE AS records_failed,"
                " conflicts::DOUBLE AS conflict_count FROM marts.mart_sync_timeseries_hourly WHERE integration_id <> '__all__'"
                " ORDER BY integration_id, bucket_start"
            ).df()
        incidents = read_truth(truth_path)

    windows: dict[str, list[tuple[pd.Timestamp, pd.Timestamp]]] = {}
    for incident in incidents:
        start = pd.Timestamp(incident["start"]).tz_convert(None)
        end = pd.Timestamp(incident["end"]).tz_convert(None)
        windows.setdefault(incident["integration_id"], []).append((start, end))
    print(f"corpus: {hourly.integration_id.nunique()} integrations x {len(METRICS)} metrics, "
          f"{len(hourly):,} integration-hours, {sum(len(w) for w in windows.values())} incident windows")

    for name, detector in DETECTORS.items():
        per_integration = {}
        started = time.perf_counter()
        points = 0
        for integration, group in hourly.groupby("integration_id"):
            index = pd.DatetimeIndex(group["bucket_start"])
            combined = pd.Series(0.0, index=index)
            for metric in METRICS:
                series = pd.Series(group[metric].to_numpy(dtype="float64", na_value=np.nan), index=index)
                combined = np.maximum(combined, detector(series).fillna(0.0))
                points += len(series)
            per_integration[integration] = combined
        elapsed = time.perf_counter() - started
        null_score = -sum(len(w) for w in windows.values())
        perfect = sum(len(w) for w in windows.values()) * sigmoid_weight(-1.0)

        def normalised_at(threshold: float) -> float:
            raw = sum(window_score(s >= threshold, windows.get(i, [])) for i, s in per_integration.items())
            return 100.0 * (raw - null_score) / (perfect - null_score)

        grid = np.round(np.concatenate([np.arange(0.30, 0.99, 0.01), np.arange(0.990, 0.9995, 0.001)]), 4)
        best = max((normalised_at(float(t)), float(t)) for t in grid)
        own = f", {normalised_at(ANOMALY_THRESHOLD):.1f} at ANOMALY_THRESHOLD" if detector is score_series else ""
        print(f"{name:<20} score {best[0]:6.1f} at threshold {best[1]:.3f}{own}   ({points / elapsed:,.0f} points/s here)")

    big = pd.Series(np.random.default_rng(1).normal(0, 1, 1_000_000),
                    pd.date_range("2020-01-01", periods=1_000_000, freq="min"))
    started = time.perf_counter()
    score_series(big)
    print(f"detector throughput: {1_000_000 / (time.perf_counter() - started):,.0f} points/s on one core")
    if not args.no_nab:
        nab_dev_half()


def nab_dev_half() -> None:
    """The NAB development half through the shared harness (one worker, so one core)."""
    if not NAB_HARNESS.exists():
        print(f"NAB: harness not found at {NAB_HARNESS}; skipped")
        return
    print("\nNAB development half (shared harness, --check-causal, one worker):")
    command = [sys.executable, str(NAB_HARNESS), "syncmon_pipeline.anomaly:score_series", "--check-causal", "--jobs", "1"]
    subprocess.run(command, cwd=REPO, check=True)


if __name__ == "__main__":
    main()
