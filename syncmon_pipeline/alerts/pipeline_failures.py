"""Failed pipeline runs as alerts: a run that fails raises `sync_failure` for the pipeline itself.

The run-failure sensor hands the failed run to the alert job, which records it here; the failure stays
open, and its alert firing, until a later run of the same job succeeds. The "integration" is
`pipeline:<job name>` and the provider `syncmon`, so routing can be overridden per provider.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from syncmon_pipeline.redaction import redact
from syncmon_pipeline.timestamps import from_utc_naive, to_utc_naive

from .model import Observation
from .store import ensure_tables

PIPELINE_PROVIDER = "syncmon"
MAX_MESSAGE_CHARS = 2000


def record_failure(
    con: duckdb.DuckDBPyConnection, *, run_id: str, job_name: str, failed_at: datetime, message: str
) -> None:
    ensure_tables(con)
    con.execute(
        "INSERT OR IGNORE INTO alerts.pipeline_failures VALUES (?, ?, ?, ?, NULL)",
        [run_id, job_name, to_utc_naive(failed_at), redact(message)[:MAX_MESSAGE_CHARS]],
    )


def close_failures(con: duckdb.DuckDBPyConnection, *, job_name: str, succeeded_at: datetime) -> int:
    """A successful run closes the failures of its job that happened before it."""
    ensure_tables(con)
    rows = con.execute(
        "UPDATE alerts.pipeline_failures SET resolved_at = $at"
        " WHERE job_name = $job AND resolved_at IS NULL AND failed_at < $at RETURNING run_id",
        {"at": to_utc_naive(succeeded_at), "job": job_name},
    ).fetchall()
    return len(rows)


def open_failure_jobs(con: duckdb.DuckDBPyConnection) -> list[str]:
    ensure_tables(con)
    return [r[0] for r in con.execute(
        "SELECT DISTINCT job_name FROM alerts.pipeline_failures WHERE resolved_at IS NULL ORDER BY 1"
    ).fetchall()]


def failure_observations(con: duckdb.DuckDBPyConnection, now: datetime) -> list[Observation]:
    """One observation per job with open failures (evidence: the failed run ids and the last error)."""
    ensure_tables(con)
    rows = con.execute(
        "SELECT job_name, min(failed_at), count(*), list(run_id ORDER BY failed_at DESC)[:20],"
        " arg_max(message, failed_at)"
        " FROM alerts.pipeline_failures WHERE resolved_at IS NULL AND failed_at <= $now"
        " GROUP BY job_name ORDER BY job_name",
        {"now": to_utc_naive(now)},
    ).fetchall()
    return [
        Observation(
            rule="sync_failure",
            alert_type="sync_failure",
            integration_id=f"pipeline:{job}",
            provider=PIPELINE_PROVIDER,
            observed_at=now,
            started_at=from_utc_naive(first),
            value=float(count),
            threshold=1.0,
            summary=f"{count} failed run(s) of {job} since {from_utc_naive(first):%Y-%m-%d %H:%M} UTC",
            labels={"job": job},
            evidence={"run_ids": list(run_ids), "last_error": message},
        )
        for job, first, count, run_ids, message in rows
    ]
