"""The synthetic analyst snapshot: the published schema, determinism, counts, variety, consistency, hostile text."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from syncmon_pipeline.alerts.channels.message_json import message_from_json
from syncmon_pipeline.alerts.model import fingerprint_of, notification_id_for, stable_id
from syncmon_pipeline.reports.synthetic import SNAPSHOT_TABLES, write_synthetic_snapshot

END = datetime(2026, 11, 27, 23, 0)
SMALL = {"integrations": 6, "days": 3, "sessions": 2000, "end": END, "seed": 0}

# The analyst snapshot as publish_snapshot copies it (CREATE TABLE AS: no keys, no NOT NULL): the marts,
# anomaly scores and snapshot_info of the dbt build, alerts.* of syncmon_pipeline/alerts/sql and
# retention.* of syncmon_pipeline/retention/sql. Written out here so that the test needs no sample file.
EXPECTED_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "alerts.alerts": (
        ("alert_id", "VARCHAR"), ("fingerprint", "VARCHAR"), ("rule", "VARCHAR"), ("alert_type", "VARCHAR"),
        ("severity", "VARCHAR"), ("integration_id", "VARCHAR"), ("provider", "VARCHAR"), ("labels", "JSON"),
        ("status", "VARCHAR"), ("started_at", "TIMESTAMP"), ("pending_since", "TIMESTAMP"),
        ("fired_at", "TIMESTAMP"), ("acknowledged_at", "TIMESTAMP"), ("acknowledged_by", "VARCHAR"),
        ("resolved_at", "TIMESTAMP"), ("resolved_by", "VARCHAR"), ("last_observed_at", "TIMESTAMP"),
        ("value", "DOUBLE"), ("threshold", "DOUBLE"), ("summary", "VARCHAR"), ("evidence", "JSON"),
        ("escalated_at", "TIMESTAMP"), ("escalation_count", "INTEGER"), ("silenced_by", "VARCHAR"),
        ("inhibited_by", "VARCHAR"), ("updated_at", "TIMESTAMP"),
    ),
    "alerts.delivery_attempts": (
        ("notification_id", "VARCHAR"), ("attempt", "INTEGER"), ("channel", "VARCHAR"), ("target", "VARCHAR"),
        ("started_at", "TIMESTAMP"), ("finished_at", "TIMESTAMP"), ("outcome", "VARCHAR"),
        ("http_status", "INTEGER"), ("error", "VARCHAR"), ("next_retry_at", "TIMESTAMP"),
    ),
    "alerts.notifications": (
        ("notification_id", "VARCHAR"), ("channel", "VARCHAR"), ("target", "VARCHAR"), ("transition", "VARCHAR"),
        ("sequence", "INTEGER"), ("integration_id", "VARCHAR"), ("alert_ids", "VARCHAR[]"),
        ("fingerprints", "VARCHAR[]"), ("message", "JSON"), ("created_at", "TIMESTAMP"), ("queued_at", "TIMESTAMP"),
        ("status", "VARCHAR"), ("attempts", "INTEGER"), ("next_attempt_at", "TIMESTAMP"),
        ("delivered_at", "TIMESTAMP"), ("last_error", "VARCHAR"),
    ),
    "alerts.pipeline_failures": (
        ("run_id", "VARCHAR"), ("job_name", "VARCHAR"), ("failed_at", "TIMESTAMP"), ("message", "VARCHAR"),
        ("resolved_at", "TIMESTAMP"),
    ),
    "alerts.silences": (
        ("silence_id", "VARCHAR"), ("matchers", "JSON"), ("starts_at", "TIMESTAMP"), ("ends_at", "TIMESTAMP"),
        ("author", "VARCHAR"), ("comment", "VARCHAR"), ("created_at", "TIMESTAMP"), ("expired_at", "TIMESTAMP"),
    ),
    "anomaly.anomaly_scores": (
        ("integration_id", "VARCHAR"), ("metric", "VARCHAR"), ("bucket_start", "TIMESTAMP"), ("value", "DOUBLE"),
        ("expected", "DOUBLE"), ("lower_band", "DOUBLE"), ("upper_band", "DOUBLE"), ("score", "DOUBLE"),
        ("is_anomaly", "BOOLEAN"), ("direction", "VARCHAR"), ("method", "VARCHAR"), ("scored_at", "TIMESTAMP"),
    ),
    "anomaly.session_anomaly_scores": (
        ("integration_id", "VARCHAR"), ("session_id", "VARCHAR"), ("sync_type", "VARCHAR"), ("measure", "VARCHAR"),
        ("ended_at", "TIMESTAMP"), ("value", "DOUBLE"), ("expected", "DOUBLE"), ("lower_band", "DOUBLE"),
        ("upper_band", "DOUBLE"), ("score", "DOUBLE"), ("is_anomaly", "BOOLEAN"), ("direction", "VARCHAR"),
        ("alert_type", "VARCHAR"), ("history_days", "DOUBLE"),
        ("method", "VARCHAR"), ("scored_at", "TIMESTAMP"),
    ),
    "main.snapshot_info": (
        ("published_at", "TIMESTAMP"), ("tables", "VARCHAR[]"),
    ),
    "marts.dim_integrations": (
        ("integration_id", "VARCHAR"), ("provider", "VARCHAR"), ("first_seen_at", "TIMESTAMP"),
        ("last_seen_at", "TIMESTAMP"), ("usual_cadence_seconds", "DOUBLE"), ("entity_types", "VARCHAR[]"),
        ("sessions_total", "BIGINT"), ("scheduled_sessions", "BIGINT"), ("first_session_started_at", "TIMESTAMP"),
        ("last_session_started_at", "TIMESTAMP"), ("health_checks_total", "BIGINT"),
    ),
    "marts.fct_health_checks": (
        ("event_id", "UUID"), ("integration_id", "VARCHAR"), ("provider", "VARCHAR"), ("checked_at", "TIMESTAMP"),
        ("is_reachable", "BOOLEAN"), ("latency_ms", "DOUBLE"), ("auth_status", "VARCHAR"),
        ("rate_limit_remaining", "BIGINT"), ("message", "VARCHAR"), ("ingested_at", "TIMESTAMP"),
    ),
    "marts.fct_session_metrics": (
        ("event_id", "UUID"), ("session_id", "VARCHAR"), ("integration_id", "VARCHAR"), ("provider", "VARCHAR"),
        ("occurred_at", "TIMESTAMP"), ("api_calls", "BIGINT"), ("api_errors", "BIGINT"),
        ("api_latency_ms_avg", "DOUBLE"), ("api_latency_ms_p95", "DOUBLE"), ("throughput_rps", "DOUBLE"),
        ("cache_hits", "BIGINT"), ("cache_misses", "BIGINT"), ("cpu_pct", "DOUBLE"), ("memory_mb", "DOUBLE"),
        ("rate_limit_remaining", "BIGINT"), ("ingested_at", "TIMESTAMP"),
    ),
    "marts.fct_sync_conflicts": (
        ("event_id", "UUID"), ("session_id", "VARCHAR"), ("integration_id", "VARCHAR"), ("provider", "VARCHAR"),
        ("occurred_at", "TIMESTAMP"), ("entity_type", "VARCHAR"), ("entity_id", "VARCHAR"),
        ("field_name", "VARCHAR"), ("strategy", "VARCHAR"), ("is_resolved", "BOOLEAN"),
        ("ingested_at", "TIMESTAMP"),
    ),
    "marts.fct_sync_errors": (
        ("event_id", "UUID"), ("session_id", "VARCHAR"), ("integration_id", "VARCHAR"), ("provider", "VARCHAR"),
        ("occurred_at", "TIMESTAMP"), ("category", "VARCHAR"), ("severity", "VARCHAR"), ("error_code", "VARCHAR"),
        ("message", "VARCHAR"), ("entity_type", "VARCHAR"), ("entity_id", "VARCHAR"), ("is_retryable", "BOOLEAN"),
        ("retry_count", "BIGINT"), ("ingested_at", "TIMESTAMP"),
    ),
    "marts.fct_sync_sessions": (
        ("session_id", "VARCHAR"), ("integration_id", "VARCHAR"), ("provider", "VARCHAR"), ("sync_type", "VARCHAR"),
        ("direction", "VARCHAR"), ("triggered_by", "VARCHAR"), ("retry_of", "VARCHAR"),
        ("entity_types", "VARCHAR[]"), ("status", "VARCHAR"), ("status_stage", "VARCHAR"),
        ("status_reason", "VARCHAR"), ("is_terminal", "BOOLEAN"), ("outcome", "VARCHAR"),
        ("created_at", "TIMESTAMP"), ("started_at", "TIMESTAMP"), ("ended_at", "TIMESTAMP"),
        ("first_event_at", "TIMESTAMP"), ("last_event_at", "TIMESTAMP"), ("duration_seconds", "DOUBLE"),
        ("records_processed", "BIGINT"), ("records_created", "BIGINT"), ("records_updated", "BIGINT"),
        ("records_deleted", "BIGINT"), ("records_skipped", "BIGINT"), ("records_failed", "BIGINT"),
        ("error_count", "BIGINT"), ("warning_count", "BIGINT"), ("conflict_count", "BIGINT"),
        ("last_error_category", "VARCHAR"), ("last_error_message", "VARCHAR"), ("last_error_at", "TIMESTAMP"),
        ("last_ingested_at", "TIMESTAMP"),
    ),
    "marts.fct_sync_warnings": (
        ("event_id", "UUID"), ("session_id", "VARCHAR"), ("integration_id", "VARCHAR"), ("provider", "VARCHAR"),
        ("occurred_at", "TIMESTAMP"), ("warning_code", "VARCHAR"), ("message", "VARCHAR"),
        ("entity_type", "VARCHAR"), ("entity_id", "VARCHAR"), ("ingested_at", "TIMESTAMP"),
    ),
    "marts.mart_entity_metrics": (
        ("integration_id", "VARCHAR"), ("provider", "VARCHAR"), ("entity_type", "VARCHAR"),
        ("sessions_reporting", "BIGINT"), ("records_processed", "BIGINT"), ("records_created", "BIGINT"),
        ("records_updated", "BIGINT"), ("records_deleted", "BIGINT"), ("records_skipped", "BIGINT"),
        ("records_failed", "BIGINT"), ("records_failed_rate", "DOUBLE"), ("errors", "BIGINT"),
        ("validation_errors", "BIGINT"), ("conflicts", "BIGINT"), ("conflicts_unresolved", "BIGINT"),
        ("last_reported_at", "TIMESTAMP"), ("last_ingested_at", "TIMESTAMP"),
    ),
    "marts.mart_integration_health": (
        ("integration_id", "VARCHAR"), ("provider", "VARCHAR"), ("as_of", "TIMESTAMP"), ("status", "VARCHAR"),
        ("status_reason", "VARCHAR"), ("success_rate_24h", "DOUBLE"), ("success_rate_7d", "DOUBLE"),
        ("success_rate_30d", "DOUBLE"), ("availability_24h", "DOUBLE"), ("availability_7d", "DOUBLE"),
        ("availability_30d", "DOUBLE"), ("consecutive_failures", "BIGINT"),
        ("last_successful_sync_at", "TIMESTAMP"), ("sessions_ended_24h", "BIGINT"), ("sessions_started", "BIGINT"),
        ("last_session_started_at", "TIMESTAMP"), ("latest_session_status", "VARCHAR"),
        ("usual_cadence_seconds", "DOUBLE"), ("last_health_check_at", "TIMESTAMP"),
        ("last_health_check_reachable", "BOOLEAN"), ("latest_checks_unreachable", "BIGINT"),
        ("unreachable_checks_1h", "BIGINT"), ("last_auth_status", "VARCHAR"), ("last_auth_status_at", "TIMESTAMP"),
        ("open_error_categories", "VARCHAR[]"),
    ),
    "marts.mart_sync_timeseries_daily": (
        ("integration_id", "VARCHAR"), ("bucket_start", "TIMESTAMP"), ("bucket_end", "TIMESTAMP"),
        ("sessions_started", "BIGINT"), ("sessions_ended", "BIGINT"), ("sessions_completed", "BIGINT"),
        ("sessions_partially_completed", "BIGINT"), ("sessions_failed", "BIGINT"), ("sessions_cancelled", "BIGINT"),
        ("success_rate", "DOUBLE"), ("duration_seconds_avg", "DOUBLE"), ("duration_seconds_p95", "DOUBLE"),
        ("records_processed", "BIGINT"), ("records_failed", "BIGINT"), ("errors_network", "BIGINT"),
        ("errors_authentication", "BIGINT"), ("errors_rate_limit", "BIGINT"), ("errors_validation", "BIGINT"),
        ("errors_conflict", "BIGINT"), ("errors_system", "BIGINT"), ("errors_total", "BIGINT"),
        ("conflicts", "BIGINT"), ("conflicts_unresolved", "BIGINT"), ("api_calls", "BIGINT"),
        ("api_latency_ms_avg", "DOUBLE"), ("api_latency_ms_p95", "DOUBLE"), ("throughput_rps", "DOUBLE"),
        ("health_checks", "BIGINT"), ("health_checks_unreachable", "BIGINT"),
        ("health_check_latency_ms_avg", "DOUBLE"), ("last_ingested_at", "TIMESTAMP"),
    ),
    "marts.mart_sync_timeseries_hourly": (
        ("integration_id", "VARCHAR"), ("bucket_start", "TIMESTAMP"), ("bucket_end", "TIMESTAMP"),
        ("sessions_started", "BIGINT"), ("sessions_ended", "BIGINT"), ("sessions_completed", "BIGINT"),
        ("sessions_partially_completed", "BIGINT"), ("sessions_failed", "BIGINT"), ("sessions_cancelled", "BIGINT"),
        ("success_rate", "DOUBLE"), ("duration_seconds_avg", "DOUBLE"), ("duration_seconds_p95", "DOUBLE"),
        ("records_processed", "BIGINT"), ("records_failed", "BIGINT"), ("errors_network", "BIGINT"),
        ("errors_authentication", "BIGINT"), ("errors_rate_limit", "BIGINT"), ("errors_validation", "BIGINT"),
        ("errors_conflict", "BIGINT"), ("errors_system", "BIGINT"), ("errors_total", "BIGINT"),
        ("conflicts", "BIGINT"), ("conflicts_unresolved", "BIGINT"), ("api_calls", "BIGINT"),
        ("api_latency_ms_avg", "DOUBLE"), ("api_latency_ms_p95", "DOUBLE"), ("throughput_rps", "DOUBLE"),
        ("health_checks", "BIGINT"), ("health_checks_unreachable", "BIGINT"),
        ("health_check_latency_ms_avg", "DOUBLE"), ("last_ingested_at", "TIMESTAMP"),
    ),
    "retention.archives": (
        ("archive_id", "VARCHAR"), ("archived_at", "TIMESTAMP"), ("source_table", "VARCHAR"),
        ("cutoff", "TIMESTAMP"), ("path", "VARCHAR"), ("rows", "BIGINT"), ("first_occurred_at", "TIMESTAMP"),
        ("last_occurred_at", "TIMESTAMP"), ("bytes", "BIGINT"), ("sha256", "VARCHAR"),
    ),
    "retention.removed_reports": (
        ("removed_at", "TIMESTAMP"), ("report_type", "VARCHAR"), ("period_label", "VARCHAR"), ("path", "VARCHAR"),
        ("period_end", "TIMESTAMP"),
    ),
}


def _open(path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), read_only=True)


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    return con.execute(sql).fetchall()[0][0]


def _table_digests(path: Path) -> dict[str, str]:
    """Every table's rows, in physical order, as one md5 per table."""
    with _open(path) as con:
        return {
            name: _scalar(con, f"SELECT md5(string_agg(md5(t::VARCHAR), ',' ORDER BY rowid)) FROM {name} AS t")
            for name in SNAPSHOT_TABLES
        }


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    path = tmp_path_factory.mktemp("synthetic") / "analytics.duckdb"
    return path, write_synthetic_snapshot(path, **SMALL)


