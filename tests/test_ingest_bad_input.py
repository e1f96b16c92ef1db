"""Every kind of bad input ends in quarantine (or the ledger) with a clear reason; nothing stops the batch."""

from __future__ import annotations

import gzip
import json

import pytest

from conftest import make_event, query, write_events, write_lines


def quarantine_reasons(home) -> dict[int, str]:
    return dict(query(home, "SELECT line_no, reason FROM raw.quarantine ORDER BY line_no"))


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"event_id": "x", ', "malformed JSON"),
        ("[1, 2, 3]", "not a JSON object"),
        ("   ", "blank line"),
        (json.dumps(make_event(schema_version=2)), "unsupported schema_version: 2"),
        (json.dumps(make_event(schema_version="1")), "wrong type: schema_version must be an integer"),
        (json.dumps(make_event(event_type="session_exploded")), "unknown event_type: session_exploded"),
        (json.dumps(make_event(event_id="not-a-uuid")), "event_id is not a UUID"),
        (json.dumps(make_event(occurred_at="2026-11-27T10:00:00")), "occurred_at has no UTC offset"),
        (json.dumps(make_event(occurred_at="yesterday")), "occurred_at is not an RFC 3339 timestamp"),
        (json.dumps(make_event(occurred_at="2026-02-30T10:00:00Z")), "occurred_at is not a valid date and time"),
        (json.dumps(make_event(integration_id=42)), "wrong type: integration_id must be a string"),
        (json.dumps(make_event(provider="")), "provider must not be empty"),
        (json.dumps({k: v for k, v in make_event().items() if k != "session_id"}), "missing field: session_id"),
        (json.dumps({k: v for k, v in make_event().items() if k != "payload"}), "missing field: payload"),
        (json.dumps(make_event(payload=[1])), "wrong type: payload must be an object"),
        (json.dumps(make_event(payload={"status": "exploded"})), 'payload.status has an unknown value: exploded'),
        (json.dumps(make_event(payload={})), "missing field: payload.status"),
        (
            json.dumps(make_event("session_progress", payload={"records_processed": "ten"})),
            "wrong type: payload.records_processed must be an integer",
        ),
        (
            json.dumps(make_event("session_progress", payload={"records_failed": -3})),
            "payload.records_failed must not be negative",
        ),
        (
            json.dumps(make_event("session_progress", payload={"progress_pct": 140})),
            "payload.progress_pct must not exceed 100",
        ),
        (
            json.dumps(make_event("health_check", payload={"reachable": "yes"})),
            "wrong type: payload.reachable must be true or false",
        ),
        (
            json.dumps(make_event("session_created", payload={"sync_type": "full", "direction": "inbound",
                                                              "triggered_by": "schedule", "entity_types": [1]})),
            "wrong type: payload.entity_types must be a list of strings",
        ),
    ],
)
def test_contract_violation_is_quarantined_with_its_reason(home, ingest, line, reason):
    good = json.dumps(make_event())
    write_lines(home.landing, "batch.ndjson", [good, line, good.replace(make_event()["event_id"][:8], "0" * 8)])
    report = ingest()
    assert quarantine_reasons(home) == {2: reason}
    assert report.events_inserted + report.lines_quarantined + report.lines_duplicate == report.lines_total == 3


def test_non_utf8_bytes_quarantine_only_that_line(home, ingest):
    good = json.dumps(make_event()).encode()
    bad = json.dumps(make_event(payload={"status": "running", "reason": "caf\u00e9"})).encode().replace(
        b"caf\\u00e9", b"caf\xe9"
    )
    write_lines(home.landing, "latin1.ndjson", [good, bad])
    report = ingest()
    assert quarantine_reasons(home) == {2: "not valid UTF-8"}
    assert report.events_inserted == 1
    (raw_text,) = query(home, "SELECT raw_text FROM raw.quarantine")[0]
    assert "caf\ufffd" in raw_text  # kept, readable, the bad byte marked


