"""The door of POST /v1/events: its fast path never accepts what ingest would quarantine, and its
reasons are the quarantine's own."""

from __future__ import annotations

import copy
import json
import re

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from syncmon_pipeline import contract
from syncmon_pipeline.api.intake import BodyError, classify_batch, fast_accepts, split_body, stream_data
from syncmon_pipeline.api.landing_writer import flush_due

from conftest import make_event
from test_contract import mutations, sql_verdicts

import pytest


def _corpus() -> list[dict]:
    events = []
    for event_type in contract.EVENT_TYPES:
        base = make_event(event_type)
        events += [base, *mutations(base)]
    return events


def test_the_fast_path_accepts_only_what_the_quarantine_accepts():
    corpus = _corpus()
    verdicts = sql_verdicts([json.dumps(e) for e in corpus])
    wrongly_accepted = [json.dumps(e)[:200] for e, reason in zip(corpus, verdicts, strict=True)
                        if fast_accepts(e) and reason is not None]  # fmt: skip
    assert not wrongly_accepted
    assert sum(fast_accepts(e) for e in corpus) > 100  # it does accept the valid ones


# Whole events from the schema are slow to generate (hypothesis filters a lot): few per batch, no health checks.
# A copy: hypothesis-jsonschema inlines `$ref`s in the schema it is given, which would change the contract
# every later test (and the validators built from it) sees.
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(from_schema(copy.deepcopy(contract.SCHEMA)), min_size=1, max_size=3))
def test_generated_events_get_the_quarantines_verdict_at_the_door(events):
    lines = [json.dumps(e).encode() for e in events]  # json: integers beyond 64 bits too
    door = classify_batch(lines, max_line_bytes=1_048_576)
    quarantine = sql_verdicts([line.decode() for line in lines])
    seen = set()
    for verdict, reason, event in zip(door, quarantine, events, strict=True):
        if verdict.status == "duplicate":
            assert str(event["event_id"]).lower() in seen
            continue
        seen.add(str(event["event_id"]).lower())
        assert (verdict.status == "accepted") == (reason is None), (verdict, reason)
        assert verdict.reason == reason


def test_rejected_events_carry_the_quarantine_reason_and_their_claimed_id():
    good = make_event("session_error")
    bad = make_event("session_status", payload={"status": "sleeping"})
    no_type = {k: v for k, v in make_event().items() if k != "event_type"}
    lines = [orjson.dumps(e) for e in (good, bad, no_type)] + [b"not json", b"[1, 2]"]
    verdicts = classify_batch(lines, max_line_bytes=1_048_576)
    assert [v.status for v in verdicts] == ["accepted", "rejected", "rejected", "rejected", "rejected"]
    assert [v.reason for v in verdicts[1:]] == sql_verdicts([line.decode() for line in lines])[1:]
    assert verdicts[1].event_id == bad["event_id"]
    assert verdicts[0].line == orjson.dumps(good)


def test_a_repeated_event_id_in_one_batch_is_written_once():
    event = make_event()
    verdicts = classify_batch([orjson.dumps(event), orjson.dumps(event)], max_line_bytes=1_048_576)
    assert [v.status for v in verdicts] == ["accepted", "duplicate"]


def test_the_stream_copy_is_redacted_but_landing_keeps_what_was_sent():
    event = make_event("session_error", payload={**make_event("session_error")["payload"],
                                                 "message": "login ops@example.com password=hunter2"})  # fmt: skip
    [verdict] = classify_batch([orjson.dumps(event)], max_line_bytes=1_048_576)
    shown = json.dumps(stream_data(verdict.event))
    assert "hunter2" not in shown and "ops@example.com" not in shown
    assert b"hunter2" in verdict.line  # ingest redacts it on the way into the warehouse, as for any file


def test_lines_over_the_limit_are_refused_like_ingest_does():
    event = make_event("session_warning", payload={"message": "x" * 5000})
    [verdict] = classify_batch([orjson.dumps(event)], max_line_bytes=2048)
    assert verdict.status == "rejected" and verdict.reason == "line longer than 2048 bytes"


def test_bodies_split_as_json_array_object_or_ndjson():
    a, b = make_event(), make_event()
    assert split_body(orjson.dumps([a, b]), "application/json").lines == [orjson.dumps(a), orjson.dumps(b)]
    assert split_body(orjson.dumps([a, b]), "application/json").parsed == [a, b]
    assert split_body(orjson.dumps(a), "application/json; charset=utf-8").lines == [orjson.dumps(a)]
    assert split_body(orjson.dumps(a) + b"\r\n\n" + orjson.dumps(b) + b"\n", "application/x-ndjson").lines == [
        orjson.dumps(a), orjson.dumps(b)]  # fmt: skip
    wide = {**a, "payload": {**a["payload"], "x_big": 2**70}}
    [line] = split_body(json.dumps([wide]).encode(), "application/json").lines  # beyond orjson's integers
    assert json.loads(line) == wide and classify_batch([line], max_line_bytes=1 << 20)[0].status == "accepted"
    for body, media in ((b"{", "application/json"), (b"3", "application/json"), (b"[]", "application/json"),
                        (b"\n\n", "application/x-ndjson"), (b"x", "text/csv")):  # fmt: skip
        with pytest.raises(BodyError):
            split_body(body, media)


@given(st.integers(0, 5000), st.floats(0, 1), st.integers(1, 2000), st.floats(0.001, 0.5))
def test_a_flush_waits_only_for_small_batches_and_never_past_the_window(events, waited, flush_events, window):
    due = flush_due(events, waited, flush_events=flush_events, window=window)
    assert due == (events >= flush_events or waited >= window)