@pytest.fixture(scope="module")
def con(small: tuple[Path, dict[str, int]]):
    connection = _open(small[0])
    yield connection
    connection.close()


def test_every_published_table_with_the_published_columns(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "SELECT table_schema || '.' || table_name, column_name, data_type FROM information_schema.columns"
        " WHERE table_catalog = current_database() ORDER BY table_schema, table_name, ordinal_position"
    ).fetchall()
    actual: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        actual.setdefault(table, []).append((column, data_type))
    assert {table: tuple(columns) for table, columns in actual.items()} == EXPECTED_COLUMNS
    assert tuple(EXPECTED_COLUMNS) == SNAPSHOT_TABLES


def test_written_in_the_snapshot_storage_version(con: duckdb.DuckDBPyConnection) -> None:
    tags = _scalar(con, "SELECT tags FROM duckdb_databases() WHERE database_name = current_database()")
    assert tags["storage_version"].startswith("v1.4.0")


def test_snapshot_info_lists_the_published_tables(con: duckdb.DuckDBPyConnection) -> None:
    published_at, tables = con.execute("SELECT published_at, tables FROM main.snapshot_info").fetchall()[0]
    assert published_at == END
    assert tables == [t for t in SNAPSHOT_TABLES if t != "main.snapshot_info"]


