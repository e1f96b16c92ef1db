"""What each command kind carries: its `args`, checked the same way when the API submits a command and
when the pipeline reads one (a file written by hand gets the same scrutiny as one from the API).

Only the shape and plain values are checked here; what needs the warehouse (does the alert exist?) or
Dagster (does the partition exist yet?) is checked where the command is applied, and a failure there
is a rejected outcome with its reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from syncmon_pipeline.reports.build import CUSTOM
from syncmon_pipeline.reports.settings import PERIODS, REPORT_TYPES

KINDS = ("acknowledge_alert", "resolve_alert", "add_silence", "expire_silence", "generate_report")
ALERT_KINDS = KINDS[:4]  # applied by the alert job, in the transaction of its evaluation
REPORT_KINDS = ("generate_report",)  # turned into report runs by report_request_sensor

SILENCE_ID = re.compile(r"^[0-9a-f]{12}$")
_PERIOD_KEY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_REPORT_NAME = re.compile(r"^[A-Za-z0-9_-]{1,40}$")  # the custom report's folder prefix (CustomReportConfig.name)
MAX_TEXT = 2000  # comments and titles: a sentence or two, not a document


def aware_time(value: object, field: str) -> datetime:
    """An ISO 8601 instant with an offset (a naive time would be read in some unknown zone)."""
    if not isinstance(value, str):
        raise ValueError(f"{field}: expected an ISO 8601 time string, got {type(value).__name__}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{field}: not an ISO 8601 time: {value!r}") from None
    if moment.tzinfo is None:
        raise ValueError(f"{field}: {value!r} has no UTC offset")
    return moment


def _text(args: Mapping[str, Any], field: str, *, required: bool = True, pattern: re.Pattern | None = None,
          max_chars: int = MAX_TEXT) -> str:  # fmt: skip
    value = args.get(field, None if required else "")
    if not isinstance(value, str) or (required and not value):
        raise ValueError(f"args.{field}: expected a {'non-empty ' if required else ''}string")
    if len(value) > max_chars:
        raise ValueError(f"args.{field}: longer than {max_chars} characters")
    if pattern is not None and not pattern.match(value):
        raise ValueError(f"args.{field}: {value!r} does not match {pattern.pattern}")
    return value


def _strings(args: Mapping[str, Any], field: str) -> list[str]:
    value = args.get(field, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"args.{field}: expected a list of non-empty strings")
    return list(value)


def _alert(args: Mapping[str, Any]) -> dict[str, Any]:
    return {"alert_id": _text(args, "alert_id", max_chars=64)}


def _add_silence(args: Mapping[str, Any]) -> dict[str, Any]:
    _text(args, "silence_id", pattern=SILENCE_ID)
    matchers = args.get("matchers")
    if not isinstance(matchers, dict) or not matchers:
        raise ValueError("args.matchers: expected a non-empty object of label: value")
    if not all(isinstance(k, str) and k and isinstance(v, str) for k, v in matchers.items()):
        raise ValueError("args.matchers: labels and values must be strings")
    silence_id = _text(args, "silence_id", pattern=SILENCE_ID)
    starts, ends = aware_time(args.get("starts_at"), "args.starts_at"), aware_time(args.get("ends_at"), "args.ends_at")
    if ends <= starts:
        raise ValueError("args.ends_at: a silence must end after it starts")
    return {
        "silence_id": silence_id, "matchers": dict(matchers),
        "starts_at": args["starts_at"], "ends_at": args["ends_at"], "comment": _text(args, "comment", required=False),
    }  # fmt: skip


def _expire_silence(args: Mapping[str, Any]) -> dict[str, Any]:
    return {"silence_id": _text(args, "silence_id", pattern=SILENCE_ID)}


def _generate_report(args: Mapping[str, Any]) -> dict[str, Any]:
    report_type = _text(args, "report_type", max_chars=40)
    if report_type == CUSTOM:
        for field in ("start", "end"):
            if args.get(field):
                aware_time(args[field], f"args.{field}")
        name = _text(args, "name", pattern=_REPORT_NAME) if args.get("name") else "custom"
        _only(args, _CUSTOM_FIELDS, "a custom report")
        return {
            "report_type": CUSTOM, "start": _text(args, "start", required=False),
            "end": _text(args, "end", required=False), "integrations": _strings(args, "integrations"),
            "entity_types": _strings(args, "entity_types"), "sections": _strings(args, "sections"),
            "name": name, "title": _text(args, "title", required=False),
        }  # fmt: skip
    if report_type not in REPORT_TYPES:
        raise ValueError(f"args.report_type: unknown report type {report_type!r}; one of"
                         f" {', '.join((*REPORT_TYPES, CUSTOM))}")  # fmt: skip
    _only(args, _PERIOD_FIELDS, "a period report")
    granularity = _text(args, "granularity", max_chars=20)
    if granularity not in PERIODS:
        raise ValueError(f"args.granularity: unknown period {granularity!r}; one of {', '.join(PERIODS)}")
    return {"report_type": report_type, "granularity": granularity,
            "period_key": _text(args, "period_key", pattern=_PERIOD_KEY)}  # fmt: skip


_PERIOD_FIELDS = frozenset({"report_type", "granularity", "period_key"})
_CUSTOM_FIELDS = frozenset({"report_type", "start", "end", "integrations", "entity_types", "sections", "name", "title"})


def _only(args: Mapping[str, Any], allowed: frozenset[str], what: str) -> None:
    unknown = sorted(set(args) - allowed)
    if unknown:
        raise ValueError(f"args: unknown field(s) {', '.join(map(str, unknown))} for {what}")


_FIELDS: dict[str, tuple[Callable[[Mapping[str, Any]], dict[str, Any]], frozenset[str]]] = {
    "acknowledge_alert": (_alert, frozenset({"alert_id"})),
    "resolve_alert": (_alert, frozenset({"alert_id"})),
    "add_silence": (_add_silence, frozenset({"silence_id", "matchers", "starts_at", "ends_at", "comment"})),
    "expire_silence": (_expire_silence, frozenset({"silence_id"})),
    "generate_report": (_generate_report, _PERIOD_FIELDS | _CUSTOM_FIELDS),
}


def validate_args(kind: str, args: object) -> dict[str, Any]:
    """The command's args, normalised; a ValueError names the first field that is wrong."""
    if kind not in KINDS:
        raise ValueError(f"unknown command kind {kind!r}; kinds are {', '.join(KINDS)}")
    if not isinstance(args, dict):
        raise ValueError(f"args: expected an object, got {type(args).__name__}")
    check, allowed = _FIELDS[kind]
    _only(args, allowed, kind)
    return check(args)
