"""The JSON Schema (the contract) and the SQL that enforces it at ingest agree on every mutation."""

from __future__ import annotations

import copy
import json

import duckdb
import pytest

from syncmon_pipeline import contract
from syncmon_pipeline.ingest.decode import decode_landing_file
from syncmon_pipeline.ingest.load import classify_text

from conftest import make_event

# 2**53 is the largest count the contract allows; the generated streams found that a larger one
# (e.g. a retry_count of 1.3e21) passed ingest and then broke every dbt model of the fleet. Measures
# go up to 1e15; the SQL quarantined memory_mb 1.65e308 that the schema allowed (they disagreed).
WRONG_VALUES = [None, 0, -1, 2.5, 3.0, True, "", "text", "x" * 10_001, [], ["a"], [1], {}, {"a": 1},
                2**53, 2**53 + 1, 2**64, 2**70, 1e21, 1e15, 1.0000001e15, 1.6e308]


def mutations(event: dict):
    """The event with each field, top-level and payload, removed or replaced by each wrong value."""
    for field in list(event):
        removed = copy.deepcopy(event)
        del removed[field]
        yield removed
        for value in WRONG_VALUES:
            changed = copy.deepcopy(event)
            changed[field] = value
            yield changed
    for field in list(event["payload"]) + ["unexpected_extra"]:
        removed = copy.deepcopy(event)
        removed["payload"].pop(field, None)
        yield removed
        for value in WRONG_VALUES:
            changed = copy.deepcopy(event)
            changed["payload"][field] = value
            yield changed


def sql_verdicts(lines: list[str]) -> list[str | None]:
    con = duckdb.connect()
    classify_text(con, [decode_landing_file("t.ndjson", ("\n".join(lines) + "\n").encode())], 1_048_576)
    return [r[0] for r in con.execute("SELECT reason FROM classified_lines ORDER BY line_no").fetchall()]


@pytest.mark.parametrize("event_type", contract.EVENT_TYPES)
def test_sql_checks_agree_with_the_json_schema(event_type):
    base = make_event(event_type)
    corpus = [base, *mutations(base)]
    verdicts = sql_verdicts([json.dumps(e) for e in corpus])
    disagreements = [
        (json.dumps(event)[:300], reason, contract.contract_errors(event)[:1])
        for event, reason in zip(corpus, verdicts, strict=True)
        if (reason is None) != contract.is_valid_event(event)
    ]
    assert not disagreements
    assert verdicts[0] is None
    assert sum(r is not None for r in verdicts) > len(corpus) // 3  # the mutations really break things


def test_vocabularies_come_from_the_schema():
    assert len(contract.EVENT_TYPES) == 8
    assert set(contract.TERMINAL_STATUSES) <= set(contract.STATUSES)
    assert len(contract.ALERT_TYPES) == 10


def test_contract_errors_explain_the_problem():
    errors = contract.contract_errors(make_event(payload={"status": "bogus"}))
    assert any("payload/status" in e for e in errors)
