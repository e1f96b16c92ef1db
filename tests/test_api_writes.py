"""POST /v1/events and the session conveniences over a real uvicorn: landing before the 202, exactly once
with Idempotency-Key, the quarantine's reasons, tokens, scopes and limits."""

from __future__ import annotations

import concurrent.futures
import uuid

import orjson
import pytest

from api_support import ADMIN_SECRET, INGEST_SECRET, READER_SECRET, api_settings, running_api
from conftest import make_event, query

NDJSON = {"content-type": "application/x-ndjson"}


def _landing_lines(home) -> list[bytes]:
    return [line for path in sorted(home.landing.glob("api-*.ndjson")) for line in path.read_bytes().splitlines()]


def test_a_batch_is_in_landing_before_the_202_and_a_replay_writes_nothing_twice(home, ingest):
    events = [make_event(event_id=str(uuid.uuid4()), session_id=f"s{i}") for i in range(50)]
    body = orjson.dumps(events)
    headers = {"content-type": "application/json", "Idempotency-Key": "batch-0001"}
    with running_api(home.home) as api, api.client(INGEST_SECRET) as client:
        first = client.post("/v1/events", content=body, headers=headers)
        assert first.status_code == 202, first.text
        assert first.json()["accepted"] == 50
        assert len(_landing_lines(home)) == 50  # on disk when the answer came back
        again = client.post("/v1/events", content=body, headers=headers)
        assert again.status_code == 202 and again.json() == first.json()
        assert again.headers["Idempotent-Replayed"] == "true"
        assert len(_landing_lines(home)) == 50
        other = client.post("/v1/events", content=orjson.dumps(events[:49]), headers=headers)
        assert other.status_code == 422 and "different request" in other.json()["detail"]
        # Without the key a client retry does write again: ingest still keeps each event once.
        assert client.post("/v1/events", content=body, headers={"content-type": "application/json"}).status_code == 202
    report = ingest()
    assert report.events_inserted == 50 and report.lines_duplicate == 50
    stored = query(home, "SELECT event_id::VARCHAR, count(*) FROM raw.sync_events GROUP BY ALL")
    assert sorted(e for e, _ in stored) == sorted(e["event_id"] for e in events)
    assert all(n == 1 for _, n in stored)


def test_each_event_gets_accepted_or_the_quarantines_reason(home, ingest):
    good = make_event("session_error")
    bad = make_event("session_status", payload={"status": "sleeping"})
    lines = [orjson.dumps(good), orjson.dumps(bad), b"{not json", orjson.dumps(good)]
    with running_api(home.home) as api, api.client(INGEST_SECRET) as client:
        answer = client.post("/v1/events", content=b"\n".join(lines), headers=NDJSON)
    assert answer.status_code == 202
    results = answer.json()["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected", "rejected", "duplicate"]
    assert results[1]["event_id"] == bad["event_id"]
    # The same lines dropped as a file: the quarantine gives the same reasons.
    (home.landing / "direct.ndjson").write_bytes(b"\n".join(lines[1:3]) + b"\n")
    ingest("direct.ndjson")
    reasons = [r for (r,) in query(home, "SELECT reason FROM raw.quarantine ORDER BY line_no")]
    assert reasons == [results[1]["reason"], results[2]["reason"]]


def test_a_batch_of_only_rejected_events_is_a_422_that_writes_nothing(home):
    with running_api(home.home) as api, api.client(INGEST_SECRET) as client:
        answer = client.post("/v1/events", json=[{"event_type": "nope"}])
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["results"][0]["reason"].startswith("missing field")
    assert list(home.landing.glob("*.ndjson")) == []


def test_small_concurrent_requests_share_landing_files(home):
    settings = api_settings(landing_flush_ms=300)
    with running_api(home.home, settings) as api:
        def send(i: int) -> int:
            with api.client(INGEST_SECRET) as client:
                return client.post("/v1/events", json=[make_event(session_id=f"s{i}")]).status_code

        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            statuses = list(pool.map(send, range(48)))
    assert statuses == [202] * 48
    files = list(home.landing.glob("api-*.ndjson"))
    assert len(_landing_lines(home)) == 48
    assert len(files) < 48 / 3, f"{len(files)} files for 48 requests"


