"""mart_integration_health on crafted events: one integration per edge case, all judged at one as_of.

Every scenario lives in the same warehouse (one integration each), so a single `dbt build`
covers them all; `as_of` is passed as the dbt var, and events after it must be ignored.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import pytest

from marts_support import EventLog, data_dir, health_by_integration, ingest, iso, run_dbt, scalar

from conftest import write_events

AS_OF = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
DAY_START = AS_OF - timedelta(hours=12)  # histories start at midnight
H = timedelta(hours=1)
M = timedelta(minutes=1)


def scenarios() -> tuple[EventLog, EventLog]:
    """The events of every scenario, and stragglers delivered in a later ingest run."""
    log, stragglers = EventLog(), EventLog()

    # Never synced: a session was created but never ran, and no health check yet.
    log.session("never-synced", AS_OF - 2 * H, statuses=[(1, "queued")])

    # Only health checks, all fine, and no session at all: nothing is wrong yet.
    log.checks("checks-only", AS_OF - 3 * H, AS_OF - 2 * M)

    # Only running sessions, no health check: nothing has ended, nothing to judge.
    log.session("only-running", AS_OF - 3 * H, statuses=[(2, "running")])
    log.session("only-running", AS_OF - 30 * M, statuses=[(2, "running")])

    # A first sync still running, health checks fine.
    log.checks("first-sync-running", AS_OF - 2 * H, AS_OF - 2 * M)
    log.session("first-sync-running", AS_OF - 20 * M, statuses=[(1, "queued"), (2, "running")])

    # Regular 15-minute syncs, then the latest session paused an hour ago: not stale.
    log.schedule("paused", DAY_START, AS_OF - 75 * M)
    log.session("paused", AS_OF - 60 * M, statuses=[(2, "running"), (30, "paused")])
    log.checks("paused", DAY_START, AS_OF - 2 * M)

    # Regular 15-minute syncs that stopped 2.5 h ago (> 2 x cadence); health checks still fine.
    log.schedule("stale", DAY_START, AS_OF - 150 * M)
    log.checks("stale", DAY_START, AS_OF - 2 * M)

    # Syncs fine, the latest health check (only) failed: a blip, degraded.
    log.schedule("check-blip", DAY_START, AS_OF - 15 * M)
    log.checks("check-blip", DAY_START, AS_OF - 7 * M)
    log.check("check-blip", AS_OF - 2 * M, reachable=False)

    # Syncs fine, the two latest health checks failed: down, from health checks alone.
    log.schedule("checks-failing", DAY_START, AS_OF - 15 * M)
    log.checks("checks-failing", DAY_START, AS_OF - 12 * M)
    log.check("checks-failing", AS_OF - 7 * M, reachable=False)
    log.check("checks-failing", AS_OF - 2 * M, reachable=False)

    # Credentials expired (health checks) while the last sessions still succeeded: down.
    log.schedule("auth-expired", DAY_START, AS_OF - 15 * M)
    log.checks("auth-expired", DAY_START, AS_OF - 32 * M)
    log.checks("auth-expired", AS_OF - 27 * M, AS_OF - 2 * M, auth_status="expired")

    # Credentials about to expire: degraded.
    log.schedule("auth-expiring", DAY_START, AS_OF - 15 * M)
    log.checks("auth-expiring", DAY_START, AS_OF - 2 * M, auth_status="expiring")

    # An outage still going on: sessions failing with network errors, probes unreachable.
    log.schedule("outage", DAY_START, AS_OF - 2 * H - 15 * M)
    log.schedule("outage", AS_OF - 2 * H, AS_OF - 15 * M, outcome="failed")
    log.checks("outage", DAY_START, AS_OF - 2 * H - 5 * M)
    log.checks("outage", AS_OF - 2 * H, AS_OF - 2 * M, reachable=False)

    # Recovery: the same outage ended 2 h ago, every session and probe since has succeeded.
    log.schedule("recovered", DAY_START, AS_OF - 4 * H - 15 * M)
    log.schedule("recovered", AS_OF - 4 * H, AS_OF - 2 * H - 15 * M, outcome="failed")
    log.schedule("recovered", AS_OF - 2 * H, AS_OF - 15 * M)
    log.checks("recovered", DAY_START, AS_OF - 4 * H - 5 * M)
    log.checks("recovered", AS_OF - 4 * H, AS_OF - 2 * H - 5 * M, reachable=False)
    log.checks("recovered", AS_OF - 2 * H, AS_OF - 2 * M)

    # One failed session, the latest: degraded.
    log.schedule("one-failure", DAY_START, AS_OF - 30 * M)
    log.session("one-failure", AS_OF - 15 * M, statuses=[(2, "running"), (60, "failed")], errors=[(50, "system")])
    log.checks("one-failure", DAY_START, AS_OF - 2 * M)

    # Flapping: every other session fails, the latest succeeded; the 24 h rate says degraded.
    at, fail = DAY_START, True
    while at <= AS_OF - 15 * M:
        log.session("flapping", at, statuses=[(2, "running"), (60, "failed" if fail else "completed")])
        at, fail = at + 15 * M, not fail
    log.checks("flapping", DAY_START, AS_OF - 2 * M)

    # Fine up to as_of; everything after it goes wrong. Events after as_of must not count.
    log.schedule("future-trouble", DAY_START, AS_OF - 15 * M)
    log.session("future-trouble", AS_OF - 2 * M, statuses=[(2, "running"), (600, "failed")])
    log.schedule("future-trouble", AS_OF + 15 * M, AS_OF + 45 * M, outcome="failed")
    log.checks("future-trouble", DAY_START, AS_OF - 4 * M)
    log.checks("future-trouble", AS_OF + M, AS_OF + H, reachable=False)

    # Late delivery: the session completed; a 'running' event stamped after the completion
    # arrives in a later ingest run. Terminal wins: the session stays completed.
    log.schedule("late-events", DAY_START, AS_OF - 30 * M)
    late = log.session("late-events", AS_OF - 15 * M, statuses=[(60, "completed")])
    log.checks("late-events", DAY_START, AS_OF - 2 * M)
    stragglers.status("late-events", late, AS_OF - 13 * M, "running")
    return log, stragglers


@pytest.fixture(scope="module")
def health(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("health_rules")
    paths = data_dir(root)
    log, stragglers = scenarios()
    write_events(paths.landing, "scenarios.ndjson", log.events[::-1])  # out of order on purpose
    write_events(paths.landing, "stragglers.ndjson", stragglers.events)
    ingest(paths, [paths.landing / "scenarios.ndjson"], now=AS_OF + 2 * H)
    ingest(paths, [paths.landing / "stragglers.ndjson"], now=AS_OF + 3 * H)

    run_dbt(paths, root / "dbt", "build", as_of=iso(AS_OF))
    assert scalar(paths, "SELECT max(occurred_at) FROM raw.sync_events") > AS_OF.replace(tzinfo=None)
    return health_by_integration(paths)


def test_as_of_is_the_var(health):
    assert {row["as_of"] for row in health.values()} == {AS_OF.replace(tzinfo=None)}


def test_never_synced_is_unknown(health):
    row = health["never-synced"]
    assert row["status"] == "unknown"
    assert row["sessions_started"] == 1 and row["latest_session_status"] == "queued"
    assert row["last_successful_sync_at"] is None and row["consecutive_failures"] == 0
    assert row["last_health_check_at"] is None and row["success_rate_24h"] is None


def test_health_checks_without_any_session_are_healthy(health):
    row = health["checks-only"]
    assert row["status"] == "healthy"
    assert row["sessions_started"] == 0 and row["consecutive_failures"] == 0 and row["availability_24h"] == 1.0
    assert row["last_auth_status"] == "valid"


def test_only_running_sessions_is_unknown(health):
    row = health["only-running"]
    assert row["status"] == "unknown"
    assert row["sessions_started"] == 2 and row["latest_session_status"] == "running"


def test_first_sync_still_running_with_good_checks_is_healthy(health):
    row = health["first-sync-running"]
    assert row["status"] == "healthy"
    assert row["latest_session_status"] == "running" and row["usual_cadence_seconds"] is None


def test_paused_latest_session_is_not_stale(health):
    row = health["paused"]
    assert row["status"] == "healthy"
    assert row["latest_session_status"] == "paused"
    assert row["usual_cadence_seconds"] == pytest.approx(900)
    started = row["last_session_started_at"]
    assert (AS_OF.replace(tzinfo=None) - started).total_seconds() > 2 * 900


def test_no_session_for_more_than_twice_the_cadence_is_stale(health):
    row = health["stale"]
    assert row["status"] == "stale"
    assert row["usual_cadence_seconds"] == pytest.approx(900)
    assert row["last_health_check_reachable"] is True and row["consecutive_failures"] == 0


def test_a_lone_failed_health_check_is_degraded(health):
    row = health["check-blip"]
    assert row["status"] == "degraded"
    assert row["last_health_check_reachable"] is False and row["latest_checks_unreachable"] == 1
    assert row["consecutive_failures"] == 0 and row["success_rate_24h"] == 1.0


def test_failures_only_in_health_checks_are_down(health):
    row = health["checks-failing"]
    assert row["status"] == "down"
    assert row["latest_checks_unreachable"] == 2 and row["unreachable_checks_1h"] == 2
    assert row["consecutive_failures"] == 0 and row["success_rate_24h"] == 1.0


def test_expired_credentials_are_down(health):
    row = health["auth-expired"]
    assert row["status"] == "down"
    assert row["last_auth_status"] == "expired"
    assert "expired" in row["status_reason"]


def test_expiring_credentials_are_degraded(health):
    row = health["auth-expiring"]
    assert row["status"] == "degraded"
    assert row["last_auth_status"] == "expiring"


def test_ongoing_outage_is_down(health):
    row = health["outage"]
    assert row["status"] == "down"
    assert row["consecutive_failures"] == 8
    assert row["open_error_categories"] == ["network"]
    assert row["last_health_check_reachable"] is False
    assert row["last_successful_sync_at"] < (AS_OF - 2 * H).replace(tzinfo=None)


def test_recovery_after_an_outage_is_healthy(health):
    row = health["recovered"]
    assert row["status"] == "healthy"
    assert row["consecutive_failures"] == 0 and row["open_error_categories"] == []
    # the outage still shows in the rates, not in the status
    assert row["success_rate_24h"] == pytest.approx(40 / 48)
    assert row["availability_24h"] < 1.0
    assert row["last_successful_sync_at"] > (AS_OF - 30 * M).replace(tzinfo=None)


def test_one_failed_session_is_degraded(health):
    row = health["one-failure"]
    assert row["status"] == "degraded"
    assert row["consecutive_failures"] == 1 and "latest session failed" in row["status_reason"]
    assert row["open_error_categories"] == ["system"]
    assert row["latest_session_status"] == "failed"


def test_flapping_sessions_are_degraded_by_the_24h_success_rate(health):
    row = health["flapping"]
    assert row["status"] == "degraded"
    assert row["consecutive_failures"] == 0
    assert row["success_rate_24h"] == pytest.approx(0.5)
    assert "success rate" in row["status_reason"]


def test_events_after_as_of_are_ignored(health):
    row = health["future-trouble"]
    assert row["status"] == "healthy"
    assert row["latest_session_status"] == "running"  # it fails 10 minutes after as_of
    assert row["consecutive_failures"] == 0
    assert row["last_health_check_at"] < AS_OF.replace(tzinfo=None)


def test_a_late_non_terminal_event_does_not_reopen_a_session(health):
    row = health["late-events"]
    assert row["status"] == "healthy"
    assert row["latest_session_status"] == "completed"


def test_every_scenario_has_exactly_one_row(health):
    assert sorted(health) == sorted({
        "never-synced", "checks-only", "only-running", "first-sync-running", "paused", "stale", "check-blip",
        "checks-failing", "auth-expired", "auth-expiring", "outage", "recovered", "one-failure", "flapping",
        "future-trouble", "late-events",
    })
