"""The Dagster shell of the command inbox: the alert job applies commands and republishes the alerts snapshot,
alert_sensor wakes up for them, report_request_sensor turns report requests into runs, report assets answer.

Runs go to a real (temporary) instance; the warehouse and the snapshots are real DuckDB files. The alerts
snapshot (alert_state.duckdb) opens as the catalog `alert_state` holding the schema `alerts`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import dagster as dg
import duckdb
import pytest

from syncmon_pipeline.alerts.changefeed import feed_file
from syncmon_pipeline.commands import inbox
from syncmon_pipeline.defs.report_requests import COMMAND_TAG

from conftest import isolated_home
from report_support import DAY, SNAPSHOT_END
from syncmon_pipeline.reports.synthetic import write_synthetic_snapshot

FAILED_RUN = {"ops": {"evaluate_alerts_op": {"config": {
    "failed_run_id": "run-1", "failed_job_name": "ingest_job", "failed_at": "", "failure_message": "boom"}}}}


def now() -> datetime:
    return datetime.now(UTC)


def feed_kinds(home) -> list[str]:
    path = feed_file(home.changefeed)
    return [json.loads(line)["kind"] for line in path.read_text().splitlines()] if path.exists() else []


def test_the_alert_job_applies_a_command_and_republishes_the_alerts_snapshot(home):
    from syncmon_pipeline.definitions import defs

    job = defs.get_job_def("alert_evaluation_job")
    with dg.instance_for_test() as instance:
        assert job.execute_in_process(instance=instance, run_config=FAILED_RUN).success  # a pipeline alert fires
        with duckdb.connect(str(home.alerts_snapshot), read_only=True) as snapshot:
            ((alert_id, status),) = snapshot.execute(
                "SELECT alert_id, status FROM alerts.alerts WHERE integration_id = 'pipeline:ingest_job'"
            ).fetchall()
            tables = {r[0] for r in snapshot.execute(
                "SELECT table_schema || '.' || table_name FROM information_schema.tables").fetchall()}  # fmt: skip
        assert status == "firing"
        assert {"alerts.alerts", "alerts.notifications", "alerts.applied_commands", "main.snapshot_info"} <= tables
        assert "alerts.engine_state" not in tables and not any(t.startswith("marts.") for t in tables)
        assert feed_kinds(home) == ["alert_firing"]

        command = inbox.submit(home.commands, kind="acknowledge_alert", args={"alert_id": alert_id}, actor="api-ops",
                               now=now())  # fmt: skip
        held_open = duckdb.connect(str(home.alerts_snapshot), read_only=True)  # an API reader holding it open
        result = job.execute_in_process(instance=instance)
        assert result.success
        output = next(e for e in result.all_node_events
                      if e.event_type_value == "STEP_OUTPUT" and e.step_key == "evaluate_alerts_op")  # fmt: skip
        figures = output.step_output_data.metadata
        assert figures["commands_applied"].value == 1 and figures["commands_rejected"].value == 0
        assert figures["alerts_snapshot_seconds"].value < 10
    assert held_open.execute("SELECT status FROM alerts.alerts WHERE alert_id = ?", [alert_id]).fetchone() == (
        "firing",)  # fmt: skip
    held_open.close()
    with duckdb.connect(str(home.alerts_snapshot), read_only=True) as snapshot:
        assert snapshot.execute("SELECT status, acknowledged_by FROM alerts.alerts WHERE alert_id = ?",
                                [alert_id]).fetchone() == ("acknowledged", "api-ops")  # fmt: skip
        assert snapshot.execute("SELECT command_id, status FROM alerts.applied_commands").fetchall() == [
            (command.command_id, "applied")]  # fmt: skip
    done = inbox.command_status(home.commands, command.command_id)
    assert done["status"] == "applied" and done["result"] == {"alert_id": alert_id, "status": "acknowledged"}
    assert feed_kinds(home) == ["alert_firing", "command_applied", "alert_acknowledged"]


def test_the_alert_sensor_launches_for_a_pending_command_first(home):
    from syncmon_pipeline.defs.alerts import alert_sensor

    recent = json.dumps({"storage_ids": {}, "last_launch": now().timestamp()})
    with dg.instance_for_test() as instance:
        assert isinstance(alert_sensor(dg.build_sensor_context(instance=instance, cursor=recent)), dg.SkipReason)
        inbox.submit(home.commands, kind="generate_report", actor="ada", now=now(),
                     args={"report_type": "usage", "granularity": "daily", "period_key": DAY})  # fmt: skip
        assert isinstance(alert_sensor(dg.build_sensor_context(instance=instance, cursor=recent)), dg.SkipReason), \
            "a report request is not the alert job's business"  # fmt: skip
        inbox.submit(home.commands, kind="resolve_alert", args={"alert_id": "abc"}, actor="ada", now=now())
        instance.report_runless_asset_event(dg.AssetMaterialization(dg.AssetKey(["marts", "fct_sync_sessions"])))
        request = alert_sensor(dg.build_sensor_context(instance=instance, cursor=recent))
        assert isinstance(request, dg.RunRequest) and request.tags["syncmon/trigger"] == "pending command"
    assert not home.warehouse.exists(), "the sensor never opens the warehouse"


def _period_command(home, **args):
    return inbox.submit(home.commands, kind="generate_report", actor="ada", now=now(),
                        args={"report_type": "usage", "granularity": "daily", "period_key": DAY, **args})  # fmt: skip


def test_the_report_request_sensor_launches_a_run_per_command_and_rejects_the_impossible(home):
    from syncmon_pipeline.defs.report_requests import report_request_sensor

    daily = _period_command(home)
    tuesday = _period_command(home, granularity="weekly", period_key="2026-11-17")
    future = _period_command(home, period_key="2099-01-01")
    custom = inbox.submit(home.commands, kind="generate_report", actor="ada", now=now(), args={
        "report_type": "custom", "start": "2026-11-14T00:00:00+00:00", "end": "2026-11-21T00:00:00+00:00",
        "integrations": ["canvas-district-3"], "sections": ["performance.durations"], "name": "canvas"})  # fmt: skip
    with dg.instance_for_test() as instance:
        result = report_request_sensor(dg.build_sensor_context(instance=instance))
    by_key = {r.run_key: r for r in result.run_requests}
    assert set(by_key) == {daily.command_id, custom.command_id}
    period = by_key[daily.command_id]
    assert (period.asset_selection, period.partition_key) == ([dg.AssetKey(["reports", "usage_daily"])], DAY)
    assert period.run_config["ops"]["reports__usage_daily"]["config"]["command_id"] == daily.command_id
    assert period.tags[COMMAND_TAG] == daily.command_id
    config = by_key[custom.command_id].run_config["ops"]["reports__custom_report"]["config"]
    assert config["integrations"] == ["canvas-district-3"] and config["command_id"] == custom.command_id
    for rejected, reason in ((tuesday, "Monday"), (future, "no daily period 2099-01-01")):
        done = inbox.command_status(home.commands, rejected.command_id)
        assert done["status"] == "rejected" and reason in done["reason"], done
    assert feed_kinds(home) == ["command_rejected", "command_rejected"]
    assert inbox.command_status(home.commands, daily.command_id)["status"] == "queued", "its run will answer"


def test_a_report_run_that_failed_before_answering_is_answered_by_the_sensor(home):
    from syncmon_pipeline.definitions import defs
    from syncmon_pipeline.defs.report_requests import report_request_sensor

    command = _period_command(home)
    with dg.instance_for_test() as instance:
        failed = dg.materialize([defs.resolve_assets_def(dg.AssetKey(["reports", "usage_daily"]))], instance=instance,
                                partition_key=DAY, tags={COMMAND_TAG: command.command_id}, raise_on_error=False)
        assert not failed.success  # no snapshot yet, and launched without the command in its config
        assert isinstance(report_request_sensor(dg.build_sensor_context(instance=instance)), dg.SkipReason)
    done = inbox.command_status(home.commands, command.command_id)
    assert done["status"] == "rejected" and failed.run_id in done["reason"] and "failure" in done["reason"]


@pytest.fixture(scope="module")
def reports_home(tmp_path_factory):
    root = tmp_path_factory.mktemp("report_commands")
    (root / "syncmon.yaml").write_text("reports:\n  pdf: false\n  chart_images: false\n")
    with isolated_home(root) as paths:
        write_synthetic_snapshot(paths.analytics_snapshot, integrations=3, days=10, sessions=300, end=SNAPSHOT_END,
                                 seed=5)  # fmt: skip
        from syncmon_pipeline.definitions import defs

        with dg.DagsterInstance.ephemeral() as instance:
            yield paths, defs, instance


def test_a_report_run_answers_its_command_with_the_report_id(reports_home):
    from syncmon_pipeline.defs.report_requests import report_run_request

    paths, defs, instance = reports_home
    command = _period_command(paths)
    request = report_run_request(command, timezone="UTC")
    result = dg.materialize([defs.resolve_assets_def(request.asset_selection[0])], instance=instance,
                            partition_key=request.partition_key, run_config=request.run_config, tags=request.tags)
    assert result.success
    done = inbox.command_status(paths.commands, command.command_id)
    folder = paths.reports / "usage" / f"daily-{DAY}"
    assert done["status"] == "applied" and done["result"] == {"report_id": f"usage/daily-{DAY}", "folder": str(folder)}
    assert (folder / "report.html").exists()


def test_a_custom_report_with_an_unknown_section_is_rejected_and_the_run_fails(reports_home):
    from syncmon_pipeline.defs.report_requests import report_run_request

    paths, defs, instance = reports_home
    command = inbox.submit(paths.commands, kind="generate_report", actor="ada", now=now(),
                           args={"report_type": "custom", "sections": ["performance.nonsense"]})  # fmt: skip
    request = report_run_request(command, timezone="UTC")
    result = dg.materialize([defs.resolve_assets_def(dg.AssetKey(["reports", "custom_report"]))], instance=instance,
                            run_config=request.run_config, raise_on_error=False)  # fmt: skip
    assert not result.success
    done = inbox.command_status(paths.commands, command.command_id)
    assert done["status"] == "rejected" and "performance.nonsense" in done["reason"]
