"""The Dagster shell and the CLI of alerting: run-once writes the outbox, sensors, management jobs, `syncmon alerts`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email import message_from_bytes

import dagster as dg
import duckdb
import pytest

from syncmon_pipeline.alerts.wakeup import write_wakeup
from syncmon_pipeline.cli import main as syncmon
from syncmon_pipeline.recorder import SessionRecorder

from conftest import isolated_home

FAILING = "powerschool-district-404"


def failing_sessions(landing, integration_id: str, count: int, end: datetime) -> None:
    with SessionRecorder(landing, integration_id, "powerschool") as recorder:
        for i in range(count):
            at = end - timedelta(minutes=10 * (count - i))
            sid = recorder.create_session("incremental", "inbound", entity_types=["students"], at=at)
            recorder.start(sid, "fetch", at=at + timedelta(seconds=1))
            recorder.error(sid, "system", "upstream returned 503 for password=hunter2", severity="high",
                           at=at + timedelta(seconds=20))  # fmt: skip
            recorder.fail(sid, "upstream returned 503", "fetch", at=at + timedelta(seconds=30))


def healthy_sessions(landing, integration_id: str, count: int, end: datetime) -> None:
    with SessionRecorder(landing, integration_id, "clever") as recorder:
        for i in range(count):
            at = end - timedelta(minutes=10 * (count - i))
            sid = recorder.create_session("incremental", "inbound", entity_types=["students"], at=at)
            recorder.start(sid, "fetch", at=at + timedelta(seconds=1))
            recorder.progress(sid, records_processed=100, records_created=5, at=at + timedelta(seconds=10))
            recorder.complete(sid, at=at + timedelta(seconds=30))


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    """run-once over one failing and one healthy integration, with sessions ending just now."""
    root = tmp_path_factory.mktemp("alert_shell")
    with isolated_home(root) as paths:
        now = datetime.now(UTC)
        failing_sessions(paths.landing, FAILING, 3, now - timedelta(minutes=1))
        healthy_sessions(paths.landing, "clever-district-1", 3, now - timedelta(minutes=1))
        from syncmon_pipeline.runner import run_once

        summary = run_once(reports=False)
        yield paths, summary


def cli_json(capsys, *argv: str):
    capsys.readouterr()
    assert syncmon(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_run_once_evaluates_alerts_and_writes_the_outbox(pipeline):
    paths, summary = pipeline
    assert summary.success and summary.alerts_success
    assert dict(summary.alerts_by_status).get("firing", 0) >= 1
    assert "alerts evaluated" in summary.render()
    messages = [message_from_bytes(p.read_bytes()) for p in sorted(paths.outbox.glob("*.eml"))]
    assert messages, "the default route e-mails a placeholder operator: the outbox fills"
    firing = [m for m in messages if FAILING in str(m["Subject"]) and "FIRING" in str(m["Subject"])]
    assert firing and all(m["To"] == "operator@syncmon.example" for m in firing)
    raw = b"".join(p.read_bytes() for p in paths.outbox.glob("*.eml"))
    assert b"hunter2" not in raw
    assert not any("clever-district-1" in str(m["Subject"]) for m in messages)


def test_alerts_list_json_has_the_documented_fields(pipeline, capsys):
    alerts = cli_json(capsys, "alerts", "list", "--format", "json")
    mine = [a for a in alerts if a["integration_id"] == FAILING and a["type"] == "sync_failure"]
    assert len(mine) == 1
    for field in ("id", "type", "severity", "integration_id", "state", "fired_at", "resolved_at"):
        assert field in mine[0]
    assert mine[0]["state"] == "firing" and mine[0]["resolved_at"] is None
    assert mine[0]["evidence"]["session_ids"], "the alert keeps the sessions that made it fire"


def test_show_ack_resolve_and_silence_from_the_cli(pipeline, capsys):
    paths, _ = pipeline
    (alert,) = [a for a in cli_json(capsys, "alerts", "list", "--format", "json", "--integration", FAILING)
                if a["type"] == "sync_failure"]  # fmt: skip
    shown = cli_json(capsys, "alerts", "show", alert["id"][:10], "--format", "json")
    assert shown["id"] == alert["id"] and shown["notifications"]
    assert {n["channel"] for n in shown["notifications"]} == {"email"}

    assert syncmon(["alerts", "ack", alert["id"], "--by", "ada"]) == 0
    acked = cli_json(capsys, "alerts", "show", alert["id"], "--format", "json")
    assert acked["state"] == "acknowledged" and acked["acknowledged_by"] == "ada"

    assert syncmon(["alerts", "silence", "--match", f"integration_id={FAILING}", "--duration", "2h",
                    "--author", "ada", "--comment", "vendor maintenance"]) == 0  # fmt: skip
    (silence,) = cli_json(capsys, "alerts", "silences", "--format", "json")
    assert json.loads(silence["matchers"]) == {"integration_id": FAILING} and silence["author"] == "ada"
    assert syncmon(["alerts", "unsilence", silence["silence_id"]]) == 0
    assert cli_json(capsys, "alerts", "silences", "--format", "json") == []

    assert syncmon(["alerts", "resolve", alert["id"], "--by", "ada"]) == 0
    resolved = cli_json(capsys, "alerts", "show", alert["id"], "--format", "json")
    assert resolved["state"] == "resolved" and resolved["resolved_at"]
    subjects = [str(message_from_bytes(p.read_bytes())["Subject"]) for p in paths.outbox.glob("*.eml")]
    assert any("RESOLVED" in s and FAILING in s for s in subjects), "resolving by hand sends the resolved notice"


def test_cli_errors_are_clear(pipeline, capsys):
    capsys.readouterr()
    assert syncmon(["alerts", "ack", "no-such-alert"]) == 2
    assert "no alert with id 'no-such-alert'" in capsys.readouterr().err


def test_the_alert_sensor_launches_on_fresh_facts_when_due_and_every_minute(home):
    from syncmon_pipeline.defs.alerts import alert_sensor, wakeup_file

    with dg.instance_for_test() as instance:
        first = alert_sensor(dg.build_sensor_context(instance=instance))
        assert isinstance(first, dg.RunRequest) and first.tags["syncmon/trigger"] == "periodic"
        cursor = json.dumps({"storage_ids": {}, "last_launch": datetime.now(UTC).timestamp()})
        assert isinstance(alert_sensor(dg.build_sensor_context(instance=instance, cursor=cursor)), dg.SkipReason)

        instance.report_runless_asset_event(dg.AssetMaterialization(dg.AssetKey(["marts", "fct_sync_sessions"])))
        fresh = alert_sensor(dg.build_sensor_context(instance=instance, cursor=cursor))
        assert isinstance(fresh, dg.RunRequest) and fresh.tags["syncmon/trigger"] == "fresh facts"

        context = dg.build_sensor_context(instance=instance, cursor=cursor)
        alert_sensor(context)
        write_wakeup(wakeup_file(), datetime.now(UTC) - timedelta(seconds=1))
        due = alert_sensor(dg.build_sensor_context(instance=instance, cursor=context.cursor))
        assert isinstance(due, dg.RunRequest) and due.tags["syncmon/trigger"] == "timed transition due"

        stale = json.dumps({**json.loads(context.cursor), "last_launch": datetime.now(UTC).timestamp() - 61})
        write_wakeup(wakeup_file(), None)
        periodic = alert_sensor(dg.build_sensor_context(instance=instance, cursor=stale))
        assert isinstance(periodic, dg.RunRequest) and periodic.tags["syncmon/trigger"] == "periodic"


def test_a_failed_pipeline_run_becomes_an_alert_until_the_job_succeeds(home):
    from syncmon_pipeline.definitions import defs
    from syncmon_pipeline.defs.alerts import pipeline_failure_sensor

    home.warehouse.parent.rmdir()
    home.warehouse.parent.write_text("not a directory")  # the ingest run cannot open the warehouse
    with dg.instance_for_test() as instance:
        (home.landing / "x.ndjson").write_text("{}\n")
        failed = defs.resolve_job_def("ingest_job").execute_in_process(
            instance=instance, raise_on_error=False,
            run_config={"ops": {"raw_events": {"config": {"files": ["x.ndjson"]}}}},
        )  # fmt: skip
        assert not failed.success
        failure_event = next(e for e in failed.all_events if e.event_type_value == "PIPELINE_FAILURE")
        context = dg.build_run_status_sensor_context(
            sensor_name=pipeline_failure_sensor.name, dagster_instance=instance,
            dagster_run=failed.dagster_run, dagster_event=failure_event,
        ).for_run_failure()  # fmt: skip
        request = pipeline_failure_sensor(context)
        assert isinstance(request, dg.RunRequest)
        config = request.run_config["ops"]["evaluate_alerts_op"]["config"]
        assert config["failed_run_id"] == failed.run_id and config["failed_job_name"] == "ingest_job"

        home.warehouse.parent.unlink()
        home.ensure()
        alert_run = defs.get_job_def("alert_evaluation_job").execute_in_process(
            instance=instance, run_config=request.run_config
        )
        assert alert_run.success
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        rows = con.execute(
            "SELECT alert_type, integration_id, status FROM alerts.alerts WHERE provider = 'syncmon'"
        ).fetchall()
    assert rows == [("sync_failure", "pipeline:ingest_job", "firing")]


def test_management_jobs_take_config_from_the_launchpad(home):
    from syncmon_pipeline.definitions import defs

    with dg.instance_for_test() as instance:
        silenced = defs.get_job_def("silence_alerts_job").execute_in_process(
            instance=instance,
            run_config={"ops": {"silence_alerts_op": {"config": {
                "matchers": {"alert_type": "~sync_.*"}, "duration_minutes": 30, "author": "ui", "comment": "t"}}}},
        )  # fmt: skip
        assert silenced.success
        with duckdb.connect(str(home.warehouse), read_only=True) as con:
            ((silence_id, author),) = con.execute("SELECT silence_id, author FROM alerts.silences").fetchall()
        assert author == "ui"
        unsilenced = defs.get_job_def("unsilence_alerts_job").execute_in_process(
            instance=instance, run_config={"ops": {"unsilence_alerts_op": {"config": {"silence_id": silence_id}}}}
        )
        assert unsilenced.success
        unknown = defs.get_job_def("acknowledge_alert_job").execute_in_process(
            instance=instance, raise_on_error=False,
            run_config={"ops": {"acknowledge_alert_op": {"config": {"alert_id": "nope", "by": "ui"}}}},
        )  # fmt: skip
        assert not unknown.success
        assert "no alert with id 'nope'" in str(unknown.failure_data_for_node("acknowledge_alert_op").error)
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        assert con.execute("SELECT expired_at IS NOT NULL FROM alerts.silences").fetchall() == [(True,)]


def test_backtest_from_the_cli_replays_without_sending(pipeline, capsys):
    paths, _ = pipeline
    outbox_before = sorted(paths.outbox.glob("*.eml"))
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        ledger_before = con.execute("SELECT count(*) FROM alerts.notifications").fetchone()[0]
    report = cli_json(capsys, "alerts", "backtest", "--since", "2h", "--step", "5m", "--rule", "sync_failure",
                      "--format", "json")  # fmt: skip
    fired = [a for a in report["alerts"] if a["integration_id"] == FAILING]
    assert fired and fired[0]["rule"] == "sync_failure" and fired[0]["notifications"] >= 1
    assert report["rules"] == ["sync_failure"]
    capsys.readouterr()
    assert syncmon(["alerts", "backtest", "--since", "2h"]) == 0
    assert FAILING in capsys.readouterr().out
    assert sorted(paths.outbox.glob("*.eml")) == outbox_before
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM alerts.notifications").fetchone()[0] == ledger_before