def test_counts(small: tuple[Path, dict[str, int]], con: duckdb.DuckDBPyConnection) -> None:
    _, counts = small
    assert set(counts) == set(SNAPSHOT_TABLES)
    for name, rows in counts.items():
        assert _scalar(con, f"SELECT count(*) FROM {name}") == rows, name
    assert counts["marts.fct_sync_sessions"] == SMALL["sessions"]
    assert counts["marts.fct_session_metrics"] == SMALL["sessions"]
    assert counts["marts.dim_integrations"] == SMALL["integrations"]
    assert counts["marts.mart_integration_health"] == SMALL["integrations"]
    assert counts["marts.fct_health_checks"] == SMALL["integrations"] * SMALL["days"] * 96
    assert counts["main.snapshot_info"] == 1
    assert min(counts.values()) > 0


def test_same_arguments_same_file_contents(small: tuple[Path, dict[str, int]], tmp_path: Path) -> None:
    again = tmp_path / "again.duckdb"
    write_synthetic_snapshot(again, **SMALL)
    assert _table_digests(again) == _table_digests(small[0])


def test_another_seed_other_data(small: tuple[Path, dict[str, int]], tmp_path: Path) -> None:
    other = tmp_path / "other.duckdb"
    counts = write_synthetic_snapshot(other, **{**SMALL, "seed": 1})
    assert counts["marts.fct_sync_sessions"] == SMALL["sessions"]
    before, after = _table_digests(small[0]), _table_digests(other)
    assert before["marts.fct_sync_sessions"] != after["marts.fct_sync_sessions"]
    assert before["marts.fct_sync_errors"] != after["marts.fct_sync_errors"]


