"""The command inbox and the alert commands: file format and atomicity, applied once each, in the transaction
of the evaluation, and the changefeed lines that follow every commit.

Real DuckDB files under tmp_path; the firing alert comes from an observation handed to the evaluation
(`extra_observations`), times are explicit.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from syncmon_pipeline.alerts import changefeed, ledger, service
from syncmon_pipeline.alerts.model import Alert, Observation
from syncmon_pipeline.commands import inbox

from test_alert_engine import ONCALL, make_settings

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
SETTINGS = make_settings()
INTEGRATION = "powerschool-district-12"


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def down(when: datetime) -> Observation:
    """integration_down is critical: it fires at once and escalates 15 min after it was announced."""
    return Observation(
        rule="integration_down", alert_type="integration_down", integration_id=INTEGRATION, provider="powerschool",
        observed_at=when, started_at=T0 - timedelta(minutes=1), value=3.0, threshold=3.0,
        summary="3 health checks in a row found powerschool unreachable", evidence={"session_ids": []},
    )  # fmt: skip


@pytest.fixture
def box(tmp_path: Path) -> Path:
    return tmp_path / "commands"


@pytest.fixture
def con(tmp_path: Path):
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield connection
    connection.close()


@pytest.fixture
def feed(tmp_path: Path) -> Path:
    return changefeed.feed_file(tmp_path / "changefeed")


def evaluate(con, box: Path, feed: Path, when: datetime, *, observe: bool = True) -> service.EvaluationSummary:
    """What the alert job does: pending alert commands in, outcome files out after the commit."""
    commands = inbox.read_pending(box, inbox.ALERT_KINDS, now=when)
    summary = service.evaluate_alerts(con, now=when, settings=SETTINGS, extra_observations=[down(when)] if observe
                                      else [], commands=commands, changefeed=feed)  # fmt: skip
    for o in summary.outcomes:
        inbox.write_outcome(box, o.command, status=o.status, reason=o.reason, applied_at=o.applied_at, result=o.result)
    return summary


def firing_alert(con, box: Path, feed: Path) -> str:
    evaluate(con, box, feed, at(0))
    summary = evaluate(con, box, feed, at(1))  # past the group wait: announced
    (alert,) = summary.firing()
    return alert.alert_id


def escalations(con) -> list[tuple]:
    return con.execute(
        "SELECT target, sequence FROM alerts.notifications WHERE transition = 'escalation' ORDER BY sequence"
    ).fetchall()


def feed_lines(feed: Path) -> list[dict]:
    return [json.loads(line) for line in feed.read_text().splitlines()] if feed.exists() else []


# --- the inbox -------------------------------------------------------------------------------------------


def test_a_submitted_command_round_trips_in_the_documented_format(box):
    command = inbox.submit(box, kind="acknowledge_alert", args={"alert_id": "abc123"}, actor="ada", now=T0)
    assert inbox.is_command_id(command.command_id) and command.command_id.startswith("cmd_")
    path = box / "pending" / f"{command.command_id}.json"
    assert json.loads(path.read_text()) == {
        "command_id": command.command_id, "kind": "acknowledge_alert", "actor": "ada",
        "created_at": "2026-11-27T12:00:00+00:00", "args": {"alert_id": "abc123"},
    }  # fmt: skip
    assert [p.name for p in (box / "pending").iterdir()] == [path.name], "no temporary file is left behind"
    assert inbox.read_pending(box) == [command]
    assert inbox.command_status(box, command.command_id)["status"] == "queued"

    inbox.write_outcome(box, command, status="applied", reason=None, applied_at=at(1),
                        result={"alert_id": "abc123def", "status": "acknowledged"})  # fmt: skip
    assert not path.exists() and inbox.read_pending(box) == []
    done = inbox.command_status(box, command.command_id)
    assert done == {**command.to_json(), "status": "applied", "reason": None,
                    "applied_at": "2026-11-27T12:01:00+00:00",
                    "result": {"alert_id": "abc123def", "status": "acknowledged"}}  # fmt: skip


def test_pending_commands_come_oldest_first_and_by_kind(box):
    later = inbox.submit(box, kind="generate_report", actor="ada", now=at(5),
                         args={"report_type": "usage", "granularity": "daily", "period_key": "2026-11-19"})
    first = inbox.submit(box, kind="expire_silence", args={"silence_id": "0123456789ab"}, actor="bob", now=at(1))
    assert inbox.read_pending(box) == [first, later]
    assert inbox.read_pending(box, inbox.ALERT_KINDS) == [first]
    assert inbox.has_pending(box, inbox.REPORT_KINDS) and inbox.has_pending(box, inbox.ALERT_KINDS)
    assert inbox.backlog(box, at(11)) == (2, 600.0)
    inbox.write_outcome(box, first, status="rejected", reason="no such silence", applied_at=at(2), result={})
    assert not inbox.has_pending(box, inbox.ALERT_KINDS)
    assert inbox.backlog(box / "nowhere", T0) == (0, None)


def test_a_file_being_written_is_invisible_and_a_failed_write_leaves_nothing(box, monkeypatch):
    (box / "pending").mkdir(parents=True)
    (box / "pending" / f".cmd_{'0' * 32}.1234abcd.tmp").write_text('{"command_id": "cmd_')  # half written
    assert inbox.read_pending(box) == [] and not inbox.has_pending(box) and inbox.backlog(box, T0) == (0, None)

    def crash(src, dst):
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk gone"):
        inbox.submit(box, kind="resolve_alert", args={"alert_id": "abc"}, actor="ada", now=T0)
    assert sorted(p.name for p in (box / "pending").iterdir()) == [f".cmd_{'0' * 32}.1234abcd.tmp"]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"command_id": "cmd_', "not valid JSON"),
        (b'{"kind": "reboot_server", "actor": "eve", "created_at": "2026-11-27T12:00:00+00:00", "args": {}}',
         "command_id"),
        (b"\xff\xfe", "not valid JSON"),
    ],
)
def test_an_unreadable_file_becomes_a_rejected_outcome_never_silently_dropped(box, content, reason):
    command_id = "cmd_" + "a" * 32
    (box / "pending").mkdir(parents=True)
    (box / "pending" / f"{command_id}.json").write_bytes(content)
    assert inbox.has_pending(box, inbox.ALERT_KINDS), "a broken file must wake someone up to reject it"
    assert inbox.read_pending(box, inbox.ALERT_KINDS, now=at(3)) == []
    done = inbox.command_status(box, command_id)
    assert done["status"] == "rejected" and reason in done["reason"] and "invalid command file" in done["reason"]
    assert done["applied_at"] == at(3).isoformat()
    assert not (box / "pending" / f"{command_id}.json").exists()


def test_a_command_with_an_unknown_kind_or_wrong_args_is_rejected_too(box):
    (box / "pending").mkdir(parents=True)
    for i, (kind, args) in enumerate([("reboot", {}), ("add_silence", {"matchers": {"a": "b"}})]):
        command_id = f"cmd_{i:032x}"
        body = {"command_id": command_id, "kind": kind, "actor": "eve", "created_at": T0.isoformat(), "args": args}
        (box / "pending" / f"{command_id}.json").write_text(json.dumps(body))
    assert inbox.read_pending(box) == []
    assert "unknown command kind 'reboot'" in inbox.command_status(box, f"cmd_{0:032x}")["reason"]
    rejected = inbox.command_status(box, f"cmd_{1:032x}")
    assert rejected["kind"] == "add_silence" and "args.silence_id" in rejected["reason"]


def test_ids_and_args_are_checked_so_nothing_escapes_the_inbox(box):
    for bad in ("../../etc/passwd", "cmd_../x", "cmd_" + "A" * 32, "", "cmd_" + "0" * 31):
        assert inbox.command_status(box, bad) is None and inbox.pending_command(box, bad) is None
        with pytest.raises(ValueError, match="command_id"):
            inbox.submit(box, kind="resolve_alert", args={"alert_id": "x"}, actor="ada", now=T0, command_id=bad or "x")
    with pytest.raises(ValueError, match="args.silence_id"):
        inbox.submit(box, kind="expire_silence", args={"silence_id": "../x"}, actor="ada", now=T0)
    with pytest.raises(ValueError, match="args.ends_at"):
        inbox.submit(box, kind="add_silence", actor="ada", now=T0, args={
            "silence_id": "0123456789ab", "matchers": {"integration_id": "x"}, "starts_at": at(5).isoformat(),
            "ends_at": at(1).isoformat(), "comment": ""})  # fmt: skip
    with pytest.raises(ValueError, match="unknown field"):
        inbox.submit(box, kind="generate_report", actor="ada", now=T0, args={
            "report_type": "usage", "granularity": "daily", "period_key": "2026-11-19", "sections": []})  # fmt: skip
    with pytest.raises(ValueError, match="timezone-aware"):
        inbox.submit(box, kind="resolve_alert", args={"alert_id": "x"}, actor="ada", now=T0.replace(tzinfo=None))
    assert not (box / "pending").exists() or not list((box / "pending").iterdir())


# --- alert commands, applied by the evaluation -----------------------------------------------------------


def test_an_acknowledge_command_stops_the_escalation(con, box, feed, tmp_path):
    alert_id = firing_alert(con, box, feed)
    evaluate(con, box, feed, at(20))
    assert escalations(con) == [(ONCALL, 1)], "unacknowledged, the critical alert escalates after 15 min"

    other = duckdb.connect(str(tmp_path / "other.duckdb"))
    other_box = tmp_path / "other_commands"
    assert firing_alert(other, other_box, feed) == alert_id
    command = inbox.submit(other_box, kind="acknowledge_alert", args={"alert_id": alert_id[:8]}, actor="ada", now=at(4))
    summary = evaluate(other, other_box, feed, at(5))
    (outcome,) = summary.outcomes
    assert (outcome.status, outcome.result) == ("applied", {"alert_id": alert_id, "status": "acknowledged"})
    evaluate(other, other_box, feed, at(20))
    assert escalations(other) == []
    ((status, by, acked_at),) = other.execute(
        "SELECT status, acknowledged_by, acknowledged_at FROM alerts.alerts").fetchall()  # fmt: skip
    assert (status, by, acked_at) == ("acknowledged", "ada", at(5).replace(tzinfo=None))
    assert inbox.command_status(other_box, command.command_id)["status"] == "applied"
    assert other.execute("SELECT command_id, kind, actor, status FROM alerts.applied_commands").fetchall() == [
        (command.command_id, "acknowledge_alert", "ada", "applied")]  # fmt: skip
    other.close()


def test_a_replayed_command_is_not_applied_again(con, box, feed):
    alert_id = firing_alert(con, box, feed)
    command = inbox.submit(box, kind="resolve_alert", args={"alert_id": alert_id}, actor="ada", now=at(2))
    evaluate(con, box, feed, at(3))
    first = inbox.command_status(box, command.command_id)
    assert first["status"] == "applied" and first["result"] == {"alert_id": alert_id, "status": "resolved"}
    ledger_before = con.execute("SELECT count(*) FROM alerts.notifications").fetchone()[0]
    (box / "done" / f"{command.command_id}.json").unlink()  # as if the run died before its outcome file

    again = inbox.submit(box, kind="resolve_alert", args={"alert_id": alert_id}, actor="ada", now=at(2),
                         command_id=command.command_id)  # fmt: skip
    (outcome,) = evaluate(con, box, feed, at(4), observe=False).outcomes
    assert outcome.replayed and outcome.status == "applied", "resolving twice would have been rejected"
    assert inbox.command_status(box, again.command_id) == first, "the outcome file is re-written from the table"
    assert not (box / "pending" / f"{command.command_id}.json").exists()
    assert con.execute("SELECT count(*) FROM alerts.applied_commands").fetchone()[0] == 1
    assert con.execute("SELECT count(*) FROM alerts.notifications").fetchone()[0] == ledger_before
    assert [e["kind"] for e in feed_lines(feed)].count("command_applied") == 1, "a replay is no news"


def test_an_unknown_alert_id_is_rejected_with_a_reason_and_changes_nothing(con, box, feed):
    alert_id = firing_alert(con, box, feed)
    unknown = inbox.submit(box, kind="acknowledge_alert", args={"alert_id": "zzzz"}, actor="ada", now=at(2))
    (outcome,) = evaluate(con, box, feed, at(2)).outcomes
    assert (outcome.command, outcome.status, outcome.result) == (unknown, "rejected", {})
    assert "no alert with id 'zzzz'" in outcome.reason
    assert inbox.command_status(box, unknown.command_id)["reason"] == outcome.reason
    assert con.execute("SELECT status, acknowledged_by FROM alerts.alerts").fetchall() == [("firing", None)]
    assert con.execute("SELECT status, reason FROM alerts.applied_commands").fetchall() == [
        ("rejected", outcome.reason)]  # fmt: skip

    # Commands apply in order, each to the state the previous one left: an alert resolved cannot be acknowledged.
    resolve = inbox.submit(box, kind="resolve_alert", args={"alert_id": alert_id}, actor="bob", now=at(3))
    ack = inbox.submit(box, kind="acknowledge_alert", args={"alert_id": alert_id}, actor="ada", now=at(4))
    first, second = evaluate(con, box, feed, at(5), observe=False).outcomes
    assert (first.command, first.status) == (resolve, "applied")
    assert (second.command, second.status) == (ack, "rejected") and "already resolved" in second.reason
    assert con.execute("SELECT status, resolved_by FROM alerts.alerts").fetchall() == [("resolved", "bob")]


def test_silence_add_then_expire_through_commands(con, box, feed):
    firing_alert(con, box, feed)
    silence_id = "0123456789ab"
    add = {"silence_id": silence_id, "matchers": {"integration_id": INTEGRATION}, "starts_at": at(2).isoformat(),
           "ends_at": at(120).isoformat(), "comment": "vendor maintenance"}  # fmt: skip
    added = inbox.submit(box, kind="add_silence", args=add, actor="ada", now=at(2))
    twice = inbox.submit(box, kind="add_silence", args=add, actor="bob", now=at(2.5))
    (ok, dup) = evaluate(con, box, feed, at(3)).outcomes
    assert (ok.command, ok.status, ok.result) == (added, "applied", {"silence_id": silence_id,
                                                                     "ends_at": at(120).isoformat()})
    assert (dup.command, dup.status) == (twice, "rejected") and "already exists" in dup.reason
    row = con.execute("SELECT author, comment, expired_at FROM alerts.silences WHERE silence_id = ?",
                      [silence_id]).fetchone()  # fmt: skip
    assert row == ("ada", "vendor maintenance", None)
    evaluate(con, box, feed, at(20))
    assert escalations(con) == [], "a silenced alert does not page"

    expire = inbox.submit(box, kind="expire_silence", args={"silence_id": silence_id}, actor="ada", now=at(30))
    again = inbox.submit(box, kind="expire_silence", args={"silence_id": silence_id}, actor="ada", now=at(31))
    (ok, late) = evaluate(con, box, feed, at(32)).outcomes
    assert (ok.command, ok.status, ok.result) == (expire, "applied", {"silence_id": silence_id})
    assert (late.command, late.status) == (again, "rejected") and "no active or upcoming silence" in late.reason
    assert con.execute("SELECT expired_at FROM alerts.silences").fetchall() == [(at(32).replace(tzinfo=None),)]


def test_commands_and_evaluation_commit_together_or_not_at_all(con, box, feed, monkeypatch):
    alert_id = firing_alert(con, box, feed)
    command = inbox.submit(box, kind="acknowledge_alert", args={"alert_id": alert_id}, actor="ada", now=at(2))
    lines_before = feed_lines(feed)
    real_enqueue = ledger.enqueue

    def broken(*args, **kwargs):
        raise duckdb.IOException("injected: the disk filled up while queueing notifications")

    monkeypatch.setattr(ledger, "enqueue", broken)
    with pytest.raises(duckdb.IOException, match="injected"):
        evaluate(con, box, feed, at(3))
    assert inbox.command_status(box, command.command_id)["status"] == "queued"
    assert con.execute("SELECT count(*) FROM alerts.applied_commands").fetchone()[0] == 0
    assert con.execute("SELECT status FROM alerts.alerts").fetchall() == [("firing",)]
    assert feed_lines(feed) == lines_before, "nothing reaches the changefeed before a commit"

    monkeypatch.setattr(ledger, "enqueue", real_enqueue)
    (outcome,) = evaluate(con, box, feed, at(4)).outcomes
    assert outcome.status == "applied" and inbox.command_status(box, command.command_id)["status"] == "applied"
    assert con.execute("SELECT status FROM alerts.alerts").fetchall() == [("acknowledged",)]


# --- the changefeed --------------------------------------------------------------------------------------


def test_the_changefeed_has_a_line_per_status_change_and_per_command(con, box, feed):
    evaluate(con, box, feed, at(0))
    (fired,) = feed_lines(feed)
    assert fired["kind"] == "alert_firing" and fired["integration_id"] == INTEGRATION
    assert fired["at"] == at(0).isoformat()
    assert fired["data"] == {
        "alert_id": fired["data"]["alert_id"], "alert_type": "integration_down", "severity": "critical",
        "status": "firing", "summary": "3 health checks in a row found powerschool unreachable",
        "fired_at": at(0).isoformat(), "acknowledged_by": None, "resolved_by": None, "value": 3.0, "threshold": 3.0,
    }  # fmt: skip
    evaluate(con, box, feed, at(1))
    assert len(feed_lines(feed)) == 1, "an evaluation that changes no status adds nothing"

    command = inbox.submit(box, kind="acknowledge_alert", args={"alert_id": fired["data"]["alert_id"]},
                           actor="ada", now=at(2))  # fmt: skip
    evaluate(con, box, feed, at(3))
    _, applied, acked = feed_lines(feed)
    assert applied == {"at": at(3).isoformat(), "kind": "command_applied", "integration_id": None, "data": {
        "command_id": command.command_id, "kind": "acknowledge_alert", "status": "applied", "reason": None,
        "result": {"alert_id": fired["data"]["alert_id"], "status": "acknowledged"}}}  # fmt: skip
    assert acked["kind"] == "alert_acknowledged" and acked["data"]["acknowledged_by"] == "ada"

    service.resolve_alert(con, fired["data"]["alert_id"], by="bob", now=at(4), settings=SETTINGS, changefeed=feed)
    resolved = feed_lines(feed)[-1]
    assert resolved["kind"] == "alert_resolved" and resolved["data"]["resolved_by"] == "bob"


def test_entries_only_for_status_changes_and_json_safe_figures():
    alert = Alert(
        alert_id="a1", fingerprint="f", rule="sync_failure", alert_type="sync_failure", severity="error",
        integration_id="i", provider="p", labels={}, status="firing", started_at=T0, pending_since=T0, fired_at=T0,
        value=float("nan"), threshold=float("inf"), summary="s",
    )  # fmt: skip
    assert changefeed.entries_for([alert], {"a1": "firing"}, at(1)) == []  # only its figures moved
    (entry,) = changefeed.entries_for([alert], {"a1": "pending"}, at(1))
    assert entry["data"]["value"] is None and entry["data"]["threshold"] is None
    assert changefeed.entries_for([alert.__class__(**{**alert.__dict__, "status": "pending"})], {}, at(1)) == []


def test_the_changefeed_rotates_before_it_grows_past_its_limit(tmp_path):
    path = changefeed.feed_file(tmp_path)
    entry = {"at": T0.isoformat(), "kind": "command_rejected", "integration_id": None, "data": {"x": "y" * 50}}
    changefeed.append_changes(path, [entry] * 3, max_bytes=400)
    inode = path.stat().st_ino
    changefeed.append_changes(path, [entry] * 2, max_bytes=400)
    rotated = path.with_name("alerts.ndjson.1")
    assert len(rotated.read_text().splitlines()) == 3 and len(path.read_text().splitlines()) == 2
    assert path.stat().st_ino != inode, "a reader notices the rotation by the inode"
    assert changefeed.append_changes(path, []) == 0
