"""The alerting vocabulary shared by rules, engine, channels and the Dagster shell.

Plain frozen dataclasses with no Dagster imports:

- `Observation`: a rule's finding that its condition holds for one integration at one evaluation time;
- `Alert`: the life of one alert (one fingerprint, from first firing to resolution);
- `Message`: what a notification says, independent of the channel that carries it;
- `Notification`: one message for one (channel, target), with a deterministic id so that the
  delivery ledger can guarantee at most one send per (fingerprint, transition, channel, recipient).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

SEVERITIES: tuple[str, ...] = ("info", "warning", "error", "critical")
Severity = Literal["info", "warning", "error", "critical"]
AlertStatus = Literal["pending", "firing", "acknowledged", "resolved"]
# Why a notification is sent. "repeat" and "escalation" happen more than once per alert: their
# `sequence` tells the occurrences apart. "held_back" is the summary of what a rate limit withheld.
Transition = Literal["firing", "repeat", "escalation", "resolved", "acknowledged", "held_back"]
ACTIVE_STATUSES: tuple[str, ...] = ("pending", "firing", "acknowledged")


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity)


def fingerprint_of(rule: str, integration_id: str, labels: Mapping[str, str]) -> str:
    """Alert identity: rule + integration + labels, stable across processes (16 hex chars)."""
    canonical = json.dumps([rule, integration_id, sorted(labels.items())], separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def stable_id(*parts: object) -> str:
    """A deterministic id from parts (e.g. a notification key), 24 hex chars."""
    canonical = json.dumps([str(p) for p in parts], separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:24]


@dataclass(frozen=True)
class Observation:
    """A rule's condition holds for an integration at `observed_at` (absent observation = condition clear)."""

    rule: str  # the rule's name; equals its alert type for the ten built-in rules
    alert_type: str
    integration_id: str
    provider: str
    observed_at: datetime  # the evaluation time (UTC, tz-aware)
    started_at: datetime  # when the evidence first showed (e.g. the first failed session's end)
    value: float | None  # the measured figure the threshold was compared with
    threshold: float | None
    summary: str  # one line for humans: "3 of 4 sessions failed in the last 60 min"
    labels: Mapping[str, str] = field(default_factory=dict)  # extra identity labels, e.g. {"metric": "p95"}
    # JSON-serialisable: {"session_ids": [...], "figures": {...}, "anomalies": [{...}], ...}
    evidence: Mapping[str, Any] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        return fingerprint_of(self.rule, self.integration_id, self.labels)


@dataclass(frozen=True)
class Alert:
    """One alert instance: a fingerprint from its first observation until it resolves."""

    alert_id: str  # stable_id(fingerprint, started_at): a new id each time the fingerprint fires again
    fingerprint: str
    rule: str
    alert_type: str
    severity: Severity
    integration_id: str
    provider: str
    labels: Mapping[str, str]
    status: AlertStatus
    started_at: datetime  # first evidence
    pending_since: datetime  # first evaluation that saw it
    fired_at: datetime | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None  # "condition cleared" or the operator who resolved it
    last_observed_at: datetime | None = None
    value: float | None = None
    threshold: float | None = None
    summary: str = ""
    evidence: Mapping[str, Any] = field(default_factory=dict)
    escalated_at: datetime | None = None
    escalation_count: int = 0
    silenced_by: str | None = None  # silence id or maintenance window name muting it now
    inhibited_by: str | None = None  # alert_id of the alert inhibiting it now


@dataclass(frozen=True)
class MessageAlert:
    """One alert as a message shows it."""

    alert_id: str
    alert_type: str
    severity: Severity
    status: AlertStatus
    integration_id: str
    provider: str
    summary: str
    started_at: datetime
    fired_at: datetime | None
    resolved_at: datetime | None
    value: float | None
    threshold: float | None
    labels: Mapping[str, str] = field(default_factory=dict)
    evidence: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Message:
    """What to say, independent of the channel: every formatter renders exactly this."""

    title: str  # "[FIRING:2] sync_failure powerschool-district-12"
    status: Literal["firing", "resolved"]
    severity: Severity  # the highest severity among the alerts
    transition: Transition
    group_key: str
    alerts: tuple[MessageAlert, ...]
    created_at: datetime
    text: str = ""  # an optional extra paragraph (escalation notice, held-back summary)
    links: tuple[tuple[str, str], ...] = ()  # (label, url)


@dataclass(frozen=True)
class Notification:
    """One message to one (channel, target); `notification_id` is the at-most-once key."""

    notification_id: str
    channel: str  # "email" or "webhook"
    target: str  # an e-mail address, or a webhook's name in the config
    transition: Transition
    sequence: int  # 0 for once-only transitions; n for the n-th repeat or escalation
    fingerprints: tuple[str, ...]
    alert_ids: tuple[str, ...]
    integration_id: str
    message: Message
    created_at: datetime


def notification_id_for(
    alert_ids: tuple[str, ...], transition: str, sequence: int, channel: str, target: str
) -> str:
    return stable_id(*sorted(alert_ids), transition, sequence, channel, target)


@dataclass(frozen=True)
class Silence:
    """Mutes alerts whose labels match every matcher, between `starts_at` and `ends_at` (Alertmanager-style).

    Matchers compare exact values against an alert's labels plus `alertname`/`alert_type`, `rule`,
    `integration_id`, `provider` and `severity`; a value starting with `~` is a full-match regex.
    """

    silence_id: str
    matchers: Mapping[str, str]
    starts_at: datetime
    ends_at: datetime
    author: str
    comment: str
    created_at: datetime
    expired_at: datetime | None = None  # set when an operator ends it early (unsilence)