def test_an_existing_file_is_not_overwritten(small: tuple[Path, dict[str, int]]) -> None:
    with pytest.raises(FileExistsError):
        write_synthetic_snapshot(small[0], **SMALL)


def test_aware_end_is_taken_as_utc(tmp_path: Path) -> None:
    path = tmp_path / "aware.duckdb"
    write_synthetic_snapshot(path, integrations=1, days=1, sessions=10, end=END.replace(tzinfo=UTC))
    with _open(path) as con:
        assert _scalar(con, "SELECT published_at FROM main.snapshot_info") == END
        assert _scalar(con, "SELECT count(*) FROM marts.fct_sync_sessions") == 10


def _values(con: duckdb.DuckDBPyConnection, sql: str) -> set[object]:
    return {row[0] for row in con.execute(sql).fetchall()}


def test_the_vocabulary_is_covered(con: duckdb.DuckDBPyConnection) -> None:
    assert _values(con, "SELECT status FROM marts.fct_sync_sessions") == {
        "completed", "completed_with_warnings", "partially_completed", "failed", "cancelled", "timed_out", "running",
    }  # fmt: skip
    assert _values(con, "SELECT category FROM marts.fct_sync_errors") == {
        "network", "authentication", "rate_limit", "validation", "conflict", "system",
    }  # fmt: skip
    assert _values(con, "SELECT severity FROM marts.fct_sync_errors") == {"low", "medium", "high"}
    assert _values(con, "SELECT strategy FROM marts.fct_sync_conflicts") == {
        "source_wins", "target_wins", "merge", "manual",
    }  # fmt: skip
    assert _values(con, "SELECT is_resolved FROM marts.fct_sync_conflicts") == {True, False}
    assert _values(con, "SELECT status FROM marts.mart_integration_health") == {"healthy", "degraded", "down", "stale"}
    assert _values(con, "SELECT alert_type FROM alerts.alerts WHERE integration_id NOT LIKE 'pipeline:%'") == {
        "sync_failure", "performance_degradation", "high_error_rate", "integration_down", "data_quality_issue",
        "conflict_spike", "resource_exhaustion", "authentication_failure", "rate_limit_exceeded", "timeout_threshold",
    }  # fmt: skip
    assert _values(con, "SELECT severity FROM alerts.alerts") == {"info", "warning", "error", "critical"}
    assert {"firing", "acknowledged", "resolved"} <= _values(con, "SELECT status FROM alerts.alerts")
    assert _scalar(con, "SELECT bool_and(acknowledged_by IS NOT NULL) FROM alerts.alerts WHERE status = 'acknowledged'")
    assert _values(con, "SELECT status FROM alerts.notifications") == {"delivered", "failed"}
    assert _scalar(con, "SELECT count(*) FROM retention.archives") >= 2
    assert _values(con, "SELECT DISTINCT provider FROM marts.dim_integrations") == {
        "powerschool", "canvas", "clever", "workday", "bamboohr", "netsuite",
    }  # fmt: skip (6 integrations: the first six providers)


