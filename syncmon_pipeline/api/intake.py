"""Events at the door: split a request body into lines and classify them with ingest's own SQL.

The reasons a rejected event gets are exactly the quarantine's (`ingest/classify_lines.sql` run by
`ingest.load.classify_text`), on a private in-memory DuckDB per thread, so the API and the ingest can
never disagree about what the contract allows.

That SQL costs ~50 ms a call however few lines it gets (planning), so a fast path comes first: a line
the JSON Schema (the contract's source of truth, checked by jsonschema-rs) accepts is accepted and written as that
parsed object, re-serialised (what was checked is what is stored). Only the lines it refuses go to the
SQL, which gives the verdict and the reason. Tests check the fast path never accepts what the SQL
refuses. Ingest redacts free text on the way in; the stream gets the same redaction here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import duckdb
import jsonschema
import jsonschema_rs
import orjson

from syncmon_pipeline import contract
from syncmon_pipeline.ingest.decode import DecodedFile
from syncmon_pipeline.ingest.load import classify_text
from syncmon_pipeline.redaction import may_hold_secrets, redact

NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl", "application/json-seq")


class BodyError(ValueError):
    """A body that is not a batch at all (not a JSON array / NDJSON, or no events); becomes a 400/422."""


@dataclass(frozen=True)
class LineVerdict:
    index: int  # position in the batch, from 0
    event_id: str | None
    status: str  # accepted | rejected | duplicate
    reason: str | None
    line: bytes  # as written to landing (accepted only)
    event: dict[str, Any] | None  # accepted: the redacted event, for the stream

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"index": self.index, "status": self.status, "event_id": self.event_id}
        if self.reason is not None:
            body["reason"] = self.reason
        return body


@dataclass(frozen=True)
class Batch:
    lines: list[bytes]
    parsed: list[Any] | None  # each line decoded, for a JSON body (saves decoding it twice)


def split_body(body: bytes, content_type: str) -> Batch:
    """The batch's lines: a JSON array becomes one compact line per element; NDJSON keeps its lines."""
    media = content_type.split(";")[0].strip().lower()
    if media in NDJSON_TYPES:
        text = body.decode("utf-8", errors="replace").encode() if not _utf8(body) else body
        lines = [line[:-1] if line.endswith(b"\r") else line for line in text.split(b"\n")]
        lines = [line for line in lines if line.strip()]
        parsed = None
    elif media in ("application/json", "") or media.endswith("+json"):
        try:
            parsed = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            parsed = _wide_json(body, exc)
            lines = None
        else:
            lines = []
        if isinstance(parsed, dict):
            parsed = [parsed]
        if not isinstance(parsed, list):
            raise BodyError("body must be a JSON array of events (or one event object, or NDJSON)")
        if lines is None:  # json's spelling: each line is decoded again and checked by the SQL
            lines, parsed = [json.dumps(item, separators=(",", ":")).encode() for item in parsed], None
        else:
            lines = [orjson.dumps(item) for item in parsed]
    else:
        raise BodyError(f"unsupported content type {media!r}: send application/json or application/x-ndjson")
    if not lines:
        raise BodyError("the batch holds no events")
    return Batch(lines, parsed)


def _wide_json(body: bytes, error: orjson.JSONDecodeError) -> Any:
    """A body orjson refuses may still be JSON: integers beyond 64 bits, which free-form fields may hold."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise BodyError(f"body is not valid JSON: {error}") from error


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@cache
def _fast_checks() -> dict[str, Callable[[object], bool]]:
    """One compiled check per event type: the schema with only the `allOf` branches whose `if` that
    type meets (each `if` looks at event_type alone), so an event is not tried against all eight.
    jsonschema-rs (Rust) checks an event in ~1 µs, a fifth of what compiled Python took."""
    checks = {}
    for event_type in contract.EVENT_TYPES:
        branches = []
        for part in contract.SCHEMA.get("allOf", []):
            condition = part.get("if")
            if condition is None or set(condition.get("properties", {})) - {"event_type"}:
                branches.append(part)  # not a condition on the type alone: keep it whole
            elif jsonschema.Draft202012Validator(condition).is_valid({"event_type": event_type}):
                branches.append(part["then"])
        schema = {**{k: v for k, v in contract.SCHEMA.items() if k != "allOf"}, "allOf": branches}
        checks[event_type] = jsonschema_rs.validator_for(schema).is_valid
    return checks


# The schema's pattern for occurred_at admits impossible times (month 77, hour 98) that ingest's SQL
# refuses; the fast path takes only plain, real instants and leaves every other spelling to the SQL.
_PLAIN_INSTANT = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})$")


def _plain_instant(value: object) -> bool:
    if not isinstance(value, str) or not _PLAIN_INSTANT.match(value):
        return False
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return False
    offset = moment.utcoffset()
    return 1900 <= moment.year <= 2200 and offset is not None and abs(offset) <= timedelta(hours=14)


def fast_accepts(event: object) -> bool:
    """True only for an event the quarantine's SQL surely accepts (a False means: ask the SQL)."""
    if not isinstance(event, dict) or not _plain_instant(event.get("occurred_at")):
        return False
    event_type = event.get("event_type")
    check = _fast_checks().get(event_type) if isinstance(event_type, str) else None
    return check is not None and check(event)