def test_tokens_scopes_body_limit_and_rate_limit(home):
    settings = api_settings(max_body_bytes=4096, rate_limit_per_second=0.01, rate_limit_burst=3)
    body = orjson.dumps([make_event()])
    with running_api(home.home, settings) as api:
        with api.client(None) as anonymous:
            missing = anonymous.post("/v1/events", content=body)
            assert missing.status_code == 401 and missing.headers["WWW-Authenticate"] == "Bearer"
            assert anonymous.get("/v1/healthz").status_code == 200
        with api.client("wrong-token-0123456789") as wrong:
            assert wrong.post("/v1/events", content=body).status_code == 401
        with api.client(READER_SECRET) as reader:
            forbidden = reader.post("/v1/events", content=body)
            assert forbidden.status_code == 403 and "ingest" in forbidden.json()["detail"]
        with api.client(ADMIN_SECRET) as admin:
            too_big = admin.post("/v1/events", content=b"[" + b" " * 5000 + b"]")
            assert too_big.status_code == 413
            assert too_big.headers["content-type"].startswith("application/problem+json")
        with api.client(INGEST_SECRET) as client:
            statuses = [client.post("/v1/events", content=body).status_code for _ in range(5)]
            assert statuses[:3] == [202, 202, 202] and statuses[3] == 429
            limited = client.post("/v1/events", content=body)
            assert int(limited.headers["Retry-After"]) >= 1
    assert "Bearer" not in (home.landing.parent / "api").as_posix()


def test_session_conveniences_produce_contract_events_that_ingest(home, ingest):
    with running_api(home.home) as api, api.client(INGEST_SECRET) as client:
        base = {"integration_id": "canvas-district-3", "provider": "canvas"}
        created = client.post("/v1/sessions", json={**base, "sync_type": "full", "direction": "inbound",
                                                    "triggered_by": "manual", "status": "running"})  # fmt: skip
        assert created.status_code == 202, created.text
        session_id = created.json()["session_id"]
        calls = [
            client.put(f"/v1/sessions/{session_id}", json={**base, "stage": "load", "progress_pct": 40,
                                                           "records_processed": 120}),  # fmt: skip
            client.post(f"/v1/sessions/{session_id}/errors", json={**base, "category": "validation",
                        "severity": "low", "message": "bad row for ops@example.com"}),  # fmt: skip
            client.post(f"/v1/sessions/{session_id}/warnings", json={**base, "message": "slow page"}),
            client.post(f"/v1/sessions/{session_id}/conflicts", json={**base, "entity_type": "grades",
                        "strategy": "merge", "resolved": False}),  # fmt: skip
            client.post(f"/v1/sessions/{session_id}/metrics", json={**base, "api_calls": 12, "cpu_pct": 31.5}),
            client.put(f"/v1/sessions/{session_id}", json={**base, "status": "completed"}),
            client.post("/v1/health-checks", json={**base, "reachable": True, "latency_ms": 88.0}),
        ]
        assert [c.status_code for c in calls] == [202] * len(calls), [c.text for c in calls]
        bad = client.post(f"/v1/sessions/{session_id}/errors", json={**base, "category": "cosmic", "severity": "low",
                                                                      "message": "x"})  # fmt: skip
        assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
        nothing = client.put(f"/v1/sessions/{session_id}", json=base)
        assert nothing.status_code == 422
    report = ingest()
    assert report.lines_quarantined == 0 and report.events_inserted == 9
    types = query(home, "SELECT event_type, count(*) FROM raw.sync_events GROUP BY ALL ORDER BY 1")
    assert dict(types) == {"health_check": 1, "session_conflict": 1, "session_created": 1, "session_error": 1,
                           "session_metrics": 1, "session_progress": 1, "session_status": 2,
                           "session_warning": 1}  # fmt: skip
    messages = query(home, "SELECT payload->>'message' FROM raw.sync_events WHERE event_type = 'session_error'")
    assert messages == [("bad row for [REDACTED_EMAIL]",)]


def test_no_token_configured_creates_an_admin_token_file_with_mode_600(tmp_path):
    from syncmon_pipeline.api.app import build_context
    from syncmon_pipeline.config import DataPaths, Settings

    ctx = build_context(DataPaths(home=tmp_path), Settings(), environ={})
    token_file = tmp_path / "api-token"
    assert ctx.generated_token and token_file.read_text().strip() == ctx.generated_token
    assert token_file.stat().st_mode & 0o777 == 0o600
    assert ctx.tokens.authenticate(ctx.generated_token).allows("admin")
    again = build_context(DataPaths(home=tmp_path), Settings(), environ={})
    assert again.generated_token == ctx.generated_token  # kept across restarts


def test_a_configured_token_without_its_secret_fails_at_start_naming_it(tmp_path):
    from syncmon_pipeline.api.app import build_context
    from syncmon_pipeline.api.auth import TokenConfigError
    from syncmon_pipeline.config import DataPaths

    with pytest.raises(TokenConfigError, match="'ops-alice'.*SM_OPERATOR is not set"):
        build_context(DataPaths(home=tmp_path), api_settings(), environ={})