_SECRET_WORDS = ("ops@example.com", "password=hunter2", "Bearer abc.def", "token: t0k3n", "api_key=k3y")


def _escaped(text: str, escape: list[bool]) -> str:
    """`text` as a JSON string body with some characters written as `\\uXXXX` escapes."""
    return "".join(f"\\u{ord(c):04x}" if e else json.dumps(c)[1:-1] for c, e in zip(text, escape))


_BMP_TEXT = st.text(st.characters(max_codepoint=0xFFFF, exclude_categories=("Cs",)), max_size=20)  # one \uXXXX each


@given(st.lists(st.tuples(st.sampled_from(("", *_SECRET_WORDS)), _BMP_TEXT), min_size=1, max_size=4),
       st.lists(st.booleans(), min_size=40, max_size=40), st.booleans())  # fmt: skip
def test_the_stream_copy_is_redacted_as_each_payload_alone_would_be(messages, escape, as_ndjson):
    """The door scans a batch once for anything redaction could touch; the stream copy must still be what
    redacting each payload on its own gives, `\\u` escapes in NDJSON lines included."""
    from syncmon_pipeline.redaction import redact

    lines = []
    for n, (secret, noise) in enumerate(messages):
        event = make_event("session_warning", payload={"message": "m"})
        text = noise + secret
        line = orjson.dumps({**event, "event_id": f"3f0c1a9e-2b7d-4c1e-9f00-{n:012d}"}).decode()
        lines.append(line.replace('"message":"m"', f'"message":"{_escaped(text, (escape * 4)[:len(text)])}"').encode())
    if not as_ndjson:
        lines = split_body(b"[" + b",".join(lines) + b"]", "application/json").lines
    for verdict, line in zip(classify_batch(lines, max_line_bytes=1 << 20), lines, strict=True):
        assert verdict.status == "accepted", verdict
        payload = json.loads(line)["payload"]
        assert stream_data(verdict.event)["payload"] == orjson.loads(redact(orjson.dumps(payload).decode()))



_CORPUS = _corpus()
_VALID = [i for i, e in enumerate(_CORPUS) if fast_accepts(e)]
_UUID = re.compile(contract.SCHEMA["properties"]["event_id"]["pattern"])


def _batch_from(picks: list[int], repeat: int | None) -> list[bytes]:
    """The corpus events picked, each with an event id of its own (where it has a real one), the
    `repeat`-th taking the first one's."""
    lines = []
    for n, pick in enumerate(picks):
        event = _CORPUS[pick]
        if isinstance(event.get("event_id"), str) and _UUID.match(event["event_id"]):
            event = {**event, "event_id": f"7e57ba7c-0000-4000-8000-{(0 if n == repeat else n):012d}"}
        lines.append(json.dumps(event).encode())
    return lines


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(_VALID), min_size=1, max_size=12),
       st.lists(st.integers(0, len(_CORPUS) - 1), max_size=2), st.one_of(st.none(), st.integers(1, 13)))  # fmt: skip
def test_the_batch_fast_path_gives_the_verdicts_of_the_quarantine(valid, others, repeat):
    """Valid batches (the batch path takes them whole) and some with a refused line or a repeated id
    (then line by line): every verdict is the quarantine's, every accepted line the event sent."""
    lines = _batch_from(valid + others, repeat)
    quarantine = sql_verdicts([line.decode() for line in lines])
    seen: set[str] = set()
    for verdict, reason, line in zip(classify_batch(lines, max_line_bytes=1 << 20), quarantine, lines, strict=True):
        event_id = str(json.loads(line).get("event_id")).lower()
        if verdict.status == "duplicate":
            assert event_id in seen and reason is None
        else:
            assert (verdict.status, verdict.reason) == ("accepted" if reason is None else "rejected", reason)
            assert verdict.status != "accepted" or json.loads(verdict.line) == json.loads(line)
        if verdict.status == "accepted":
            seen.add(event_id)


_LOOSE_INSTANT = contract.SCHEMA["properties"]["occurred_at"]["pattern"]
_NEAR_LIMITS = (r"\A(19|2[0-2])[0-9]{2}-(0[1-9]|1[0-2])-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]"
                r"(\.[0-9]{1,6})?(Z|[+-]1[0-5]:[0-5][0-9])\Z")


@given(st.lists(st.one_of(st.from_regex(_LOOSE_INSTANT, fullmatch=True), st.from_regex(_NEAR_LIMITS)),
                min_size=1, max_size=5))  # fmt: skip
def test_the_batch_instant_check_takes_only_what_the_line_check_takes(instants):
    from syncmon_pipeline.api.intake import _PLAIN_INSTANTS, _plain_instant

    if _PLAIN_INSTANTS.fullmatch("\n".join(instants)) and all(_calendar_date(v) for v in instants):
        assert all(_plain_instant(value) for value in instants)


def _calendar_date(value: str) -> bool:
    from datetime import datetime

    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("instant", ["2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "2026-01-01T24:00:00Z",
                                     "1899-12-31T23:59:59Z", "2026-01-01T00:00:00+14:01", "2199-12-31T23:59:59+14:00",
                                     "2026-01-01T00:00:00.1234567Z", "2026-01-01 00:00:00Z"])  # fmt: skip
def test_an_instant_near_the_limits_gets_the_quarantines_verdict_in_a_batch(instant):
    lines = [orjson.dumps(make_event()), orjson.dumps({**make_event(), "occurred_at": instant})]
    verdicts = classify_batch(lines, max_line_bytes=1 << 20)
    assert [v.reason for v in verdicts] == sql_verdicts([line.decode() for line in lines]), instant
