"""The `alerting` section of syncmon.yaml: rules, routes, escalation, webhooks, silencing and delivery.

Defaults follow Prometheus Alertmanager (group wait 30 s, group interval 5 min, repeat 4 h) and the
issue's operator defaults (suppression 15 min, 50 notifications per integration per hour, escalation
of critical alerts after 15 min and error alerts after 60 min). Out of the box every alert goes by
e-mail to a placeholder operator address, which lands in the outbox folder when no SMTP host is set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .catalog import RULE_CATALOG
from .model import Severity

_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_OPERATOR = "operator@syncmon.example"
DEFAULT_ESCALATION = "escalation@syncmon.example"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_emails(values: list[str]) -> list[str]:
    for value in values:
        if not _EMAIL.match(value):
            raise ValueError(f"not an e-mail address: {value!r}")
    return values


class RouteSettings(_Section):
    """Where and how often an alert's notifications go (an Alertmanager route with its receiver)."""

    channels: list[str] = Field(
        default_factory=lambda: ["email"],
        description='"email" and/or "webhook:<name>" (a webhook defined under alerting.webhooks).',
    )
    recipients: list[str] = Field(default_factory=lambda: [DEFAULT_OPERATOR])
    group_by: list[str] = Field(default_factory=lambda: ["integration_id"])
    group_wait_seconds: float = Field(30, ge=0)
    group_interval_seconds: float = Field(300, ge=0)
    repeat_interval_seconds: float = Field(4 * 3600, gt=0)
    send_resolved: bool = True

    @field_validator("recipients")
    @classmethod
    def _emails(cls, values: list[str]) -> list[str]:
        return _check_emails(values)

    @field_validator("channels")
    @classmethod
    def _known_channels(cls, values: list[str]) -> list[str]:
        for value in values:
            if value != "email" and not (value.startswith("webhook:") and len(value) > len("webhook:")):
                raise ValueError(f'unknown channel {value!r}: use "email" or "webhook:<name>"')
        return values


class RuleOverride(_Section):
    """Changes a rule for one provider or one integration (integration overrides win over provider ones)."""

    provider: str | None = None
    integration_id: str | None = None
    enabled: bool | None = None
    severity: Severity | None = None
    for_minutes: float | None = Field(None, ge=0)
    thresholds: dict[str, float] = Field(default_factory=dict)
    route: str | None = None

    @model_validator(mode="after")
    def _has_target(self) -> RuleOverride:
        if (self.provider is None) == (self.integration_id is None):
            raise ValueError("an override names exactly one of provider or integration_id")
        return self


class RuleSettings(_Section):
    enabled: bool = True
    severity: Severity | None = None  # None: the catalog's default
    for_minutes: float | None = Field(None, ge=0, description="How long the condition must hold before firing.")
    thresholds: dict[str, float] = Field(default_factory=dict)
    route: str = "default"
    overrides: list[RuleOverride] = Field(default_factory=list)


class EscalationSettings(_Section):
    """Unacknowledged alerts page these recipients after a delay per severity, again every delay until acked."""

    after_minutes: dict[Severity, float] = Field(default_factory=lambda: {"critical": 15.0, "error": 60.0})
    channels: list[str] = Field(default_factory=lambda: ["email"])
    recipients: list[str] = Field(default_factory=lambda: [DEFAULT_ESCALATION])

    @field_validator("recipients")
    @classmethod
    def _emails(cls, values: list[str]) -> list[str]:
        return _check_emails(values)

    @field_validator("after_minutes")
    @classmethod
    def _positive(cls, values: dict[str, float]) -> dict[str, float]:
        for severity, minutes in values.items():
            if minutes <= 0:
                raise ValueError(f"{severity}: must be greater than 0 minutes")
        return values


class WebhookSettings(_Section):
    url: str
    format: Literal["generic", "slack", "teams"] = "generic"
    timeout_seconds: float = Field(5.0, gt=0, le=60)
    # Header name -> name of the environment variable holding its value (secrets never live in this file).
    headers_from_env: dict[str, str] = Field(default_factory=dict)

    @field_validator("url")
    @classmethod
    def _http_only(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"only http(s) URLs with a host are allowed, got {value!r}")
        return value


class MaintenanceWindow(_Section):
    """A recurring window (local time in an IANA zone) during which matching alerts send nothing."""

    name: str
    matchers: dict[str, str] = Field(default_factory=dict, description="Label matchers; empty matches all.")
    timezone: str = "UTC"
    weekdays: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(
        default_factory=lambda: list(WEEKDAYS)
    )
    start: time = Field(description="Local start time, HH:MM.")
    duration_minutes: float = Field(gt=0, le=7 * 24 * 60)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value


class InhibitRule(_Section):
    """While a source alert fires, target alerts with equal labels send nothing (Alertmanager inhibit_rules)."""

    source_types: list[str]
    target_types: list[str]
    equal: list[str] = Field(default_factory=lambda: ["integration_id"])

    @field_validator("source_types", "target_types")
    @classmethod
    def _known_types(cls, values: list[str]) -> list[str]:
        for value in values:
            if value not in RULE_CATALOG:
                raise ValueError(f"unknown alert type {value!r}")
        return values


