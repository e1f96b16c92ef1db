"""The live stream over a real uvicorn: SSE (`/v1/stream`) and WebSocket (`/v1/ws`), its sources
(accepted events on the bus, landing files, the alert changefeed, snapshots), resume and resync,
heartbeats, Origin and token checks, redaction; and the live page's door (`GET /`)."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from httpx_sse import connect_sse
from websockets.exceptions import InvalidStatus

from api_support import ADMIN_SECRET, INGEST_SECRET, READER_SECRET, RunningApi, api_settings, running_api
from conftest import make_event
from syncmon_pipeline.api.bus import StreamBus
from syncmon_pipeline.api.changefeed import ChangefeedTailer
from syncmon_pipeline.api.stream_sources import LandingWatcher

pytestmark = pytest.mark.timeout(120)

HEARTBEAT = 0.4
SECRETS = ("hunter2", "bob@example.com", "sk_live_abc123", "tok3n-s3cret", "pa55word")


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApi]:
    home = tmp_path_factory.mktemp("stream") / "home"
    settings = api_settings(heartbeat_seconds=HEARTBEAT, stream_buffer=100,
                            allowed_origins=["https://ops.example.org"])  # fmt: skip
    with running_api(home, settings) as running:
        yield running


def unique(prefix: str = "integration") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class SseReader:
    """Reads one SSE response in a thread: messages (JSON data) and heartbeats (events without data)."""

    def __init__(self, api: RunningApi, params: dict | list | None = None, headers: dict | None = None,
                 secret: str | None = READER_SECRET):  # fmt: skip
        self.messages: list[dict[str, Any]] = []
        self.ids: list[str] = []
        self.heartbeats: list[str] = []
        self.connected = threading.Event()
        self.status: int | None = None
        self._stop = False
        self._client = api.client(secret)  # read timeout 10 s: heartbeats come far more often
        self._thread = threading.Thread(target=self._run, args=(params, headers), daemon=True)
        self._thread.start()
        assert self.connected.wait(10), "the stream did not open"

    def _run(self, params, headers) -> None:
        try:
            self._read(params, headers)
        except httpx.HTTPError:
            if not self._stop:
                raise

    def _read(self, params, headers) -> None:
        with connect_sse(self._client, "GET", "/v1/stream", params=params, headers=headers or {}) as source:
            self.status = source.response.status_code
            if self.status != 200:
                self.connected.set()
                return
            for event in source.iter_sse():
                if event.retry is not None and not event.data:
                    self.connected.set()  # the server's first word: ": connected" with `retry:`
                elif not event.data:
                    self.heartbeats.append(event.id)
                else:
                    self.messages.append(json.loads(event.data))
                    self.ids.append(event.id)
                if self._stop:
                    return

    def wait_for(self, predicate: Callable[[list[dict]], bool], timeout: float = 5.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self.messages):
                return self.messages
            time.sleep(0.02)
        raise AssertionError(f"not received in {timeout} s; got {[m['kind'] for m in self.messages]}")

    def wait_heartbeat(self, timeout: float = 5.0) -> None:
        seen = len(self.heartbeats)
        deadline = time.monotonic() + timeout
        while len(self.heartbeats) == seen:
            assert time.monotonic() < deadline, "no heartbeat"
            time.sleep(0.02)

    def close(self) -> None:
        self._stop = True
        self._thread.join(3 * HEARTBEAT + 1)  # it stops at the next heartbeat
        self._client.close()
        self._thread.join(5)


@contextmanager
def sse(api: RunningApi, params=None, headers=None, secret: str | None = READER_SECRET) -> Iterator[SseReader]:
    reader = SseReader(api, params, headers, secret)
    try:
        yield reader
    finally:
        reader.close()


def ws_url(api: RunningApi, **params: Any) -> str:
    query = str(httpx.QueryParams(params))
    return api.url.replace("http://", "ws://") + "/v1/ws" + (f"?{query}" if query else "")


async def ws_collect(url: str, count: int, *, headers: dict | None = None, ready: threading.Event | None = None,
                     timeout: float = 10) -> list[dict]:  # fmt: skip
    """Open the WebSocket, then take `count` non-heartbeat messages."""
    found = []
    async with websockets.connect(url, additional_headers=headers or {}, open_timeout=10) as socket:
        if ready is not None:
            ready.set()
        async with asyncio.timeout(timeout):
            while len(found) < count:
                message = json.loads(await socket.recv())
                if message["kind"] != "heartbeat":
                    found.append(message)
    return found


def kinds(messages: list[dict]) -> list[str]:
    return [m["kind"] for m in messages]


# --- SSE: messages, filters, resume, resync, heartbeats ---------------------------------------------------


def test_sse_delivers_published_messages_with_increasing_ids(api: RunningApi):
    integration = unique()
    with sse(api, {"integration_id": integration}) as reader:
        for i in range(3):
            api.ctx.bus.publish("session_progress", {"i": i}, integration_id=integration)
        got = reader.wait_for(lambda m: len(m) >= 3)
    ids = [m["id"] for m in got]
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert reader.ids == [str(i) for i in ids]  # the SSE id field is the message id
    assert [m["data"] for m in got] == [{"i": 0}, {"i": 1}, {"i": 2}]
    assert set(got[0]) == {"id", "kind", "at", "integration_id", "data"}


def test_sse_filters_by_integration_and_kind(api: RunningApi):
    mine, other = unique(), unique()
    params = [("integration_id", mine), ("kind", "session"), ("kind", "alert_firing"), ("kind", "snapshot_published")]
    with sse(api, params) as reader:
        bus = api.ctx.bus
        bus.publish("session_status", {"n": 1}, integration_id=other)
        bus.publish("session_status", {"n": 2}, integration_id=mine)
        bus.publish("health_check", {"n": 3}, integration_id=mine)  # kind not wanted
        bus.publish("alert_resolved", {"n": 4}, integration_id=mine)  # only alert_firing wanted
        bus.publish("alert_firing", {"n": 5}, integration_id=mine)
        bus.publish("sessionless", {"n": 6}, integration_id=mine)  # `session` is a family: session_*, not this
        bus.publish("snapshot_published", {"n": 7})  # concerns every integration
        bus.publish("session_created", {"n": 8}, integration_id=mine)
        got = reader.wait_for(lambda m: any(x["data"].get("n") == 8 for x in m))
        time.sleep(0.2)
    assert [m["data"]["n"] for m in reader.messages] == [2, 5, 7, 8]


def test_bad_filters_are_422(api: RunningApi):
    with api.client(READER_SECRET) as client:
        answer = client.get("/v1/stream", params={"kind": "Alert<script>"})
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_resume_with_last_event_id_returns_exactly_what_followed(api: RunningApi):
    integration = unique()
    sent = [api.ctx.bus.publish("session_status", {"i": i}, integration_id=integration) for i in range(5)]
    with sse(api, {"integration_id": integration}, headers={"Last-Event-ID": str(sent[1].id)}) as reader:
        reader.wait_heartbeat()  # everything buffered is sent before the first heartbeat
        got = list(reader.messages)
    assert [m["id"] for m in got] == [m.id for m in sent[2:]]
    assert [m["data"]["i"] for m in got] == [2, 3, 4]
    # The header wins over the query parameter (EventSource reconnects keep the URL it was opened with).
    with sse(api, {"integration_id": integration, "last_event_id": str(sent[0].id)},
             headers={"Last-Event-ID": str(sent[3].id)}) as reader:  # fmt: skip
        reader.wait_heartbeat()
    assert [m["data"]["i"] for m in reader.messages] == [4]


def test_an_id_older_than_the_buffer_gives_resync_then_live(api: RunningApi):
    integration = unique()
    first = api.ctx.bus.publish("session_status", {"i": 0}, integration_id=integration)
    for i in range(1, 150):  # the buffer holds 100
        api.ctx.bus.publish("session_status", {"i": i}, integration_id=integration)
    with sse(api, {"integration_id": integration}, headers={"Last-Event-ID": str(first.id)}) as reader:
        reader.wait_for(lambda m: len(m) >= 1)
        api.ctx.bus.publish("session_status", {"i": "live"}, integration_id=integration)
        got = reader.wait_for(lambda m: len(m) >= 2)
    assert kinds(got[:2]) == ["resync", "session_status"]
    assert got[0]["data"]["last_event_id"] == first.id
    assert got[1]["data"] == {"i": "live"}  # continues from the newest: nothing older is replayed
    assert got[1]["id"] > got[0]["id"]


@pytest.mark.parametrize("position", ["12", "not-a-number", "99999999999999999"])
def test_a_position_that_is_not_ours_gives_resync(api: RunningApi, position: str):
    with sse(api, {"kind": "nothing_at_all"}, headers={"Last-Event-ID": position}) as reader:
        got = reader.wait_for(lambda m: len(m) >= 1)
    assert kinds(got) == ["resync"]
    assert got[0]["id"] == int(reader.ids[0])


def test_heartbeats_keep_a_quiet_stream_open_and_carry_the_position(api: RunningApi):
    with api.client(READER_SECRET) as client:
        lines, started = [], time.monotonic()
        with client.stream("GET", "/v1/stream", params={"kind": "nothing_at_all"}) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            assert response.headers["cache-control"] == "no-cache"
            for line in response.iter_lines():
                lines.append(line)
                if lines.count(": heartbeat") >= 2:
                    break
        elapsed = time.monotonic() - started
    assert lines[:2] == [": connected", "retry: 3000"]
    assert 1.5 * HEARTBEAT <= elapsed < 1.5 * HEARTBEAT + 3
    heartbeat_id = lines[lines.index(": heartbeat") + 1]
    assert heartbeat_id.startswith("id: ") and int(heartbeat_id[4:]) <= api.ctx.bus.last_id


def test_heartbeats_come_while_filtered_messages_flow(api: RunningApi):
    with sse(api, {"kind": "nothing_at_all"}) as reader:
        deadline = time.monotonic() + 3 * HEARTBEAT
        while time.monotonic() < deadline:
            api.ctx.bus.publish("session_progress", {}, integration_id="noise")
            time.sleep(0.05)
        assert len(reader.heartbeats) >= 2
        assert int(reader.heartbeats[-1]) > int(reader.heartbeats[0])  # the position moves on


# --- WebSocket --------------------------------------------------------------------------------------------


def test_the_websocket_gets_the_same_messages_as_sse(api: RunningApi):
    integration = unique()
    ready = threading.Event()
    result: dict[str, Any] = {}

    def run() -> None:
        result["ws"] = asyncio.run(ws_collect(ws_url(api, integration_id=integration), 3,
                                              headers={"Authorization": f"Bearer {READER_SECRET}"}, ready=ready))

    thread = threading.Thread(target=run)
    with sse(api, {"integration_id": integration}) as reader:
        thread.start()
        assert ready.wait(10)
        time.sleep(0.1)
        for i in range(3):
            api.ctx.bus.publish("alert_firing", {"alert_id": f"a{i}"}, integration_id=integration)
        via_sse = reader.wait_for(lambda m: len(m) >= 3)
        thread.join(10)
    assert result["ws"] == via_sse


def test_websocket_resumes_from_last_event_id_in_the_query(api: RunningApi):
    integration = unique()
    sent = [api.ctx.bus.publish("session_status", {"i": i}, integration_id=integration) for i in range(4)]
    url = ws_url(api, integration_id=integration, last_event_id=sent[0].id, access_token=READER_SECRET)
    got = asyncio.run(ws_collect(url, 3))
    assert [m["id"] for m in got] == [m.id for m in sent[1:]]


def test_websocket_heartbeats(api: RunningApi):
    async def first_frame() -> dict:
        async with websockets.connect(ws_url(api, kind="nothing_at_all", access_token=READER_SECRET)) as socket:
            async with asyncio.timeout(5):
                return json.loads(await socket.recv())

    frame = asyncio.run(first_frame())
    assert frame["kind"] == "heartbeat" and isinstance(frame["id"], int)


@pytest.mark.parametrize("origin", [None, "own", "https://ops.example.org"])
def test_websocket_accepts_no_origin_its_own_and_configured_ones(api: RunningApi, origin: str | None):
    headers = {"Authorization": f"Bearer {READER_SECRET}"}

    async def open_and_receive() -> None:
        kwargs = {"origin": api.url if origin == "own" else origin} if origin else {}
        async with websockets.connect(ws_url(api, kind="nothing_at_all"), additional_headers=headers,
                                      **kwargs) as socket:  # fmt: skip
            async with asyncio.timeout(5):
                assert json.loads(await socket.recv())["kind"] == "heartbeat"

    asyncio.run(open_and_receive())


@pytest.mark.parametrize("origin", ["https://evil.example", "http://127.0.0.1:1", "null"])
def test_websocket_refuses_other_origins_before_accepting(api: RunningApi, origin: str):
    async def attempt() -> None:
        async with websockets.connect(ws_url(api, access_token=READER_SECRET), origin=origin):
            pass

    with pytest.raises(InvalidStatus) as refused:
        asyncio.run(attempt())
    assert refused.value.response.status_code == 403


@pytest.mark.parametrize(("secret", "status"), [(None, 401), ("wrong-token-0123456789", 401), (INGEST_SECRET, 403)])
def test_tokens_are_checked_on_both_transports(api: RunningApi, secret: str | None, status: int):
    with api.client(secret) as client:
        answer = client.get("/v1/stream")
    assert answer.status_code == status
    assert answer.headers["content-type"].startswith("application/problem+json")
    if status == 401:
        assert answer.headers["www-authenticate"] == "Bearer"

    async def attempt() -> None:
        headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        async with websockets.connect(ws_url(api), additional_headers=headers):
            pass

    with pytest.raises(InvalidStatus) as refused:
        asyncio.run(attempt())
    assert refused.value.response.status_code == status


def test_access_token_in_the_query_is_accepted(api: RunningApi):
    integration = unique()
    with sse(api, {"integration_id": integration, "access_token": READER_SECRET}, secret=None) as reader:
        assert reader.status == 200
        api.ctx.bus.publish("session_status", {"ok": True}, integration_id=integration)
        assert reader.wait_for(lambda m: len(m) >= 1)[0]["data"] == {"ok": True}


def test_disconnects_leave_no_subscriber_behind(api: RunningApi):
    with sse(api) as a, sse(api, {"kind": "alert"}):
        a.wait_heartbeat()

    async def open_ws() -> None:
        async with websockets.connect(ws_url(api, access_token=READER_SECRET)) as socket:
            await asyncio.sleep(0.2)
            await socket.close()

    asyncio.run(open_ws())
    deadline = time.monotonic() + 5
    while api.ctx.parts.get("stream_subscribers") or api.ctx.bus.waiting:
        assert time.monotonic() < deadline, (api.ctx.parts.get("stream_subscribers"), api.ctx.bus.waiting)
        time.sleep(0.05)


# --- sources: landing files, changefeed, snapshots -----------------------------------------------------


def hostile_events(integration: str) -> list[dict]:
    return [
        make_event("session_created", integration_id=integration, session_id="s-1"),
        make_event("session_error", integration_id=integration, session_id="s-1",
                   payload={**make_event("session_error")["payload"],
                            "message": "login failed password=hunter2 for bob@example.com",
                            "debug": {"url": "https://bob:pa55word@api.example.com/x?api_key=sk_live_abc123"}}),
        make_event("session_status", integration_id=integration, session_id="s-1",
                   payload={"status": "failed", "stage": "fetch", "reason": "Authorization: Bearer tok3n-s3cret"}),
    ]  # fmt: skip


def test_a_landing_file_is_published_once_redacted_and_provisional(api: RunningApi):
    integration = unique()
    landing = api.ctx.paths.landing
    events = hostile_events(integration)
    body = [json.dumps(e) for e in events] + ["not json", "[1, 2]", json.dumps({"event_type": "nope"})]
    with sse(api, {"integration_id": integration}) as reader:
        (landing / f".{integration}.tmp").write_text(json.dumps(events[0]) + "\n")  # hidden: being written
        (landing / f"api-{integration}.ndjson").write_text(json.dumps(events[0]) + "\n")  # the events route's
        (landing / f"{integration}.ndjson.gz").write_bytes(gzip.compress(("\n".join(body) + "\n").encode()))
        got = reader.wait_for(lambda m: len(m) >= 3)
        time.sleep(1.0)  # more polls: nothing is published twice, the hidden and api- files never
        raw = json.dumps(reader.messages)
    assert kinds(reader.messages) == ["session_created", "session_error", "session_status"]
    assert [m["data"]["event_id"] for m in got] == [e["event_id"] for e in events]
    assert all(m["data"]["provisional"] is True and m["integration_id"] == integration for m in got)
    assert set(got[0]["data"]) == {"event_id", "event_type", "occurred_at", "integration_id", "provider",
                                   "session_id", "payload", "provisional"}  # fmt: skip
    for secret in SECRETS:
        assert secret not in raw
    assert "[REDACTED]" in got[1]["data"]["payload"]["message"]
    assert "[REDACTED_EMAIL]" in got[1]["data"]["payload"]["message"]


def test_ingested_landing_files_are_announced(api: RunningApi):
    integration = unique()
    landing = api.ctx.paths.landing
    with sse(api, [("integration_id", integration), ("kind", "session"), ("kind", "ingested")]) as reader:
        path = landing / f"{integration}.ndjson"
        path.write_text(json.dumps(make_event("session_created", integration_id=integration)) + "\n")
        created = reader.wait_for(lambda m: len(m) >= 1)[0]
        for leftover in landing.iterdir():
            leftover.unlink()  # as ingest moves them to processed/
        got = reader.wait_for(lambda m: "ingested" in kinds(m))
    ingested = got[-1]
    assert ingested["data"]["files"] >= 1 and ingested["data"]["remaining"] == 0
    assert ingested["data"]["through_id"] >= created["id"]  # the provisional rows are real now


def test_changefeed_lines_are_published_with_their_kind(api: RunningApi):
    integration = unique()
    folder = api.ctx.paths.changefeed
    folder.mkdir(parents=True, exist_ok=True)
    feed = folder / "alerts.ndjson"
    line = {"at": "2026-11-27T12:00:00+00:00", "kind": "alert_firing", "integration_id": integration,
            "data": {"alert_id": "al-1", "severity": "critical", "summary": "failing: password=hunter2"}}  # fmt: skip
    with sse(api, {"integration_id": integration}) as reader:
        with feed.open("ab") as handle:
            handle.write(json.dumps(line).encode()[:40])  # a partial line waits for its newline
            handle.flush()
            time.sleep(0.6)
            assert reader.messages == []
            handle.write(json.dumps(line).encode()[40:] + b"\n")
        got = reader.wait_for(lambda m: len(m) >= 1)
    assert got[0]["kind"] == "alert_firing" and got[0]["integration_id"] == integration
    assert got[0]["data"]["alert_id"] == "al-1" and got[0]["data"]["at"] == line["at"]
    assert "hunter2" not in json.dumps(got)


def test_a_new_snapshot_is_announced(api: RunningApi):
    target = api.ctx.paths.alerts_snapshot
    with sse(api, {"kind": "snapshot_published"}) as reader:
        staging = target.with_name(".alert_state.duckdb.tmp")
        staging.write_bytes(b"not really a database")
        os.replace(staging, target)
        got = reader.wait_for(lambda m: len(m) >= 1)
    assert got[0]["data"]["snapshot"] == "alerts"
    assert got[0]["data"]["published_at"].startswith("20")
    target.unlink()


# --- the pollers on their own ---------------------------------------------------------------------------


def test_the_changefeed_tailer_starts_at_the_end_and_follows_rotation(tmp_path: Path):
    bus = StreamBus(100)
    feed = tmp_path / "alerts.ndjson"

    def line(n: int) -> bytes:
        return json.dumps({"at": "2026-01-01T00:00:00+00:00", "kind": "alert_resolved", "integration_id": None,
                           "data": {"n": n}}).encode() + b"\n"  # fmt: skip

    feed.write_bytes(line(0))  # history: not replayed
    tailer = ChangefeedTailer(tmp_path, bus)
    tailer.start()
    assert tailer.poll() == 0
    with feed.open("ab") as handle:
        handle.write(line(1) + b'{"kind": "alert_firing"')  # the last line is not finished
    assert tailer.poll() == 1
    with feed.open("ab") as handle:
        handle.write(b', "data": {"n": 2}}\n' + line(3))
    feed.rename(tmp_path / "alerts.ndjson.1")  # rotated before the tailer saw line 3
    feed.write_bytes(line(4) + b"[]\n" + b"not json\n" + json.dumps({"kind": "heartbeat"}).encode() + b"\n")
    assert tailer.poll() == 3
    assert [m.data.get("n") for m in bus.since(bus.first_id - 1)] == [1, 2, 3, 4]
    feed.write_bytes(line(5))  # truncated and rewritten in place
    assert tailer.poll() == 1


def test_the_landing_watcher_summarises_big_files(tmp_path: Path):
    bus = StreamBus(100)
    watcher = LandingWatcher(tmp_path, bus, max_bytes=2000, max_events=3)
    (tmp_path / "old.ndjson").write_text(json.dumps(make_event()) + "\n")
    watcher.start()  # present at start: the baseline, not replayed
    assert watcher.poll() == 0
    (tmp_path / "big.ndjson").write_text("".join(json.dumps(make_event()) + "\n" for _ in range(20)))
    (tmp_path / "many.ndjson").write_text("".join(json.dumps(make_event()) + "\n" for _ in range(4)))
    (tmp_path / "ok.ndjson").write_text("".join(json.dumps(make_event()) + "\n" for _ in range(3)))
    (tmp_path / "broken.ndjson.gz").write_bytes(b"\x1f\x8b not gzip")
    (tmp_path / "bomb.ndjson.gz").write_bytes(gzip.compress(b" " * 10_000 + b"\n"))
    watcher.poll()
    published = bus.since(bus.first_id - 1)
    summaries = {m.data["file"]: m.data["reason"] for m in published if m.kind == "landing_file"}
    assert summaries == {"big.ndjson": "too_large", "many.ndjson": "too_many_events",
                         "broken.ndjson.gz": "unreadable", "bomb.ndjson.gz": "too_large"}  # fmt: skip
    assert sum(1 for m in published if m.kind == "session_status") == 3
    (tmp_path / "old.ndjson").unlink()
    watcher.poll()
    assert bus.since(bus.last_id - 1)[0].kind == "ingested"


# --- the live page's door -------------------------------------------------------------------------------


def test_the_live_page_needs_a_token_and_explains_how_to_get_one(api: RunningApi):
    for params, status in (({}, 401), ({"access_token": "wrong-token-0123456789"}, 401),
                           ({"access_token": INGEST_SECRET}, 403)):  # fmt: skip
        answer = httpx.get(api.url + "/", params=params)
        assert answer.status_code == status
        assert answer.headers["content-type"].startswith("text/html")
        assert "Traceback" not in answer.text and "access_token" in answer.text
    assert "api-token" in httpx.get(api.url + "/").text
    page = httpx.get(api.url + "/", params={"access_token": READER_SECRET})
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store" and page.headers["referrer-policy"] == "no-referrer"
    assert "connect-src 'self'" in page.headers["content-security-policy"]
    assert READER_SECRET not in page.text  # the token never goes into the page
    assert "<script src" not in page.text and "<link" not in page.text
    assert 'id="table-running_sessions"' in page.text and 'id="table-firing_alerts"' in page.text


def test_the_fragment_serves_the_page_state_even_without_a_snapshot(api: RunningApi):
    with api.client(ADMIN_SECRET) as client:
        answer = client.get("/live/fragment")
        assert client.get("/live/fragment", headers={"Authorization": ""}).status_code == 401
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"html", "charts", "state"}
    assert body["state"]["running"]["rows"] == [] and body["state"]["alerts"]["rows"] == []
    assert body["state"]["cursor"] <= api.ctx.bus.last_id
    assert "Running now" in body["html"]


def test_a_batch_published_at_once_gets_consecutive_ids_in_order_and_resumes_like_single_messages():
    bus = StreamBus(100, first_id=10)
    one = bus.publish("session_created", {"n": 0})
    many = bus.publish_many([("session_status", {"n": i}, f"int-{i}") for i in range(1, 4)])
    assert [m.id for m in (one, *many)] == [10, 11, 12, 13] and bus.last_id == 13
    assert [m.integration_id for m in many] == ["int-1", "int-2", "int-3"]
    assert [m.data["n"] for m in bus.since(10)] == [1, 2, 3]
    assert bus.publish_many([]) == [] and bus.last_id == 13


def test_a_rendered_batch_is_rendered_when_first_read_and_the_buffer_keeps_its_capacity():
    rendered = []

    def render(source):
        rendered.append(source)
        return {"n": source}

    bus = StreamBus(5, first_id=100)
    bus.publish_rendered([("session_status", "int-a", n) for n in range(4)], render)  # ids 100-103
    assert rendered == [] and bus.last_id == 103
    bus.publish_many([("session_progress", {"n": n}, None) for n in range(4, 7)])  # 104-106: 100 and 101 go
    assert bus.oldest_position == 101 and bus.since(100) is None
    found = bus.since(101)
    assert [m.id for m in found] == [102, 103, 104, 105, 106]
    assert [m.data["n"] for m in found] == [2, 3, 4, 5, 6] and rendered == [2, 3]
    assert found[0].integration_id == "int-a" and found[0].kind == "session_status"
    assert [m.id for m in bus.since(104)] == [105, 106] and bus.since(106) == []
    bus.publish_many([("x", {}, None)] * 5)  # whole blocks leave
    assert bus.oldest_position == 106 and [m.id for m in bus.since(106)] == list(range(107, 112))
