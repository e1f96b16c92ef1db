"""Incremental analytics marts on crafted late and out-of-order events equal a full refresh.

Three ingest + `dbt run` rounds into one warehouse, the second and third incremental, with what
an incremental refresh is most likely to get wrong: a late terminal status that moves an old
session's end to another hour, a late progress report that moves its final counts, a health check
dated before its integration was first seen, an integration seen again after a quiet day (its empty
buckets in between), a new integration whose events arrive in reverse order, and late errors,
conflicts and metrics for old sessions. Then `dbt build --full-refresh` must give the same rows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from marts_support import EventLog, assert_same_rows, data_dir, ingest, iso, rows, run_dbt
from conftest import make_event, write_events

from test_marts import snapshot

DAY0 = datetime(2026, 11, 20, tzinfo=UTC)
H = timedelta(hours=1)
AS_OF = iso(DAY0 + timedelta(days=4))
# The analytics marts the scheduled run refreshes incrementally (the facts have their own test in test_marts).
ANALYTICS_MARTS = ("marts.mart_sync_timeseries_hourly", "marts.mart_sync_timeseries_daily", "marts.mart_entity_metrics",
                   "intermediate.int_scheduled_session_starts")
HEALTH = ("marts.mart_integration_health", "marts.dim_integrations")


def event(log: EventLog, kind: str, integration: str, session_id: str | None, at: datetime, **payload: object) -> None:
    base = make_event(kind)
    overrides: dict = {"integration_id": integration, "provider": integration.split("-")[0], "occurred_at": iso(at),
                       "payload": {**base["payload"], **payload}}
    if session_id is not None:
        overrides["session_id"] = session_id
    log.events.append(make_event(kind, **overrides))


def first_round() -> tuple[EventLog, dict[str, str]]:
    log, sessions = EventLog(), {}
    log.schedule("canvas-a", DAY0, DAY0 + timedelta(days=2) - H, every_s=3600)
    sessions["old"] = log.session("canvas-a", DAY0 + 3 * H + timedelta(minutes=40), [(2, "running"), (600, "completed")])
    event(log, "session_progress", "canvas-a", sessions["old"], DAY0 + 3 * H + timedelta(minutes=45),
          entity_type="courses", records_processed=40)
    log.checks("workday-b", DAY0 + timedelta(days=1), DAY0 + timedelta(days=2), every_s=3600)
    log.schedule("workday-b", DAY0 + timedelta(days=1), DAY0 + timedelta(days=2), every_s=7200, outcome="failed")
    log.schedule("clever-c", DAY0, DAY0 + 10 * H, every_s=1800)
    return log, sessions


def second_round(sessions: dict[str, str]) -> EventLog:
    log = EventLog()
    old = sessions["old"]
    # late: the old session turns out to have failed two hours later (its end moves to another hour and day is kept)
    log.status("canvas-a", old, DAY0 + 5 * H + timedelta(minutes=50), "failed")
    # late: a later progress report with more records (the final counts move to a later hour)
    event(log, "session_progress", "canvas-a", old, DAY0 + 6 * H + timedelta(minutes=5),
          entity_type="courses", records_processed=90, records_failed=4)
    event(log, "session_error", "canvas-a", old, DAY0 + 5 * H + timedelta(minutes=49), category="system",
          entity_type="courses")
    event(log, "session_conflict", "canvas-a", old, DAY0 + 4 * H, entity_type="courses", resolved=False)
    event(log, "session_metrics", "canvas-a", old, DAY0 + 4 * H + timedelta(minutes=1), api_calls=700)
    # a health check dated before workday-b was first seen
    log.check("workday-b", DAY0 + 2 * H, reachable=False)
    # clever-c seen again a day and a half after its last session: empty buckets in between
    log.schedule("clever-c", DAY0 + timedelta(days=2), DAY0 + timedelta(days=2, hours=3), every_s=1800)
    # a new integration whose events arrive newest first
    reversed_log = EventLog()
    reversed_log.schedule("hubspot-d", DAY0 + timedelta(days=1), DAY0 + timedelta(days=2), every_s=5400)
    log.events.extend(reversed(reversed_log.events))
    # and the fleet goes on
    log.schedule("canvas-a", DAY0 + timedelta(days=2), DAY0 + timedelta(days=2, hours=4), every_s=3600)
    return log


def third_round(sessions: dict[str, str]) -> EventLog:
    log = EventLog()
    # workday-b goes on under a renamed provider: its entity rows must follow, though it has no new entity facts
    log.schedule("workday-b", DAY0 + timedelta(days=2, hours=2), DAY0 + timedelta(days=2, hours=6), every_s=7200)
    for renamed in log.events:
        renamed["provider"] = "workday_hcm"
    event(log, "session_warning", "canvas-a", sessions["old"], DAY0 + 3 * H + timedelta(minutes=46))
    # a session of day 0 reported only now, still running, with an error on a new entity type
    late = log.session("clever-c", DAY0 + 9 * H - timedelta(minutes=1), [(2, "running")])
    event(log, "session_error", "clever-c", late, DAY0 + 9 * H, category="network", entity_type="sections")
    return log


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("incremental_marts")
    paths = data_dir(root)
    work = root / "dbt"
    log, sessions = first_round()
    rounds = [log, second_round(sessions), third_round(sessions)]
    ingested_at = DAY0 + timedelta(days=3)
    for n, batch in enumerate(rounds):
        path = write_events(paths.landing, f"round-{n}.ndjson", batch.events)
        ingest(paths, [path], now=ingested_at + n * H)
        run_dbt(paths, work, "run", as_of=AS_OF)
        if n == 1:
            snapshot(paths, "after_late", ANALYTICS_MARTS)
    compiled = Path(work / "target" / "compiled" / "syncmon" / "models")
    for model in ANALYTICS_MARTS:
        schema, name = model.split(".")
        sql = (compiled / schema / f"{name}.sql").read_text()
        assert "watermark as" in sql or "changed as" in sql, f"{model} not incremental"
    snapshot(paths, "incremental", ANALYTICS_MARTS + HEALTH)
    run_dbt(paths, work, "build", "--full-refresh", as_of=AS_OF)
    return paths, sessions


def test_incremental_marts_equal_a_full_refresh_after_late_and_out_of_order_events(warehouse):
    paths, _ = warehouse
    assert_same_rows(paths, "incremental", ANALYTICS_MARTS + HEALTH)


def test_the_late_events_moved_old_buckets(warehouse):
    """The scenario does what it claims: the late status moved the old session's end two hours later."""
    paths, _ = warehouse
    failed = rows(paths, "SELECT bucket_start, sessions_failed, sessions_completed, records_failed FROM "
                         "after_late.mart_sync_timeseries_hourly WHERE integration_id = 'canvas-a' "
                         "AND bucket_start BETWEEN ? AND ? ORDER BY bucket_start",
                  [(DAY0 + 3 * H).replace(tzinfo=None), (DAY0 + 6 * H).replace(tzinfo=None)])
    assert [(r["sessions_failed"], r["sessions_completed"]) for r in failed] == [(0, 1), (0, 1), (1, 1), (0, 1)]
    assert [r["records_failed"] for r in failed] == [0, 0, 0, 4]