def _stream_event(event: dict[str, Any], *, may_hold_secrets: bool = True) -> dict[str, Any]:
    """The event as the stream may show it: top-level fields, payload redacted like ingest does
    (`may_hold_secrets` False: the whole batch's text passed redaction's prefilter, nothing to redact)."""
    payload = event.get("payload")
    if isinstance(payload, dict) and may_hold_secrets:
        text = orjson.dumps(payload).decode()
        redacted = redact(text)
        payload = payload if redacted is text else orjson.loads(redacted)  # most payloads hold no secret
    return {
        "event_id": event.get("event_id"), "event_type": event.get("event_type"),
        "occurred_at": event.get("occurred_at"), "integration_id": event.get("integration_id"),
        "provider": event.get("provider"), "session_id": event.get("session_id"), "payload": payload,
    }  # fmt: skip


def classify_batch(
    lines: list[bytes], *, max_line_bytes: int, parsed: list[Any] | None = None
) -> list[LineVerdict]:
    """Verdict per line, in order; a repeated event id within the batch is a `duplicate` (not written).

    `parsed` holds each line already decoded when the line is orjson's own spelling of it (a JSON-array
    body): such a line is written as it is. Any other line is written as orjson re-spells what was
    checked, so landing never holds a spelling (a repeated key, say) that could read otherwise."""
    verdicts: dict[int, LineVerdict] = {}
    slow: list[int] = []
    # One scan of the batch instead of one per event: most batches hold nothing redaction would touch. A
    # `\u` escape in a line could spell a word the scan looks for (`\u0040` is `@`), so it means: maybe.
    joined = b"\n".join(lines)
    secrets_possible = b"\\u" in joined or may_hold_secrets(joined.decode("utf-8", errors="replace"))
    for index, line in enumerate(lines):
        event = None
        if len(line) <= max_line_bytes:
            if parsed is not None:
                event = parsed[index]
            else:
                try:
                    event = orjson.loads(line)
                except orjson.JSONDecodeError:  # malformed, or a number orjson cannot hold: the SQL says why
                    event = None
        if isinstance(event, dict) and fast_accepts(event):
            written = line if parsed is not None else orjson.dumps(event)
            verdicts[index] = LineVerdict(index, event["event_id"], "accepted", None, written,
                                          _stream_event(event, may_hold_secrets=secrets_possible))  # fmt: skip
        else:
            slow.append(index)
    if slow:
        for position, verdict in enumerate(_classify_in_sql([lines[i] for i in slow], max_line_bytes)):
            index = slow[position]
            verdicts[index] = LineVerdict(index, verdict.event_id, verdict.status, verdict.reason,
                                          verdict.line, verdict.event)  # fmt: skip
    ordered: list[LineVerdict] = []
    seen: set[str] = set()
    for index in range(len(lines)):
        verdict = verdicts[index]
        if verdict.status == "accepted":
            key = str(verdict.event_id).lower()
            if key in seen:
                verdict = LineVerdict(index, verdict.event_id, "duplicate", "same event_id earlier in this batch",
                                      b"", None)  # fmt: skip
            seen.add(key)
        ordered.append(verdict)
    return ordered


def _classify_in_sql(lines: list[bytes], max_line_bytes: int) -> list[LineVerdict]:
    bad_utf8 = [i + 1 for i, line in enumerate(lines) if not _utf8(line)]
    text = b"\n".join(lines).decode("utf-8", errors="replace")
    with duckdb.connect(":memory:") as con:  # private and short-lived: nothing outlives the request
        classify_text(con, [DecodedFile("", 0, text, bad_utf8)], max_line_bytes)
        rows = con.execute(
            "SELECT line_no, reason, event_id::VARCHAR, event_type, occurred_at, integration_id, provider,"
            " session_id, payload FROM classified_lines ORDER BY line_no"
        ).fetchall()
    verdicts = []
    for line_no, reason, event_id, event_type, occurred_at, integration_id, provider, session_id, payload in rows:
        index = line_no - 1
        if reason is not None:
            verdicts.append(LineVerdict(index, _claimed_id(lines[index]), "rejected", reason, b"", None))
            continue
        event = {
            "event_id": event_id, "event_type": event_type, "occurred_at": _instant_text(occurred_at),
            "integration_id": integration_id, "provider": provider, "session_id": session_id,
            "payload": _json_value(payload),
        }  # fmt: skip
        verdicts.append(LineVerdict(index, event_id, "accepted", None, lines[index], event))
    return verdicts


def _instant_text(value: datetime | str) -> str:
    """DuckDB hands back an instant outside Python's years 1-9999 (0001-01-01T00:00:00+05:00 is year 0 in
    UTC) as text rather than a datetime."""
    return value.replace(tzinfo=UTC).isoformat() if isinstance(value, datetime) else str(value)


def _json_value(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # integers beyond 64 bits, which the contract allows in free-form fields
        return json.loads(text)


def _claimed_id(line: bytes) -> str | None:
    """The event_id a rejected line claims, when it has a readable one (helps the sender match answers)."""
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    claimed = value.get("event_id") if isinstance(value, dict) else None
    return claimed if isinstance(claimed, str) and len(claimed) <= 64 else None