def test_line_over_the_limit_is_quarantined_and_cut(home, ingest):
    huge = json.dumps(make_event(payload={"status": "running", "reason": "x" * 5000}))
    write_lines(home.landing, "huge.ndjson", [huge, json.dumps(make_event())])
    report = ingest(max_line_bytes=2048)
    assert quarantine_reasons(home) == {1: "line longer than 2048 bytes"}
    assert query(home, "SELECT raw_bytes, length(raw_text) FROM raw.quarantine") == [(len(huge), 2048)]
    assert report.events_inserted == 1


def test_line_over_one_megabyte_by_default(home, ingest):
    huge = json.dumps(make_event(payload={"status": "running", "reason": "y" * 1_100_000}))
    write_lines(home.landing, "huge.ndjson", [huge])
    ingest()
    assert quarantine_reasons(home) == {1: "line longer than 1048576 bytes"}


def test_truncated_gzip_keeps_complete_lines_and_quarantines_the_cut_one(home, ingest):
    lines = [json.dumps(make_event()) for _ in range(200)]
    body = gzip.compress(("\n".join(lines) + "\n").encode())
    (home.landing / "cut.ndjson.gz").write_bytes(body[: len(body) * 2 // 3])
    report = ingest()
    (outcome,) = report.files
    assert outcome.problem.startswith("truncated gzip")
    assert outcome.lines_ok > 0
    assert outcome.lines_ok + outcome.lines_quarantined == outcome.lines_total
    reasons = set(quarantine_reasons(home).values())
    assert reasons <= {"truncated gzip: line cut off"}
    assert outcome.lines_ok + outcome.lines_quarantined <= 200


def test_corrupt_gzip_is_ledgered_with_its_problem(home, ingest):
    (home.landing / "junk.ndjson.gz").write_bytes(b"this is not gzip at all")
    (outcome,) = ingest().files
    assert outcome.problem.startswith("corrupt gzip data")
    assert outcome.lines_total == 0
    assert (home.processed / "2026-11-27" / "junk.ndjson.gz").exists()  # kept, never deleted


def test_empty_file_is_ledgered_not_lost(home, ingest):
    (home.landing / "empty.ndjson").write_bytes(b"")
    (outcome,) = ingest().files
    assert (outcome.outcome, outcome.problem, outcome.lines_total) == ("ingested", "empty file", 0)
    assert query(home, "SELECT problem FROM raw.ingested_files") == [("empty file",)]


def test_crlf_line_ends_are_accepted(home, ingest):
    write_lines(home.landing, "windows.ndjson", [json.dumps(make_event()) for _ in range(3)], newline=b"\r\n")
    report = ingest()
    assert report.events_inserted == 3 and report.lines_quarantined == 0


def test_gzip_files_are_ingested(home, ingest):
    write_events(home.landing, "batch.ndjson.gz", [make_event() for _ in range(5)])
    assert ingest().events_inserted == 5


def test_utf8_bom_and_missing_final_newline_are_fine(home, ingest):
    body = "\ufeff" + json.dumps(make_event()) + "\n" + json.dumps(make_event())
    (home.landing / "bom.ndjson").write_bytes(body.encode())
    report = ingest()
    assert (report.events_inserted, report.lines_total) == (2, 2)


def test_timestamps_with_offsets_are_stored_as_utc(home, ingest):
    write_events(home.landing, "tz.ndjson", [make_event(occurred_at="2026-11-27T10:00:00-05:00")])
    ingest()
    assert str(query(home, "SELECT occurred_at FROM raw.sync_events")[0][0]) == "2026-11-27 15:00:00"


def test_one_bad_file_does_not_stop_the_batch(home, ingest):
    (home.landing / "a-junk.ndjson.gz").write_bytes(b"\x1f\x8b broken")
    write_events(home.landing, "b-good.ndjson", [make_event() for _ in range(4)])
    report = ingest()
    assert report.events_inserted == 4
    assert {f.file_name for f in report.files} == {"a-junk.ndjson.gz", "b-good.ndjson"}
