"""The v1 event contract: its JSON Schema and the vocabularies it names.

The schema file is the source of truth. Ingest enforces the same rules in
set-based SQL for speed (`syncmon_pipeline/ingest/classify_lines.sql`); a test
checks that the two agree on every mutation of a corpus of valid events.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema

SCHEMA_VERSION = 1

SCHEMA = json.loads(resources.files(__package__).joinpath("event_v1.schema.json").read_text("utf-8"))
_DEFS = SCHEMA["$defs"]

EVENT_TYPES: tuple[str, ...] = tuple(SCHEMA["properties"]["event_type"]["enum"])
SESSION_EVENT_TYPES: tuple[str, ...] = tuple(t for t in EVENT_TYPES if t.startswith("session_"))
SYNC_TYPES: tuple[str, ...] = tuple(_DEFS["session_created"]["properties"]["sync_type"]["enum"])
DIRECTIONS: tuple[str, ...] = tuple(_DEFS["session_created"]["properties"]["direction"]["enum"])
TRIGGERS: tuple[str, ...] = tuple(_DEFS["session_created"]["properties"]["triggered_by"]["enum"])
STATUSES: tuple[str, ...] = tuple(_DEFS["session_status"]["properties"]["status"]["enum"])
TERMINAL_STATUSES: tuple[str, ...] = (
    "completed",
    "completed_with_warnings",
    "partially_completed",
    "failed",
    "cancelled",
    "timed_out",
)
ERROR_CATEGORIES: tuple[str, ...] = tuple(_DEFS["session_error"]["properties"]["category"]["enum"])
ERROR_SEVERITIES: tuple[str, ...] = tuple(_DEFS["session_error"]["properties"]["severity"]["enum"])
CONFLICT_STRATEGIES: tuple[str, ...] = tuple(_DEFS["session_conflict"]["properties"]["strategy"]["enum"])
AUTH_STATUSES: tuple[str, ...] = tuple(
    s for s in _DEFS["health_check"]["properties"]["auth_status"]["enum"] if s is not None
)
PROGRESS_COUNTS: tuple[str, ...] = tuple(
    k for k in _DEFS["session_progress"]["properties"] if k.startswith("records_")
)
METRIC_FIELDS: tuple[str, ...] = tuple(_DEFS["session_metrics"]["properties"])

ALERT_TYPES: tuple[str, ...] = (
    "sync_failure",
    "performance_degradation",
    "high_error_rate",
    "integration_down",
    "data_quality_issue",
    "conflict_spike",
    "resource_exhaustion",
    "authentication_failure",
    "rate_limit_exceeded",
    "timeout_threshold",
)


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(SCHEMA)


def contract_errors(event: Any) -> list[str]:
    """Every way `event` breaks the v1 contract, as readable messages (empty when valid)."""
    errors = sorted(_validator().iter_errors(event), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path)) or '<event>'}: {e.message}" for e in errors]


def is_valid_event(event: Any) -> bool:
    return _validator().is_valid(event)
