"""Events at the door: split a request body into lines and classify them with ingest's own SQL.

The reasons a rejected event gets are exactly the quarantine's (`ingest/classify_lines.sql` run by
`ingest.load.classify_text`), on a private in-memory DuckDB per thread, so the API and the ingest can
never disagree about what the contract allows.

That SQL costs ~50 ms a call however few lines it gets (planning), so fast paths come first. The
batch's: one jsonschema-rs call checks every event against the JSON Schema (the contract's source of
truth), one regular expression every instant; when all pass and no event id repeats, every line is
accepted at once. Otherwise the line's: each event the schema accepts is accepted; only the lines it
refuses go to the SQL, which gives the verdict and the reason. An accepted event is written as that
parsed object, re-serialised (what was checked is what is stored). Tests check neither fast path
accepts what the SQL refuses, and that both give the verdicts the per-line path gives. Ingest
redacts free text on the way in; the stream's copy gets the same redaction when it is first read.
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
from syncmon_pipeline.redaction import redact

NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl", "application/json-seq")


class BodyError(ValueError):
    """A body that is not a batch at all (not a JSON array / NDJSON, or no events); becomes a 400/422."""


@dataclass(slots=True)  # not frozen: a frozen dataclass costs ~1 µs to make, a batch makes a thousand
class LineVerdict:
    index: int  # position in the batch, from 0
    event_id: str | None
    status: str  # accepted | rejected | duplicate
    reason: str | None
    line: bytes  # as written to landing (accepted only)
    event: dict[str, Any] | None  # accepted: the event as checked, unredacted (`stream_data` redacts it)

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
def _type_schemas() -> dict[str, dict[str, Any]]:
    """The schema for each event type: only the `allOf` branches whose `if` that type meets (each `if`
    looks at event_type alone), so an event is not tried against all eight. jsonschema-rs (Rust) checks
    an event in ~1 µs, a fifth of what compiled Python took; the branches it skips are most of that."""
    schemas = {}
    for event_type in contract.EVENT_TYPES:
        branches = []
        for part in contract.SCHEMA.get("allOf", []):
            condition = part.get("if")
            if condition is None or set(condition.get("properties", {})) - {"event_type"}:
                branches.append(part)  # not a condition on the type alone: keep it whole
            elif jsonschema.Draft202012Validator(condition).is_valid({"event_type": event_type}):
                branches.append(part["then"])
        schemas[event_type] = {**{k: v for k, v in contract.SCHEMA.items() if k != "allOf"}, "allOf": branches}
    return schemas


@cache
def _fast_checks() -> dict[str, Callable[[object], bool]]:
    return {event_type: jsonschema_rs.validator_for(schema).is_valid for event_type, schema in _type_schemas().items()}


@cache
def _batch_checks() -> dict[str, Callable[[object], bool]]:
    """The same, for a list of events of one type: one call into Rust for all of them."""
    return {event_type: jsonschema_rs.validator_for({"type": "array", "items": schema}).is_valid
            for event_type, schema in _type_schemas().items()}  # fmt: skip


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


# The same instants, a whole batch's joined by newlines, in one match (a newline inside a value cannot pass:
# the schema's own pattern refuses it first). Years 1900-2199 and offsets up to 14:00 are spelt out so
# that only the calendar (30 February) is left to `fromisoformat`.
_PLAIN_INSTANTS = re.compile(
    r"(?:(?:19|2[01])[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?"
    r"(?:Z|[+-](?:0[0-9]|1[0-3]):[0-5][0-9]|[+-]14:00)(?:\n|\Z))+"
)


def _all_plainly_valid(lines: list[bytes], events: list[Any], max_line_bytes: int) -> bool:
    """True only when every event is one `fast_accepts` takes and no event id repeats (then every verdict
    is `accepted`); a False means: ask line by line."""
    if max(map(len, lines)) > max_line_bytes:
        return False
    checks = _batch_checks()
    by_type: dict[str, list[Any]] = {}
    for event in events:
        event_type = event.get("event_type") if type(event) is dict else None
        if type(event_type) is not str or event_type not in checks:
            return False
        by_type.setdefault(event_type, []).append(event)
    if not all(checks[event_type](group) for event_type, group in by_type.items()):
        return False
    instants = [event["occurred_at"] for event in events]
    if not _PLAIN_INSTANTS.fullmatch("\n".join(instants)):
        return False
    try:
        for instant in instants:
            datetime.fromisoformat(instant)
    except ValueError:
        return False
    return len({event["event_id"].lower() for event in events}) == len(events)


def fast_accepts(event: object) -> bool:
    """True only for an event the quarantine's SQL surely accepts (a False means: ask the SQL)."""
    if not isinstance(event, dict) or not _plain_instant(event.get("occurred_at")):
        return False
    event_type = event.get("event_type")
    check = _fast_checks().get(event_type) if isinstance(event_type, str) else None
    return check is not None and check(event)


def stream_data(event: dict[str, Any]) -> dict[str, Any]:
    """An accepted event as the stream may show it, provisional until ingested: top-level fields, payload
    redacted as ingest redacts it."""
    payload = event.get("payload")
    if isinstance(payload, dict):
        text = orjson.dumps(payload).decode()
        redacted = redact(text)
        payload = payload if redacted is text else orjson.loads(redacted)  # most payloads hold no secret
    return {
        "event_id": event.get("event_id"), "event_type": event.get("event_type"),
        "occurred_at": event.get("occurred_at"), "integration_id": event.get("integration_id"),
        "provider": event.get("provider"), "session_id": event.get("session_id"), "payload": payload,
        "provisional": True,
    }  # fmt: skip


def stream_line_data(line: bytes) -> dict[str, Any]:
    """`stream_data` of an accepted line as written to landing. The stream's buffer keeps the lines
    (bytes, which the garbage collector never walks) and renders a message when it is first read."""
    try:
        event = _json_value(line)
    except ValueError:  # a spelling only the warehouse's JSON reader takes: shown once ingested
        event = None
    return stream_data(event) if isinstance(event, dict) else {"provisional": True}


def classify_batch(
    lines: list[bytes], *, max_line_bytes: int, parsed: list[Any] | None = None
) -> list[LineVerdict]:
    """Verdict per line, in order; a repeated event id within the batch is a `duplicate` (not written).

    `parsed` holds each line already decoded when the line is orjson's own spelling of it (a JSON-array
    body): such a line is written as it is. Any other line is written as orjson re-spells what was
    checked, so landing never holds a spelling (a repeated key, say) that could read otherwise."""
    events = parsed if parsed is not None else [_decoded(line, max_line_bytes) for line in lines]
    if _all_plainly_valid(lines, events, max_line_bytes):
        written = lines if parsed is not None else [orjson.dumps(event) for event in events]
        return [LineVerdict(index, event["event_id"], "accepted", None, line, event)
                for index, (event, line) in enumerate(zip(events, written, strict=True))]  # fmt: skip
    verdicts: dict[int, LineVerdict] = {}
    slow: list[int] = []
    for index, line in enumerate(lines):
        event = events[index] if len(line) <= max_line_bytes else None
        if isinstance(event, dict) and fast_accepts(event):
            written = line if parsed is not None else orjson.dumps(event)
            verdicts[index] = LineVerdict(index, event["event_id"], "accepted", None, written, event)
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


def _decoded(line: bytes, max_line_bytes: int) -> Any:
    """The line's JSON value; None when it is too long or not JSON orjson reads (the SQL says why)."""
    if len(line) > max_line_bytes:
        return None
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:  # malformed, or a number orjson cannot hold
        return None


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


def _json_value(text: str | bytes) -> Any:
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