def _default_inhibitions() -> list[InhibitRule]:
    return [
        InhibitRule(
            source_types=["integration_down"],
            target_types=["sync_failure", "high_error_rate", "timeout_threshold", "performance_degradation",
                          "authentication_failure", "rate_limit_exceeded"],
        ),
        InhibitRule(source_types=["authentication_failure"], target_types=["sync_failure", "high_error_rate"]),
    ]


class DeliverySettings(_Section):
    max_attempts: int = Field(8, ge=1, le=100)
    backoff_initial_seconds: float = Field(30, gt=0)
    backoff_max_seconds: float = Field(3600, gt=0)
    smtp_timeout_seconds: float = Field(10, gt=0, le=120)
    webhook_allowed_hosts: list[str] = Field(
        default_factory=list, description="When not empty, webhooks may only go to these hosts."
    )
    max_seconds_per_run: float = Field(
        30, gt=0, description="A delivery run stops starting new sends after this long; the rest go next tick."
    )


class AlertingSettings(_Section):
    enabled: bool = True
    sensor_interval_seconds: int = Field(5, ge=1, le=60)
    evaluate_every_seconds: int = Field(
        60, ge=10, le=3600, description="Evaluate at least this often for time-based transitions."
    )
    suppression_window_minutes: float = Field(15, ge=0)
    rate_limit_per_hour: int = Field(50, ge=1)
    routes: dict[str, RouteSettings] = Field(default_factory=lambda: {"default": RouteSettings()})
    rules: dict[str, RuleSettings] = Field(default_factory=dict)
    escalation: EscalationSettings = EscalationSettings()
    webhooks: dict[str, WebhookSettings] = Field(default_factory=dict)
    maintenance_windows: list[MaintenanceWindow] = Field(default_factory=list)
    inhibitions: list[InhibitRule] = Field(default_factory=_default_inhibitions)
    delivery: DeliverySettings = DeliverySettings()
    dagster_ui_url: str = Field("http://127.0.0.1:3000", description="Linked from notifications.")

    @field_validator("rules")
    @classmethod
    def _known_rules(cls, rules: dict[str, RuleSettings]) -> dict[str, RuleSettings]:
        for name, rule in rules.items():
            if name not in RULE_CATALOG:
                raise ValueError(f"unknown rule {name!r}; rules are {', '.join(RULE_CATALOG)}")
            known = RULE_CATALOG[name].thresholds
            for where, thresholds in [("thresholds", rule.thresholds)] + [
                (f"overrides[{i}].thresholds", o.thresholds) for i, o in enumerate(rule.overrides)
            ]:
                for key in thresholds:
                    if key not in known:
                        raise ValueError(f"{name}.{where}: unknown threshold {key!r}; known: {', '.join(known)}")
        return rules

    @model_validator(mode="after")
    def _references_exist(self) -> AlertingSettings:
        for name, rule in self.rules.items():
            for where, route in [("route", rule.route)] + [
                (f"overrides[{i}].route", o.route) for i, o in enumerate(rule.overrides) if o.route
            ]:
                if route not in self.routes:
                    raise ValueError(f"rules.{name}.{where}: no route named {route!r} under alerting.routes")
        if "default" not in self.routes:
            raise ValueError("routes: a route named 'default' is required")
        channel_lists = [(f"routes.{n}.channels", r.channels) for n, r in self.routes.items()]
        channel_lists.append(("escalation.channels", self.escalation.channels))
        for where, channels in channel_lists:
            for channel in channels:
                if channel.startswith("webhook:") and channel[len("webhook:"):] not in self.webhooks:
                    raise ValueError(f"{where}: no webhook named {channel[len('webhook:'):]!r} under alerting.webhooks")
        return self

    def rule(self, name: str, *, provider: str, integration_id: str) -> EffectiveRule:
        """The rule as it applies to one integration: catalog defaults < rule < provider < integration."""
        spec = RULE_CATALOG[name]
        configured = self.rules.get(name, RuleSettings())
        enabled, severity = configured.enabled, configured.severity or spec.severity
        for_minutes = spec.for_minutes if configured.for_minutes is None else configured.for_minutes
        thresholds = {**spec.thresholds, **configured.thresholds}
        route = configured.route
        matching = [o for o in configured.overrides if o.provider == provider] + [
            o for o in configured.overrides if o.integration_id == integration_id
        ]
        for override in matching:
            enabled = enabled if override.enabled is None else override.enabled
            severity = override.severity or severity
            for_minutes = for_minutes if override.for_minutes is None else override.for_minutes
            thresholds.update(override.thresholds)
            route = override.route or route
        return EffectiveRule(name, enabled, severity, for_minutes, thresholds, route)


@dataclass(frozen=True)
class EffectiveRule:
    name: str
    enabled: bool
    severity: str
    for_minutes: float
    thresholds: dict[str, float]
    route: str
