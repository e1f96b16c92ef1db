"""The dbt marts over simulated history: ground truth, incremental builds, consistency of the facts.

One simulated warehouse per module: 10 integrations x 7 days, one ingest run per landing file.
dbt runs after the first half of the files and after the rest (the second run incremental, with
late events for sessions the first run built), then a --full-refresh build must give the same rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from syncmon_pipeline.config import DataPaths
from syncmon_pipeline.simulator import simulate_history

from marts_support import INCREMENTAL_MODELS, assert_same_rows, data_dir, health_by_integration, ingest, iso, rows, run_dbt, scalar

END = datetime(2026, 11, 20, tzinfo=UTC)
SEED = 7
COUNT_COLUMNS = (
    "sessions_started", "sessions_ended", "sessions_completed", "sessions_partially_completed", "sessions_failed",
    "sessions_cancelled", "records_processed", "records_failed", "errors_network", "errors_authentication",
    "errors_rate_limit", "errors_validation", "errors_conflict", "errors_system", "errors_total", "conflicts",
    "conflicts_unresolved", "api_calls", "health_checks", "health_checks_unreachable",
)


@dataclass(frozen=True)
class Warehouse:
    paths: DataPaths
    work: Path
    truth: list[dict]

    def health_at(self, at: datetime) -> dict[str, dict]:
        run_dbt(self.paths, self.work / f"as_of_{at:%Y%m%dT%H%M}", "run", "--select", "int_as_of+", as_of=iso(at))
        return health_by_integration(self.paths)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    root = tmp_path_factory.mktemp("marts")
    paths = data_dir(root)
    truth_path = root / "truth" / "incidents.json"
    simulate_history(paths.landing, integrations=10, days=7, seed=SEED, end=END, truth_path=truth_path)
    files = sorted(paths.landing.glob("*.ndjson*"))
    assert len(files) >= 4

    half = len(files) // 2
    for n, path in enumerate(files[:half]):
        ingest(paths, [path], now=END + timedelta(minutes=n + 1))
    work = root / "dbt"  # one target folder for the three builds, so dbt parses the project once
    run_dbt(paths, work, "run")
    snapshot(paths, "first_build", ["marts.fct_sync_sessions"])

    for n, path in enumerate(files[half:], start=half):
        ingest(paths, [path], now=END + timedelta(minutes=n + 1))
    run_dbt(paths, work, "run")
    compiled = work / "target" / "compiled" / "syncmon" / "models" / "marts" / "fct_sync_sessions.sql"
    assert "last_ingested_at), timestamp '1970-01-01') from" in compiled.read_text(), "second run not incremental"
    snapshot(paths, "incremental", INCREMENTAL_MODELS)

    run_dbt(paths, work, "build", "--full-refresh")
    return Warehouse(paths, root, json.loads(truth_path.read_text()))


def snapshot(paths: DataPaths, schema: str, models: list[str] | tuple[str, ...]) -> None:
    with duckdb.connect(str(paths.warehouse)) as con:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        for model in models:
            con.execute(f"CREATE OR REPLACE TABLE {schema}.{model.split('.')[1]} AS SELECT * FROM {model}")


def test_incremental_builds_equal_a_full_refresh(warehouse):
    assert_same_rows(warehouse.paths, "incremental", INCREMENTAL_MODELS)


def test_late_events_updated_sessions_built_by_the_first_run(warehouse):
    (changed,) = rows(warehouse.paths, """
        SELECT count(*) FILTER (WHERE NOT before.is_terminal AND after.is_terminal) AS finished_later,
               count(*) FILTER (WHERE before.last_ingested_at < after.last_ingested_at) AS touched_again
        FROM first_build.fct_sync_sessions AS before
        JOIN marts.fct_sync_sessions AS after USING (integration_id, session_id)
    """)
    assert changed["finished_later"] > 0
    assert changed["touched_again"] > changed["finished_later"]


def test_one_session_row_per_distinct_session(warehouse):
    """A session is (integration_id, session_id): session ids are unique per integration only."""
    (counts,) = rows(warehouse.paths, """
        SELECT (SELECT count(*) FROM marts.fct_sync_sessions) AS fct_rows,
               (SELECT count(DISTINCT (integration_id, session_id)) FROM marts.fct_sync_sessions) AS fct_sessions,
               (SELECT count(DISTINCT (integration_id, session_id)) FROM raw.sync_events
                WHERE session_id IS NOT NULL) AS raw_sessions,
               (SELECT count(*) FROM (SELECT DISTINCT integration_id, session_id FROM raw.sync_events
                                      WHERE session_id IS NOT NULL
                                      EXCEPT SELECT integration_id, session_id FROM marts.fct_sync_sessions)) AS missing
    """)
    assert counts["fct_rows"] == counts["fct_sessions"] == counts["raw_sessions"] > 1000
    assert counts["missing"] == 0


def test_session_counts_match_the_raw_events(warehouse):
    """Final records = sum over entity types of the one load-stage report each; errors counted per session."""
    mismatches = scalar(warehouse.paths, """
        WITH raw_counts AS (
            SELECT integration_id, session_id,
                   sum(CAST(payload ->> '$.records_processed' AS BIGINT))
                       FILTER (WHERE event_type = 'session_progress' AND payload ->> '$.entity_type' IS NOT NULL)
                       AS records_processed,
                   count(*) FILTER (WHERE event_type = 'session_error') AS errors,
                   count(*) FILTER (WHERE event_type = 'session_conflict') AS conflicts
            FROM raw.sync_events WHERE session_id IS NOT NULL GROUP BY integration_id, session_id
        )
        SELECT count(*) FROM raw_counts JOIN marts.fct_sync_sessions USING (integration_id, session_id)
        WHERE coalesce(raw_counts.records_processed, 0) <> fct_sync_sessions.records_processed
           OR raw_counts.errors <> fct_sync_sessions.error_count
           OR raw_counts.conflicts <> fct_sync_sessions.conflict_count
    """)
    assert mismatches == 0


def test_retries_point_at_known_sessions(warehouse):
    (retries,) = rows(warehouse.paths, """
        SELECT count(*) AS retries, count(original.session_id) AS resolved
        FROM marts.fct_sync_sessions AS retry
        LEFT JOIN marts.fct_sync_sessions AS original
            ON original.integration_id = retry.integration_id AND original.session_id = retry.retry_of
        WHERE retry.triggered_by = 'retry'
    """)
    assert retries["retries"] > 0 and retries["resolved"] == retries["retries"]


def test_usual_cadence_is_inferred_from_scheduled_starts(warehouse):
    cadences = rows(warehouse.paths, "SELECT integration_id, usual_cadence_seconds AS c FROM marts.dim_integrations")
    assert len(cadences) == 10
    for row in cadences:
        assert any(abs(row["c"] - expected) < 0.01 * expected for expected in (900, 3600, 86400)), row


@pytest.mark.parametrize("grain", ["hourly", "daily"])
def test_timeseries_fleet_rows_are_the_sum_of_integration_rows(warehouse, grain):
    table = f"marts.mart_sync_timeseries_{grain}"
    sums = ", ".join(f"sum({c}) FILTER (WHERE integration_id <> '__all__') AS {c}" for c in COUNT_COLUMNS)
    fleet = ", ".join(f"max({c}) FILTER (WHERE integration_id = '__all__') AS all_{c}" for c in COUNT_COLUMNS)
    buckets = rows(warehouse.paths, f"SELECT bucket_start, {sums}, {fleet} FROM {table} GROUP BY bucket_start")
    assert len(buckets) >= (7 if grain == "daily" else 7 * 24)
    for bucket in buckets:
        for column in COUNT_COLUMNS:
            assert bucket[column] == bucket[f"all_{column}"], (grain, bucket["bucket_start"], column)

    (totals,) = rows(warehouse.paths, f"""
        SELECT (SELECT sum(sessions_started) FROM {table} WHERE integration_id = '__all__') AS started,
               (SELECT count(*) FROM marts.fct_sync_sessions) AS sessions,
               (SELECT sum(errors_total) FROM {table} WHERE integration_id = '__all__') AS errors,
               (SELECT count(*) FROM marts.fct_sync_errors) AS error_rows,
               (SELECT sum(health_checks) FROM {table} WHERE integration_id = '__all__') AS checks,
               (SELECT count(*) FROM marts.fct_health_checks) AS check_rows
    """)
    assert totals["started"] == totals["sessions"]
    assert totals["errors"] == totals["error_rows"]
    assert totals["checks"] == totals["check_rows"]


def incident_times(warehouse: Warehouse, kind: str) -> tuple[dict, datetime, datetime]:
    """An incident of `kind`, an instant inside it, and one some hours after it (before anything else)."""
    parse = datetime.fromisoformat
    for incident in (t for t in warehouse.truth if t["kind"] == kind):
        start, end = parse(incident["start"]), parse(incident["end"])
        following = [parse(t["start"]) for t in warehouse.truth
                     if t["integration_id"] == incident["integration_id"] and parse(t["start"]) > end]
        # the next incident may announce itself early (credentials report 'expiring' 12 h ahead)
        quiet_until = min(following, default=END + timedelta(hours=13)) - timedelta(hours=13)
        first_success = scalar(warehouse.paths, """
            SELECT min(ended_at) FROM marts.fct_sync_sessions
            WHERE integration_id = ? AND outcome = 'succeeded' AND started_at >= ?
        """, [incident["integration_id"], end.replace(tzinfo=None)])
        after = end + timedelta(hours=4)
        if first_success is not None:
            after = max(after, first_success.replace(tzinfo=UTC) + timedelta(hours=1))
        if after <= min(quiet_until, END):
            return incident, start + (end - start) / 2, after
    pytest.fail(f"no {kind} incident in the simulated week leaves room to check the recovery")


@pytest.mark.parametrize("kind", ["integration_down", "authentication_failure"])
def test_health_follows_the_ground_truth(warehouse, kind):
    incident, inside, after = incident_times(warehouse, kind)
    integration = incident["integration_id"]

    during = warehouse.health_at(inside)[integration]
    assert during["status"] in ("down", "degraded"), (incident, inside, during)
    if kind == "authentication_failure":
        assert during["last_auth_status"] in ("expired", "invalid"), during
    else:
        assert during["last_health_check_reachable"] is False, during

    recovered = warehouse.health_at(after)[integration]
    assert recovered["status"] == "healthy", (incident, after, recovered)
    assert recovered["consecutive_failures"] == 0
    assert not {"network", "authentication"} & set(recovered["open_error_categories"]), recovered
