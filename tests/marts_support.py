"""Helpers for the dbt mart tests: a data directory of their own, ingest, dbt as a subprocess, queries.

The mart tests share one warehouse per module (building it takes several dbt runs), so they
cannot use the function-scoped `home` fixture; everything here takes the data directory as an
argument and passes SYNCMON_HOME to dbt through the subprocess environment only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from syncmon_pipeline.config import DataPaths
from syncmon_pipeline.ingest.load import IngestReport, ingest_files

from conftest import make_event

REPO = Path(__file__).resolve().parents[1]
DBT_PROJECT = REPO / "dbt_models"
DBT = Path(sys.executable).parent / "dbt"

# The models that keep state between builds (incremental), in the order dbt builds them.
INCREMENTAL_MODELS = (
    "intermediate.int_session_status_history",
    "intermediate.int_session_entity_progress",
    "marts.fct_sync_errors",
    "marts.fct_sync_warnings",
    "marts.fct_sync_conflicts",
    "marts.fct_session_metrics",
    "marts.fct_health_checks",
    "marts.fct_sync_sessions",
    "intermediate.int_session_final_state",
    "intermediate.int_scheduled_session_starts",
    "marts.mart_sync_timeseries_hourly",
    "marts.mart_sync_timeseries_daily",
    "marts.mart_entity_metrics",
)


def data_dir(root: Path) -> DataPaths:
    """A fresh, absolute data directory under `root` (tmp), with landing, processed and warehouse folders."""
    return DataPaths(home=(root / "home").resolve()).ensure()


def ingest(paths: DataPaths, files: Sequence[Path], *, now: datetime) -> IngestReport:
    """Ingest `files` in one run stamped `now` (ingested_at), as the ingest asset would."""
    with duckdb.connect(str(paths.warehouse)) as con:
        return ingest_files(con, list(files), archive_root=paths.processed, run_id=uuid.uuid4().hex, now=now)


def run_dbt(paths: DataPaths, work: Path, *args: str, as_of: str | None = None) -> subprocess.CompletedProcess:
    """Run the dbt CLI on the project against `paths`, with target and log folders under `work`."""
    work.mkdir(parents=True, exist_ok=True)
    command = [
        str(DBT) if DBT.exists() else "dbt", *args,
        "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT),
        "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
    ]
    if as_of is not None:
        command += ["--vars", json.dumps({"as_of": as_of})]
    env = {**os.environ, "SYNCMON_HOME": str(paths.home), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    env.pop("DBT_TARGET_PATH", None)
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=work, timeout=600)
    assert result.returncode == 0, f"dbt {' '.join(args)} failed:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}"
    return result


def rows(paths: DataPaths, sql: str, params: Sequence[Any] | None = None) -> list[dict[str, Any]]:
    """Query the warehouse read-only; each row as a dict."""
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        cursor = con.execute(sql, list(params or []))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def scalar(paths: DataPaths, sql: str, params: Sequence[Any] | None = None) -> Any:
    (row,) = rows(paths, sql, params)
    return next(iter(row.values()))


def assert_same_rows(paths: DataPaths, schema: str, models: Sequence[str]) -> None:
    """Each model (schema.name) holds the same rows as its copy in `schema`.

    An incremental refresh sums and averages the same facts in another order than a full build, so
    a floating-point figure may differ in its last bits: doubles are equal within 1e-9 (relative),
    every other value exactly (the other columns, a key among them, pair the rows).
    """
    for model in models:
        name = model.split(".")[1]
        types = rows(paths, "SELECT column_name, data_type FROM information_schema.columns "
                     "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position", [model.split(".")[0], name])
        exact = [c["column_name"] for c in types if c["data_type"] != "DOUBLE"]
        doubles = [c["column_name"] for c in types if c["data_type"] == "DOUBLE"]
        full = scalar(paths, f"SELECT count(*) FROM {model}")
        assert full > 0, model
        assert scalar(paths, f"SELECT count(*) FROM {schema}.{name}") == full, model
        listed = ", ".join(exact)
        for a, b in ((model, f"{schema}.{name}"), (f"{schema}.{name}", model)):
            difference = f"SELECT {listed} FROM {a} EXCEPT ALL SELECT {listed} FROM {b}"
            assert scalar(paths, f"SELECT count(*) FROM ({difference})") == 0, (a, b, rows(paths, f"{difference} LIMIT 3"))
        if doubles:
            pairs = " AND ".join(f"a.{c} IS NOT DISTINCT FROM b.{c}" for c in exact)
            apart = " OR ".join(f"(a.{c} IS DISTINCT FROM b.{c} AND NOT coalesce(abs(a.{c} - b.{c}) "
                                f"<= 1e-9 * greatest(1, abs(a.{c})), false))" for c in doubles)
            (paired,) = rows(paths, f"SELECT count(*) AS n, count(*) FILTER (WHERE {apart}) AS apart "
                             f"FROM {model} AS a JOIN {schema}.{name} AS b ON {pairs}")
            assert paired == {"n": full, "apart": 0}, (model, paired)


def health_by_integration(paths: DataPaths) -> dict[str, dict[str, Any]]:
    return {r["integration_id"]: r for r in rows(paths, "SELECT * FROM marts.mart_integration_health")}


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


class EventLog:
    """Builds contract-v1 events for crafted scenarios (envelopes from conftest.make_event)."""

    def __init__(self) -> None:
        self.events: list[dict] = []
        self._sessions = 0

    def _add(self, kind: str, integration: str, at: datetime, payload: dict, session_id: str | None = None) -> None:
        overrides: dict[str, Any] = {"integration_id": integration, "provider": integration.split("-")[0],
                                     "occurred_at": iso(at), "payload": payload}
        if session_id is not None:
            overrides["session_id"] = session_id
        self.events.append(make_event(kind, **overrides))

    def session(
        self,
        integration: str,
        start: datetime,
        statuses: Iterable[tuple[float, str]] = ((2, "running"), (60, "completed")),
        *,
        triggered_by: str = "schedule",
        errors: Iterable[tuple[float, str]] = (),
        created: bool = True,
    ) -> str:
        """A session created at `start`; `statuses` and `errors` are (seconds after start, status/category)."""
        self._sessions += 1
        sid = f"{integration}-s{self._sessions:04d}"
        if created:
            self._add("session_created", integration, start, {
                "sync_type": "delta", "direction": "inbound", "entity_types": ["students"],
                "triggered_by": triggered_by, "retry_of": None}, sid)
        for offset, status in statuses:
            self._add("session_status", integration, start + timedelta(seconds=offset),
                      {"status": status, "stage": "fetch", "reason": None}, sid)
        for offset, category in errors:
            self._add("session_error", integration, start + timedelta(seconds=offset), {
                "category": category, "severity": "high", "code": "E1", "message": f"{category} error",
                "entity_type": "students", "entity_id": None, "retryable": category == "network",
                "retry_count": 0}, sid)
        return sid

    def status(self, integration: str, session_id: str, at: datetime, status: str) -> None:
        """One more status event for an existing session (e.g. a straggler delivered later)."""
        self._add("session_status", integration, at, {"status": status, "stage": "load", "reason": None}, session_id)

    def schedule(self, integration: str, first: datetime, last: datetime, *, every_s: int = 900,
                 outcome: str = "completed") -> None:
        """Scheduled sessions every `every_s` from `first` to `last` (inclusive), all ending with `outcome`."""
        at = first
        while at <= last:
            errors = [(30, "network")] if outcome == "failed" else []
            self.session(integration, at, [(2, "running"), (60, outcome)], errors=errors)
            at += timedelta(seconds=every_s)

    def checks(self, integration: str, first: datetime, last: datetime, *, every_s: int = 300,
               reachable: bool = True, auth_status: str = "valid") -> None:
        """Health checks every `every_s` from `first` to `last` (inclusive)."""
        at = first
        while at <= last:
            self.check(integration, at, reachable=reachable, auth_status=auth_status)
            at += timedelta(seconds=every_s)

    def check(self, integration: str, at: datetime, *, reachable: bool = True, auth_status: str = "valid") -> None:
        self._add("health_check", integration, at, {
            "reachable": reachable, "latency_ms": 90.0 if reachable else None,
            "auth_status": auth_status if reachable else None, "rate_limit_remaining": 800 if reachable else None,
            "message": None if reachable else "connection timed out"})
