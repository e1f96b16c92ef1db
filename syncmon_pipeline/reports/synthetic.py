"""A deterministic synthetic analyst snapshot, for report golden tests and benchmarks.

`write_synthetic_snapshot` writes a new DuckDB file with every table the published analyst snapshot
holds (marts, anomaly, alerts, retention and main.snapshot_info), column for column as
`publish_snapshot` copies them, filled with internally consistent data generated in SQL
(`sql/synthetic_*.sql`):

- integrations `<provider>-<unit>-<n>` over the simulator's eight providers (spelled as the simulator and
  the real snapshot spell them: `infinite-campus`), with their entity types;
- sessions spread over `days` days before `end`, mostly completed, some failed / partially completed /
  completed with warnings / cancelled / timed out, a few still running in the last hour; their
  errors, warnings, conflicts, per-entity progress and one metrics report each;
- health checks every 15 minutes per integration, and the marts aggregated from those facts with the
  rules of the dbt models (dim_integrations, mart_integration_health with healthy / degraded / down /
  stale integrations, hourly and daily time series, mart_entity_metrics), anomaly scores (hourly and per session);
- alerts of all ten types and four severities (firing, acknowledged, resolved), silences, pipeline
  failures, notifications (delivered / failed) with their delivery attempts, retention records.

The same arguments give the same tables, row for row and in the same physical order: randomness is
an integer hash of (seed, row key, salt) written in SQL (not DuckDB's hash(), which may change between
releases), ids are md5-based, every DOUBLE aggregate is computed from exact integer sums so that
parallel aggregation cannot change its last bits, and every table is inserted with an ORDER BY on a
unique key. Seeds are taken modulo 2**32. Timestamps are naive UTC like the warehouse. The report
golden files (tests/golden/reports) are made from this data: changing a draw changes them.

`hostile=True` plants text that must be escaped by anything rendering the snapshot: an error message
`<script>alert("x")</script> failed`, a status reason and an entity id starting with `=HYPERLINK(`,
an entity id `+1-555-0100`, an entity id and a session status reason starting with `@SUM(A1)`.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from syncmon_pipeline.publish.snapshot import SNAPSHOT_STORAGE_VERSION
from syncmon_pipeline.sql_files import run_sql_file
from syncmon_pipeline.timestamps import to_utc_naive

_PACKAGE = "syncmon_pipeline.reports.sql"
_STEPS: tuple[str, ...] = (
    "synthetic_setup.sql",
    "synthetic_fleet.sql",
    "synthetic_sessions.sql",
    "synthetic_events.sql",
    "synthetic_session_facts.sql",
    "synthetic_health.sql",
    "synthetic_marts.sql",
    "synthetic_anomaly.sql",
    "synthetic_session_anomaly.sql",
    "synthetic_alerts.sql",
    "synthetic_retention.sql",
    "synthetic_finish.sql",
)

PROVIDERS: tuple[str, ...] = (
    "powerschool", "canvas", "clever", "workday", "bamboohr", "netsuite", "schoology", "infinite-campus",
)  # fmt: skip

# Every table of the file, "schema.table", in the order of information_schema (schema, table).
SNAPSHOT_TABLES: tuple[str, ...] = (
    "alerts.alerts", "alerts.delivery_attempts", "alerts.notifications", "alerts.pipeline_failures",
    "alerts.silences",
    "anomaly.anomaly_scores", "anomaly.session_anomaly_scores",
    "main.snapshot_info",
    "marts.dim_integrations", "marts.fct_health_checks", "marts.fct_session_metrics", "marts.fct_sync_conflicts",
    "marts.fct_sync_errors", "marts.fct_sync_sessions", "marts.fct_sync_warnings", "marts.mart_entity_metrics",
    "marts.mart_integration_health", "marts.mart_sync_timeseries_daily", "marts.mart_sync_timeseries_hourly",
    "retention.archives", "retention.removed_reports",
)  # fmt: skip

# Within these bounds every key of a pseudo-random draw keeps the hash arithmetic inside BIGINT.
MAX_INTEGRATIONS = 2000
MAX_DAYS = 3650
MAX_SESSIONS = 100_000_000


def _mixed_seed(seed: int) -> int:
    """The seed as the 32-bit offset the SQL hash adds to every key."""
    return (seed * 3266489917 + 0x9E3779B9) % 2**32


def write_synthetic_snapshot(
    path: Path,
    *,
    integrations: int,
    days: int,
    sessions: int,
    end: datetime,
    seed: int = 0,
    hostile: bool = False,
) -> dict[str, int]:
    """Write a new synthetic snapshot file at `path`; returns the row count of every "schema.table".

    `sessions` sessions are spread over `integrations` integrations and the `days` days before
    `end` (naive = UTC; an aware datetime is converted). The file is built under a temporary name
    next to `path` and renamed into place; an existing `path` is an error.
    """
    if not 1 <= integrations <= MAX_INTEGRATIONS:
        raise ValueError(f"integrations must be between 1 and {MAX_INTEGRATIONS}, got {integrations}")
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be between 1 and {MAX_DAYS}, got {days}")
    if not 0 <= sessions <= MAX_SESSIONS:
        raise ValueError(f"sessions must be between 0 and {MAX_SESSIONS}, got {sessions}")
    target = Path(path)
    if target.exists():
        raise FileExistsError(f"{target} exists; the synthetic snapshot is always written to a new file")
    end_utc = to_utc_naive(end)
    assert end_utc is not None
    params = {
        "seed": _mixed_seed(seed),
        "start": end_utc - timedelta(days=days),
        "end": end_utc,
        "days": days,
        "integrations": integrations,
        "sessions": sessions,
        "hostile": bool(hostile),
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        con = duckdb.connect(str(staging), config={"storage_compatibility_version": SNAPSHOT_STORAGE_VERSION})
        try:
            for step in _STEPS:
                run_sql_file(con, _PACKAGE, step, params)
            counts = _row_counts(con)
        finally:
            con.close()
        os.replace(staging, target)
    finally:
        for leftover in (staging, staging.with_name(staging.name + ".wal")):
            leftover.unlink(missing_ok=True)
    return counts


def _row_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    tables = con.execute(
        "SELECT table_schema, table_name FROM information_schema.tables"
        " WHERE table_catalog = current_database() AND table_type = 'BASE TABLE'"
        " ORDER BY table_schema, table_name"
    ).fetchall()
    counts: dict[str, int] = {}
    for schema, table in tables:
        name = f'"{schema}"."{table}"'
        counts[f"{schema}.{table}"] = con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]
    return counts
