"""Secrets and personal data never reach the warehouse: not in events, not in quarantine."""

from __future__ import annotations

import json

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncmon_pipeline.redaction import REDACTION_RULES, redact

from conftest import make_event, query, write_lines

SECRETS = {
    "jane.doe@district12.k12.us": "login failed for jane.doe@district12.k12.us",
    "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0.sig": "401 with Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.c2VjcmV0.sig",
    "hunter2-Secret": "connect failed: user=svc password=hunter2-Secret host=db",
    "AKIA1234SECRETKEY": "GET https://api.example.com/v1/students?api_key=AKIA1234SECRETKEY&page=2",
    "s3cr3tpw": "proxy https://svc_user:s3cr3tpw@proxy.example.com:8080 refused",
    "tok_live_998877": 'upstream said {"token": "tok_live_998877"}',
    "my pass phrase": 'config error: password="my pass phrase" rejected',
}


@pytest.mark.parametrize("secret", sorted(SECRETS))
def test_redact_removes_the_secret(secret):
    assert secret not in redact(SECRETS[secret])


def test_redact_keeps_ordinary_text():
    text = "basic connection reset after 3 retries (token bucket empty: 0 left)"
    assert redact("basic connection reset after 3 retries") == "basic connection reset after 3 retries"
    assert "token bucket" in redact(text)


def test_sql_and_python_apply_identical_rules():
    con = duckdb.connect()
    for text in [*SECRETS.values(), json.dumps({"message": list(SECRETS.values())})]:
        in_sql = text
        for rule in REDACTION_RULES:
            in_sql = con.execute("SELECT regexp_replace(?, ?, ?, 'g')", [in_sql, rule.pattern, rule.replacement])
            in_sql = in_sql.fetchall()[0][0]
        assert in_sql == redact(text)


def test_redacted_json_stays_valid_json():
    payload = json.dumps({"message": 'password="a b" token: "c" Bearer xyz', "n": 1})
    assert json.loads(redact(payload))["n"] == 1


def test_a_secret_member_with_a_scalar_value_becomes_a_redacted_string():
    redacted = json.loads(redact(json.dumps({"token": 12345, "password": True, "api_key": None, "n": 1})))
    assert redacted == {"token": "[REDACTED]", "password": "[REDACTED]", "api_key": "[REDACTED]", "n": 1}


@pytest.mark.parametrize("text", ["line one\npassword=hunter2", "sent to\nops@example.com", "\x1dtoken: hunter2",
                                  "x\u00e9ops@example.com", "tab\tapi_key=hunter2"])  # fmt: skip
def test_a_secret_right_after_a_json_escape_is_redacted_and_the_json_stays_valid(text):
    """In JSON text `\n` before a word is an escape: `\npassword` must still count as the key, and an address
    must not swallow the escape's letters (which once left `\[REDACTED_EMAIL]`, invalid JSON)."""
    for ascii_only in (True, False):
        redacted = redact(json.dumps({"message": text}, ensure_ascii=ascii_only))
        message = json.loads(redacted)["message"]
        assert "hunter2" not in message and "ops@example.com" not in message
        assert "[REDACTED" in message


# Keys a rule looks for, their near misses, and text that looks like what the rules rewrite.
_KEYS = st.sampled_from(["token", "TOKEN", "password", "api_key", "x_token", "my-secret", "Authorization",
                         "message", "a", "token\\", 'pwd"', "email"])  # fmt: skip
_TEXT = (st.sampled_from(['password=hunter2', 'token: "x"', 'Bearer abc.def', 'a@b.co', '\\', '"', 'token',
                         'https://u:p@h', '', '{"token":1}', '\npassword=x', '\x1dops@a.co', '\t\u00e9a@b.co'])
         | st.text(max_size=12))  # fmt: skip
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS | st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@given(_JSON, st.booleans(), st.sampled_from([(",", ":"), (", ", ": ")]))
def test_redacting_any_json_text_leaves_valid_json_in_python_and_sql(value, ascii_only, separators):
    text = json.dumps(value, ensure_ascii=ascii_only, separators=separators)
    redacted = redact(text)
    json.loads(redacted)  # raises if a rule broke the JSON
    with duckdb.connect() as con:
        in_sql = text
        for rule in REDACTION_RULES:
            in_sql = con.execute("SELECT regexp_replace(?, ?, ?, 'g')", [in_sql, rule.pattern, rule.replacement])
            in_sql = in_sql.fetchall()[0][0]
    assert in_sql == redacted


def every_text_value(home) -> str:
    """All text in every table of the warehouse, concatenated."""
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        tables = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
        ).fetchall()
        chunks = []
        for schema, table in tables:
            for row in con.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall():
                chunks.extend(str(value) for value in row)
    return "\n".join(chunks)


def test_a_planted_secret_is_absent_from_every_table(home, ingest):
    messages = list(SECRETS.values())
    events = [
        make_event("session_error", payload={"category": "authentication", "severity": "high", "message": m})
        for m in messages
    ]
    events.append(make_event("session_status", payload={"status": "failed", "reason": messages[2]}))
    events.append(make_event("session_warning", payload={"message": messages[0], "entity_id": "jane.doe@district12.k12.us"}))
    events.append(make_event("health_check", payload={"reachable": False, "message": messages[1]}))
    broken = json.dumps(make_event("session_error", payload={"category": "bogus", "message": messages[3]}))
    write_lines(home.landing, "secrets.ndjson", [json.dumps(e) for e in events] + [broken, messages[4]])
    report = ingest()
    assert report.events_inserted == len(events) and report.lines_quarantined == 2

    everything = every_text_value(home)
    for secret in SECRETS:
        assert secret not in everything
    assert "[REDACTED" in everything
    stored = query(home, "SELECT payload ->> '$.message' FROM raw.sync_events WHERE event_type = 'session_error'")
    assert ("401 with Authorization: [REDACTED]",) in stored


@given(st.text(alphabet=st.sampled_from(list("abcdefghijklmnopqrstuvwxyzKſİı@-_ :=\"\\")) | st.characters(), max_size=60))
def test_the_cheap_prefilter_lets_through_everything_the_redaction_regex_could_touch(text):
    import re

    from syncmon_pipeline.redaction import REDACTION_PREFILTER, may_hold_secrets

    if re.search(REDACTION_PREFILTER, text):
        assert may_hold_secrets(text)


@pytest.mark.parametrize("text", ["PASSWORD=x", "paſsword=x", "\u212aey=x", "Authorization: x", "a@b.co", "BeArEr x"])
def test_the_cheap_prefilter_knows_case_folded_spellings(text):
    from syncmon_pipeline.redaction import may_hold_secrets, redact

    assert may_hold_secrets(text)
