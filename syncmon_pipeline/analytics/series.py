"""Any sync measure as a time series at minute, hour or day resolution, over the fact tables."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

import duckdb
import pandas as pd

from syncmon_pipeline.sql_files import load_statements
from syncmon_pipeline.timestamps import to_utc_naive

Interval = Literal["minute", "hour", "day"]
INTERVALS: dict[str, timedelta] = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}
MAX_POINTS = 1000
MEASURES: tuple[str, ...] = (
    "sessions_started", "sessions_completed", "sessions_failed", "success_rate",
    "duration_seconds_avg", "duration_seconds_p95", "records_processed", "records_failed",
    "errors_total", "errors_network", "errors_authentication", "errors_rate_limit", "errors_validation",
    "errors_conflict", "errors_system", "conflicts", "api_latency_ms_avg", "api_latency_ms_p95",
    "throughput_rps", "health_check_latency_ms_avg", "health_checks_unreachable",
)  # fmt: skip


class SeriesRequestError(ValueError):
    """A series that cannot be served as asked (unknown measure or interval, bad range, too many points)."""


def point_count(start: datetime, end: datetime, interval: Interval) -> int:
    step = INTERVALS[interval]
    return -(-(to_utc_naive(end) - to_utc_naive(start)) // step)


def measure_series(
    con: duckdb.DuckDBPyConnection,
    measure: str,
    *,
    start: datetime,
    end: datetime,
    interval: Interval = "hour",
    integration_id: str | None = None,
) -> pd.Series:
    """`measure` per `interval` bucket in [start, end), UTC, for one integration or the fleet (None).

    Empty buckets are included (0 for counts, NaN for rates and averages). At most
    1000 points: a longer request raises SeriesRequestError saying how to shorten it.
    """
    if measure not in MEASURES:
        raise SeriesRequestError(f"unknown measure {measure!r}; choose one of {', '.join(MEASURES)}")
    if interval not in INTERVALS:
        raise SeriesRequestError(f"unknown interval {interval!r}; choose minute, hour or day")
    if end <= start:
        raise SeriesRequestError(f"the range is empty: end {end.isoformat()} is not after start {start.isoformat()}")
    points = point_count(start, end, interval)
    if points > MAX_POINTS:
        raise SeriesRequestError(
            f"{points} {interval} points from {start.isoformat()} to {end.isoformat()} exceed the limit of"
            f" {MAX_POINTS}; use a coarser interval or a shorter range"
        )
    (statement,) = load_statements(__package__, "measure_series.sql")
    start_utc = to_utc_naive(start)
    # The grid is whole buckets from start; the last one may reach past `end`.
    end_utc = start_utc + points * INTERVALS[interval]
    frame = con.execute(
        statement,
        {
            "start": start_utc,
            "end": end_utc,
            "interval": f"1 {interval}",
            "integration_id": integration_id,
        },
    ).df()
    series = frame.set_index("bucket_start")[measure].astype("float64")
    series.index = pd.DatetimeIndex(series.index, name="bucket_start")
    series.name = measure
    return series