def test_messages_are_redacted_like_ingest_leaves_them(con: duckdb.DuckDBPyConnection) -> None:
    assert _scalar(con, "SELECT count(*) FROM marts.fct_sync_errors WHERE contains(message, 'token=[REDACTED]')") > 0
    assert _scalar(con, "SELECT count(*) FROM marts.fct_sync_errors WHERE contains(message, '[REDACTED_EMAIL]')") > 0
    unredacted = "SELECT count(*) FROM marts.fct_sync_errors WHERE regexp_matches(message, '[a-z]+@[a-z]+\\.')"
    assert _scalar(con, unredacted) == 0


def test_integration_names(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute("SELECT integration_id, provider FROM marts.dim_integrations").fetchall()
    for integration_id, provider in rows:
        assert integration_id.startswith(provider + "-")
        unit, number = integration_id.removeprefix(provider + "-").split("-")
        assert unit.isalpha() and number.isdigit()


# Each query counts rows that break one rule; all must be 0.
CONSISTENCY = {
    "error_count": "SELECT count(*) FROM marts.fct_sync_sessions s LEFT JOIN (SELECT session_id, count(*) n FROM"
                   " marts.fct_sync_errors GROUP BY 1) e USING (session_id) WHERE s.error_count <> coalesce(e.n, 0)",
    "warning_count": "SELECT count(*) FROM marts.fct_sync_sessions s LEFT JOIN (SELECT session_id, count(*) n FROM"
                     " marts.fct_sync_warnings GROUP BY 1) w USING (session_id)"
                     " WHERE s.warning_count <> coalesce(w.n, 0)",
    "conflict_count": "SELECT count(*) FROM marts.fct_sync_sessions s LEFT JOIN (SELECT session_id, count(*) n FROM"
                      " marts.fct_sync_conflicts GROUP BY 1) c USING (session_id)"
                      " WHERE s.conflict_count <> coalesce(c.n, 0)",
    "last_error": "SELECT count(*) FROM marts.fct_sync_sessions s JOIN (SELECT session_id, arg_max(message,"
                  " (occurred_at, event_id)) m FROM marts.fct_sync_errors GROUP BY 1) e USING (session_id)"
                  " WHERE s.last_error_message <> e.m",
    "one_metrics_report_per_session": "SELECT count(*) FROM marts.fct_sync_sessions s FULL JOIN"
                                      " marts.fct_session_metrics m USING (session_id)"
                                      " WHERE s.session_id IS NULL OR m.session_id IS NULL",
    "records_add_up": "SELECT count(*) FROM marts.fct_sync_sessions WHERE records_processed <> records_created"
                      " + records_updated + records_deleted + records_skipped + records_failed",
    "terminal": "SELECT count(*) FROM marts.fct_sync_sessions WHERE is_terminal <> (ended_at IS NOT NULL)"
                " OR is_terminal <> (outcome IS NOT NULL) OR is_terminal <> (duration_seconds IS NOT NULL)",
    "before_end": "SELECT count(*) FROM marts.fct_sync_sessions WHERE greatest(ended_at, last_event_at,"
                  " last_ingested_at) > (SELECT published_at FROM main.snapshot_info)",
    "events_within_session": "SELECT count(*) FROM marts.fct_sync_errors e JOIN marts.fct_sync_sessions s"
                             " USING (session_id) WHERE e.occurred_at NOT BETWEEN s.started_at AND s.last_event_at",
    "retries_follow_failures": "SELECT count(*) FROM marts.fct_sync_sessions r LEFT JOIN marts.fct_sync_sessions p"
                               " ON p.session_id = r.retry_of WHERE r.retry_of IS NOT NULL AND (p.outcome IS"
                               " DISTINCT FROM 'failed' OR p.ended_at > r.started_at)",
    "failed_sessions_have_errors": "SELECT count(*) FROM marts.fct_sync_sessions WHERE status = 'failed'"
                                   " AND error_count = 0",
    "hourly_sessions": "SELECT (SELECT count(*) FROM marts.fct_sync_sessions) - (SELECT sum(sessions_started)"
                       " FROM marts.mart_sync_timeseries_hourly WHERE integration_id = '__all__')",
    "hourly_fleet_is_the_sum": "SELECT count(*) FROM marts.mart_sync_timeseries_hourly f JOIN (SELECT bucket_start,"
                               " sum(errors_total) e, sum(records_processed) r, sum(health_checks) h FROM"
                               " marts.mart_sync_timeseries_hourly WHERE integration_id <> '__all__' GROUP BY 1)"
                               " s USING (bucket_start) WHERE f.integration_id = '__all__'"
                               " AND (f.errors_total <> s.e OR f.records_processed <> s.r OR f.health_checks <> s.h)",
    "daily_matches_hourly": "SELECT count(*) FROM (SELECT integration_id, date_trunc('day', bucket_start) AS"
                            " bucket_start, sum(sessions_ended) n, sum(errors_total) e FROM"
                            " marts.mart_sync_timeseries_hourly GROUP BY ALL) h FULL JOIN"
                            " marts.mart_sync_timeseries_daily d USING (integration_id, bucket_start)"
                            " WHERE h.n IS DISTINCT FROM d.sessions_ended OR h.e IS DISTINCT FROM d.errors_total",
    "entity_records": "SELECT (SELECT sum(records_processed) FROM marts.fct_sync_sessions) - (SELECT"
                      " sum(records_processed) FROM marts.mart_entity_metrics WHERE integration_id = '__all__')",
    "dim_sessions_total": "SELECT count(*) FROM marts.dim_integrations d LEFT JOIN (SELECT integration_id, count(*)"
                          " n FROM marts.fct_sync_sessions GROUP BY 1) s USING (integration_id)"
                          " WHERE d.sessions_total <> coalesce(s.n, 0)",
    "delivery_attempts": "SELECT count(*) FROM alerts.notifications n LEFT JOIN (SELECT notification_id, count(*) k"
                         " FROM alerts.delivery_attempts GROUP BY 1) a USING (notification_id)"
                         " WHERE a.k IS DISTINCT FROM n.attempts",
    "notified_alerts_exist": "SELECT count(*) FROM alerts.notifications n LEFT JOIN alerts.alerts a"
                             " ON a.alert_id = n.alert_ids[1] WHERE a.alert_id IS NULL",
}  # fmt: skip


@pytest.mark.parametrize("rule", sorted(CONSISTENCY))
def test_internally_consistent(con: duckdb.DuckDBPyConnection, rule: str) -> None:
    assert _scalar(con, CONSISTENCY[rule]) == 0


def test_still_running_sessions_in_the_last_hour(con: duckdb.DuckDBPyConnection) -> None:
    assert _scalar(
        con,
        "SELECT count(*) FROM marts.fct_sync_sessions WHERE NOT is_terminal AND ended_at IS NULL"
        " AND started_at > (SELECT published_at FROM main.snapshot_info) - INTERVAL 1 HOUR",
    ) > 0


def test_alert_ids_follow_the_alert_model(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute("SELECT alert_id, fingerprint, rule, integration_id, started_at FROM alerts.alerts").fetchall()
    for alert_id, fingerprint, rule, integration_id, started_at in rows:
        assert fingerprint == fingerprint_of(rule, integration_id, {})
        assert alert_id == stable_id(fingerprint, started_at.replace(tzinfo=UTC))
    notifications = con.execute(
        "SELECT notification_id, alert_ids, transition, sequence, channel, target, message FROM alerts.notifications"
    ).fetchall()
    for notification_id, alert_ids, transition, sequence, channel, target, message in notifications:
        assert notification_id == notification_id_for(tuple(alert_ids), transition, sequence, channel, target)
        parsed = message_from_json(message)
        assert parsed.transition == transition and parsed.alerts[0].alert_id == alert_ids[0]
    for (evidence,) in con.execute("SELECT evidence FROM alerts.alerts").fetchall():
        assert "figures" in json.loads(evidence)


HOSTILE = {
    "error message": "SELECT count(*) FROM marts.fct_sync_errors"
                     " WHERE message = '<script>alert(\"x\")</script> failed'",
    "last error": "SELECT count(*) FROM marts.fct_sync_sessions WHERE starts_with(last_error_message, '<script>')",
    "error entity": "SELECT count(*) FROM marts.fct_sync_errors"
                    " WHERE starts_with(entity_id, '=HYPERLINK(\"http://evil\")')",
    "health reason": "SELECT count(*) FROM marts.mart_integration_health"
                     " WHERE starts_with(status_reason, '=HYPERLINK(\"http://evil\"')",
    "conflict entity": "SELECT count(*) FROM marts.fct_sync_conflicts WHERE starts_with(entity_id, '+1')",
    "warning entity": "SELECT count(*) FROM marts.fct_sync_warnings WHERE starts_with(entity_id, '@SUM(A1)')",
    "session reason": "SELECT count(*) FROM marts.fct_sync_sessions WHERE starts_with(status_reason, '@SUM(A1)')",
}  # fmt: skip


def test_hostile_text_only_when_asked(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    assert {name: _scalar(con, sql) for name, sql in HOSTILE.items()} == dict.fromkeys(HOSTILE, 0)
    path = tmp_path / "hostile.duckdb"
    write_synthetic_snapshot(path, **SMALL, hostile=True)
    with _open(path) as hostile:
        assert {name: _scalar(hostile, sql) for name, sql in HOSTILE.items()} == dict.fromkeys(HOSTILE, 1)
        assert _scalar(hostile, CONSISTENCY["last_error"]) == 0


def test_arguments_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="integrations"):
        write_synthetic_snapshot(tmp_path / "x.duckdb", integrations=0, days=1, sessions=1, end=END)
    with pytest.raises(ValueError, match="days"):
        write_synthetic_snapshot(tmp_path / "x.duckdb", integrations=1, days=0, sessions=1, end=END)
    assert not (tmp_path / "x.duckdb").exists()