def test_a_late_scheduled_start_re_times_the_next_one(warehouse):
    paths, _ = warehouse
    gaps = rows(paths, "SELECT started_at, gap_seconds FROM incremental.int_scheduled_session_starts "
                       "WHERE integration_id = 'clever-c' AND started_at BETWEEN ? AND ? ORDER BY started_at",
                [(DAY0 + 8 * H).replace(tzinfo=None), (DAY0 + 9 * H).replace(tzinfo=None)])
    # 08:00, 08:30, the late 08:59 (29 min after 08:30), then 09:00 only a minute after it
    assert [g["gap_seconds"] for g in gaps] == [1800, 1800, 1740, 60]


def test_a_renamed_provider_reaches_the_entity_rows(warehouse):
    paths, _ = warehouse
    providers = rows(paths, "SELECT DISTINCT provider FROM incremental.mart_entity_metrics WHERE integration_id = 'workday-b'")
    assert providers == [{"provider": "workday_hcm"}]


@pytest.mark.parametrize("schema", ["after_late", "incremental"])
def test_an_integration_seen_again_gets_its_empty_buckets(warehouse, schema):
    paths, _ = warehouse
    (span,) = rows(paths, "SELECT count(*) AS buckets, count(*) FILTER (WHERE sessions_started = 0) AS empty "
                          f"FROM {schema}.mart_sync_timeseries_hourly WHERE integration_id = 'clever-c'")
    # clever-c: from day 0 00:00 to day 2 03:01 (its last session's end), hourly; sessions in 11 + 4 hours
    assert span["buckets"] == 2 * 24 + 4
    assert span["empty"] == span["buckets"] - 11 - 4
