"""Failed pipeline runs as alerts: a run that fails raises `sync_failure` for the pipeline itself.

The run-failure sensor hands the failed run to the alert job, which records it here; the failure stays
open, and its alert firing, until a later run of the same job succeeds. The "integration" is
`pipeline:<job name>` and the provider `syncmon`, so routing can be overridden per provider.

An alert rule that cannot be evaluated for an integration is a pipeline failure too (job
`alert_rule:<rule>`, one open row per skipped integration): it fires `sync_failure` for
`pipeline:alert_rule:<rule>` until the rule evaluates for every integration again.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from collections.abc import Sequence

from syncmon_pipeline.redaction import redact
from syncmon_pipeline.timestamps import from_utc_naive, to_utc_naive

from .model import Observation
from .observations import RuleFailure
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


RULE_JOB_PREFIX = "alert_rule:"


def record_rule_failures(
    con: duckdb.DuckDBPyConnection, failures: Sequence[RuleFailure], *, rules: Sequence[str], now: datetime
) -> None:
    """Open a failure per newly skipped (rule, integration); close those of `rules` that evaluated again."""
    ensure_tables(con)
    failing = {(f"{RULE_JOB_PREFIX}{f.rule}", f.integration_id): f for f in failures}
    open_rows = con.execute(
        "SELECT run_id, job_name FROM alerts.pipeline_failures WHERE resolved_at IS NULL AND job_name LIKE $prefix",
        {"prefix": f"{RULE_JOB_PREFIX}%"},
    ).fetchall()
    still_open = set()
    for run_id, job_name in open_rows:
        integration_id = run_id.split("|", 1)[1].rsplit("|", 1)[0]  # job|integration|first failure
        if (job_name, integration_id) in failing:
            still_open.add((job_name, integration_id))
        elif job_name.removeprefix(RULE_JOB_PREFIX) in rules:
            con.execute("UPDATE alerts.pipeline_failures SET resolved_at = ? WHERE run_id = ?", [to_utc_naive(now), run_id])
    for (job_name, integration_id), failure in failing.items():
        if (job_name, integration_id) not in still_open:
            record_failure(
                con, run_id=f"{job_name}|{integration_id}|{to_utc_naive(now).isoformat()}", job_name=job_name,
                failed_at=now, message=failure.describe(),
            )  # fmt: skip


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
            summary=_summary(job, count, from_utc_naive(first), message),
            labels={"job": job},
            evidence={"run_ids": list(run_ids), "last_error": message},
        )
        for job, first, count, run_ids, message in rows
    ]


def _summary(job: str, count: int, first: datetime, message: str) -> str:
    if job.startswith(RULE_JOB_PREFIX):
        rule = job.removeprefix(RULE_JOB_PREFIX)
        return (f"alert rule {rule} could not be evaluated for {count} integration(s) since {first:%Y-%m-%d %H:%M} UTC"
                f" and skips them (latest: {message})")
    return f"{count} failed run(s) of {job} since {first:%Y-%m-%d %H:%M} UTC"
