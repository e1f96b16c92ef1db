"""The fleet at a glance: the figures the Dagster UI plots over time and run-once prints."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import datetime

import duckdb

from syncmon_pipeline.sql_files import query_sql_file


@dataclass(frozen=True)
class Overview:
    as_of: datetime | None
    active_syncs: int
    completion_rate_24h: float | None
    avg_duration_seconds_24h: float | None
    uptime_24h: float | None
    integrations_total: int
    integrations_healthy: int
    integrations_degraded: int
    integrations_down: int
    integrations_stale: int
    integrations_unknown: int

    def numeric_metadata(self) -> dict[str, float | int]:
        """Every figure as a number (missing rates become NaN so the UI plot keeps its shape)."""
        return {
            name: (math.nan if value is None else value)
            for name, value in asdict(self).items()
            if name != "as_of"
        }


def fleet_overview(con: duckdb.DuckDBPyConnection) -> Overview:
    (row,) = query_sql_file(con, __package__, "overview.sql")
    return Overview(*row)


HEALTH_TABLE_COLUMNS = (
    "integration_id", "status", "success_rate_24h", "availability_24h", "consecutive_failures",
    "last_successful_sync_at", "status_reason",
)  # fmt: skip


def health_table(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """The health mart, worst first, for printing."""
    return con.execute(
        "SELECT integration_id, status, success_rate_24h, availability_24h, consecutive_failures,"
        " last_successful_sync_at, status_reason FROM marts.mart_integration_health"
        " ORDER BY CASE status WHEN 'down' THEN 0 WHEN 'degraded' THEN 1 WHEN 'stale' THEN 2"
        " WHEN 'unknown' THEN 3 ELSE 4 END, integration_id"
    ).fetchall()


def render_health_table(rows: list[tuple]) -> str:
    def rate(value: float | None) -> str:
        return "-" if value is None else f"{value:.0%}"

    lines = [f"  {'integration':<34} {'status':<9} {'ok 24h':>6} {'avail':>6} {'fails':>5}  last success"]
    for integration, status, success, availability, failures, last_ok, _reason in rows:
        last = last_ok.strftime("%Y-%m-%d %H:%M") if last_ok else "never"
        lines.append(
            f"  {integration[:34]:<34} {status:<9} {rate(success):>6} {rate(availability):>6} {failures or 0:>5}  {last}"
        )
    return "\n".join(lines)
