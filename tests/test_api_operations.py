"""Operator actions through the API: command files in the inbox (the actor is the token's name), applied
by the alert job's evaluation, and `GET /v1/commands/{id}` following them from queued to applied."""

from __future__ import annotations

import json

import duckdb

from syncmon_pipeline.alerts import changefeed
from syncmon_pipeline.commands import inbox

from api_support import OPERATOR_SECRET, READER_SECRET, running_api
from test_commands import at, escalations, evaluate, firing_alert


def _warehouse(home):
    home.warehouse.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(home.warehouse))


def test_an_acknowledge_through_the_api_then_an_evaluation_stops_the_escalation(home):
    feed = changefeed.feed_file(home.changefeed)
    with _warehouse(home) as con:
        alert_id = firing_alert(con, home.commands, feed)
    with running_api(home.home, clock=lambda: at(2)) as api, api.client(OPERATOR_SECRET) as client:
        queued = client.put(f"/v1/alerts/{alert_id[:10]}/acknowledge")
        assert queued.status_code == 202, queued.text
        command_id = queued.json()["command_id"]
        pending = json.loads((home.commands / "pending" / f"{command_id}.json").read_text())
        assert pending["actor"] == "ops-alice" and pending["kind"] == "acknowledge_alert"
        assert client.get(f"/v1/commands/{command_id}").json()["status"] == "queued"
        with _warehouse(home) as con:
            evaluate(con, home.commands, feed, at(20))  # past the 15-minute escalation of a critical alert
            assert escalations(con) == []
            row = con.execute("SELECT status, acknowledged_by FROM alerts.alerts WHERE alert_id = ?", [alert_id])
            assert row.fetchall() == [("acknowledged", "ops-alice")]
        applied = client.get(f"/v1/commands/{command_id}").json()
        assert applied["status"] == "applied" and applied["result"]["status"] == "acknowledged"
        assert applied["actor"] == "ops-alice"
    kinds = [json.loads(line)["kind"] for line in feed.read_text().splitlines()]
    assert "alert_acknowledged" in kinds and "command_applied" in kinds


def test_silences_through_the_api_are_applied_and_expired_by_the_alert_job(home):
    feed = changefeed.feed_file(home.changefeed)
    with running_api(home.home, clock=lambda: at(0)) as api, api.client(OPERATOR_SECRET) as client:
        spoofed = client.post("/v1/silences", json={"matchers": {"integration_id": "x"}, "author": "mallory"})
        assert spoofed.status_code == 422  # the actor is the token, never a field of the body
        queued = client.post("/v1/silences", json={"matchers": {"integration_id": "powerschool-district-12"},
                                                   "duration_minutes": 90, "comment": "vendor maintenance"})  # fmt: skip
        assert queued.status_code == 202, queued.text
        silence_id = queued.json()["silence_id"]
        with _warehouse(home) as con:
            evaluate(con, home.commands, feed, at(1), observe=False)
            rows = con.execute("SELECT author, comment, expired_at FROM alerts.silences WHERE silence_id = ?",
                               [silence_id]).fetchall()  # fmt: skip
        assert rows == [("ops-alice", "vendor maintenance", None)]
        assert client.get(queued.json()["status_url"]).json()["status"] == "applied"
        ended = client.delete(f"/v1/silences/{silence_id}")
        assert ended.status_code == 202
        with _warehouse(home) as con:
            evaluate(con, home.commands, feed, at(2), observe=False)
            [(expired_at,)] = con.execute("SELECT expired_at FROM alerts.silences WHERE silence_id = ?",
                                          [silence_id]).fetchall()  # fmt: skip
        assert expired_at is not None
        assert client.get(ended.json()["status_url"]).json()["status"] == "applied"


def test_an_unknown_alert_is_rejected_with_the_reason_when_applied(home):
    feed = changefeed.feed_file(home.changefeed)
    with running_api(home.home, clock=lambda: at(0)) as api, api.client(OPERATOR_SECRET) as client:
        command_id = client.put("/v1/alerts/deadbeef00/resolve").json()["command_id"]
        with _warehouse(home) as con:
            evaluate(con, home.commands, feed, at(1), observe=False)
        answer = client.get(f"/v1/commands/{command_id}").json()
    assert answer["status"] == "rejected" and "deadbeef00" in answer["reason"]


def test_report_requests_are_checked_at_the_door_and_queued(home):
    with running_api(home.home) as api, api.client(OPERATOR_SECRET) as client:
        tuesday = client.post("/v1/reports", json={"report_type": "performance", "granularity": "weekly",
                                                   "period_key": "2026-11-24"})  # fmt: skip
        assert tuesday.status_code == 422 and "Monday" in tuesday.json()["detail"]
        assert client.post("/v1/reports", json={"report_type": "usage"}).status_code == 422
        backwards = client.post("/v1/reports", json={"report_type": "custom", "start": "2026-11-20T00:00:00Z",
                                                     "end": "2026-11-10T00:00:00Z"})  # fmt: skip
        assert backwards.status_code == 422
        weekly = client.post("/v1/reports", json={"report_type": "performance", "granularity": "weekly",
                                                  "period_key": "2026-11-23"})  # fmt: skip
        custom = client.post("/v1/reports", json={"report_type": "custom", "integrations": ["canvas-district-3"],
                                                  "sections": ["performance.durations"], "title": "Canvas"})  # fmt: skip
        assert weekly.status_code == 202 and custom.status_code == 202
    pending = inbox.read_pending(home.commands, inbox.REPORT_KINDS)
    assert [c.args["report_type"] for c in pending] == ["performance", "custom"]
    assert all(c.actor == "ops-alice" for c in pending)


def test_operations_need_the_operate_scope_and_known_ids(home):
    with running_api(home.home) as api:
        with api.client(READER_SECRET) as reader:
            assert reader.put("/v1/alerts/abc/acknowledge").status_code == 403
            assert reader.get("/v1/commands/cmd_" + "0" * 32).status_code == 404
            assert reader.get("/v1/commands/../../etc/passwd").status_code in (404, 422)
            assert reader.get("/v1/commands/not-a-command").status_code == 422
        with api.client(None) as anonymous:
            assert anonymous.delete("/v1/silences/0123456789ab").status_code == 401
        with api.client(OPERATOR_SECRET) as client:
            first = client.put("/v1/alerts/abc/acknowledge", headers={"Idempotency-Key": "ack-1"})
            again = client.put("/v1/alerts/abc/acknowledge", headers={"Idempotency-Key": "ack-1"})
            assert first.json() == again.json()  # one command, not two
    assert len(list((home.commands / "pending").glob("cmd_*.json"))) == 1
