"""Backtest: replay the rules over history through the real engine, sending nothing.

The rules are observed at every tick of [since, until] in one set-based pass (`observe`), then the
observations are fed tick by tick to `engine.evaluate`, starting from an empty state, exactly as the
alert sensor would have fed them. The engine's decisions (alerts fired and resolved, notifications
it would have sent, messages its rate limit would have held back) are collected, never delivered.
This is how an operator tunes a rule before enabling it: `syncmon alerts backtest --rule R`.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta

import duckdb

from . import engine
from .catalog import RULE_CATALOG
from .model import Alert, Observation
from .observations import observe_isolated
from .settings import AlertingSettings


@dataclass(frozen=True)
class BacktestAlert:
    """One alert the replay opened: when it fired and resolved, and what it would have sent."""

    alert_id: str
    rule: str
    integration_id: str
    provider: str
    severity: str
    started_at: datetime  # first evidence
    fired_at: datetime | None
    resolved_at: datetime | None  # None: still open at the end of the replay
    resolved_by: str | None
    notifications: int  # notifications naming this alert (a grouped message counts for each alert in it)
    summary: str  # the rule's last summary while the alert was open
    value: float | None
    threshold: float | None


@dataclass(frozen=True)
class BacktestReport:
    since: datetime
    until: datetime
    step: timedelta
    rules: tuple[str, ...]
    ticks: int
    observations: int
    alerts: tuple[BacktestAlert, ...]  # alerts that fired, by fired_at
    never_fired: int  # alerts that cleared while pending (only with a pending duration, `for`)
    notifications: int  # distinct notifications (one per channel and recipient)
    notifications_by_transition: Mapping[str, int] = field(default_factory=dict)
    held_back: int = 0  # messages the per-integration rate limit would have withheld (and summarised)
    skipped: tuple[str, ...] = ()  # (rule, integration) pairs the replay could not evaluate, and why

    def by_rule(self) -> dict[str, dict[str, int]]:
        """Per rule: alerts fired, integrations concerned, notifications naming its alerts."""
        def zero() -> dict[str, int]:
            return {"alerts": 0, "integrations": 0, "notifications": 0}

        totals = {rule: zero() for rule in self.rules}
        integrations: dict[str, set[str]] = defaultdict(set)
        for alert in self.alerts:
            row = totals.setdefault(alert.rule, zero())
            row["alerts"] += 1
            row["notifications"] += alert.notifications
            integrations[alert.rule].add(alert.integration_id)
        for rule, seen in integrations.items():
            totals[rule]["integrations"] = len(seen)
        return totals

    def render(self) -> str:
        """A table of the alerts (fired, resolved, notifications) and the totals per rule."""
        lines = [
            f"backtest {self.since:%Y-%m-%d %H:%M} -> {self.until:%Y-%m-%d %H:%M} UTC, every {_duration(self.step)}"
            f" ({self.ticks:,} evaluations, {self.observations:,} observations); nothing was sent",
            "",
        ]
        header = ("rule", "integration", "severity", "fired_at", "resolved_at", "lasted", "notif.", "summary")
        rows = [
            (a.rule, a.integration_id, a.severity, _moment(a.fired_at), _moment(a.resolved_at) or "(still firing)",
             _duration(((a.resolved_at or self.until) - a.fired_at) if a.fired_at else timedelta(0)),
             str(a.notifications), _clip(a.summary, 70))
            for a in self.alerts
        ]  # fmt: skip
        lines += _table(header, rows) if rows else ["(no alert would have fired)"]
        lines += ["", "totals per rule:"]
        totals = [(rule, str(t["alerts"]), str(t["integrations"]), str(t["notifications"]))
                  for rule, t in self.by_rule().items()]
        lines += _table(("rule", "alerts", "integrations", "notifications"), totals)
        transitions = ", ".join(f"{k} {v}" for k, v in sorted(self.notifications_by_transition.items())) or "none"
        lines += [
            "",
            f"alerts fired: {len(self.alerts)} (cleared before firing: {self.never_fired})",
            f"notifications that would have been sent: {self.notifications} ({transitions})",
            f"messages held back by the rate limit: {self.held_back}",
            *[f"skipped: {reason}" for reason in self.skipped],
        ]
        return "\n".join(lines)

    def to_json(self) -> str:
        body = {
            "since": self.since, "until": self.until, "step_seconds": self.step.total_seconds(),
            "rules": list(self.rules), "ticks": self.ticks, "observations": self.observations,
            "alerts": [asdict(a) for a in self.alerts], "never_fired": self.never_fired,
            "notifications": self.notifications,
            "notifications_by_transition": dict(self.notifications_by_transition),
            "held_back": self.held_back, "by_rule": self.by_rule(), "skipped": list(self.skipped),
        }  # fmt: skip
        return json.dumps(body, indent=2, default=_json_default)


def backtest(
    con: duckdb.DuckDBPyConnection,
    *,
    since: datetime,
    until: datetime,
    step: timedelta,
    settings: AlertingSettings,
    rule: str | None = None,
) -> BacktestReport:
    """Replay the rules (or one `rule`, enabled for the replay even if the config disables it) over
    [since, until] every `step`. With one rule, inhibition by the other rules' alerts does not apply."""
    if step <= timedelta(0):
        raise ValueError(f"step must be positive, got {step}")
    if since.tzinfo is None or until.tzinfo is None:
        raise ValueError("since and until must be timezone-aware")
    if until < since:
        raise ValueError("until must not be before since")
    if rule is not None and rule not in RULE_CATALOG:
        raise ValueError(f"unknown rule {rule!r}; rules are {', '.join(RULE_CATALOG)}")
    if rule is not None:
        settings = _with_rule_enabled(settings, rule)
    ticks = replay_ticks(since, until, step)
    rules = (rule,) if rule else tuple(RULE_CATALOG)
    observed = observe_isolated(con, ticks, settings, rules=rules)
    report = replay(observed.observations, ticks, settings, since=since, until=until, step=step, rules=rules)
    return replace(report, skipped=tuple(f.describe() for f in observed.failures))


def replay_ticks(since: datetime, until: datetime, step: timedelta) -> list[datetime]:
    since, until = since.astimezone(UTC), until.astimezone(UTC)
    count = int((until - since) / step)
    return [since + i * step for i in range(count + 1)]


def replay(
    observations: Sequence[Observation],
    ticks: Sequence[datetime],
    settings: AlertingSettings,
    *,
    since: datetime,
    until: datetime,
    step: timedelta,
    rules: Sequence[str],
) -> BacktestReport:
    """Feed `observations` to the engine tick by tick from an empty state and collect its decisions."""
    by_tick: dict[datetime, list[Observation]] = defaultdict(list)
    for observation in observations:
        by_tick[observation.observed_at].append(observation)
    state = engine.EngineState.empty()
    alerts: dict[str, Alert] = {}
    sent: dict[str, tuple[str, ...]] = {}  # notification id -> alert ids (ids are stable: count each once)
    transitions: Counter[str] = Counter()
    held_before: dict[str, int] = {}
    held_back = 0
    for tick in ticks:
        result = engine.evaluate(state, by_tick.get(tick, ()), tick, settings)
        state = result.state
        for alert in result.changed:
            alerts[alert.alert_id] = alert
        for notification in result.notifications:
            if notification.notification_id not in sent:
                sent[notification.notification_id] = notification.alert_ids
                transitions[notification.transition] += 1
        for integration, count in result.held_back.items():
            before = held_before.get(integration, 0)
            held_back += count - before if count >= before else count  # a summary went out: counting restarts
        held_before = dict(result.held_back)
    per_alert: Counter[str] = Counter(a for ids in sent.values() for a in ids)
    fired = sorted(
        (a for a in alerts.values() if a.fired_at is not None), key=lambda a: (a.fired_at, a.rule, a.integration_id)
    )
    return BacktestReport(
        since=since.astimezone(UTC),
        until=until.astimezone(UTC),
        step=step,
        rules=tuple(rules),
        ticks=len(ticks),
        observations=len(observations),
        alerts=tuple(_reported(a, per_alert[a.alert_id]) for a in fired),
        never_fired=sum(1 for a in alerts.values() if a.fired_at is None and a.status == "resolved"),
        notifications=len(sent),
        notifications_by_transition=dict(transitions),
        held_back=held_back,
    )


def _reported(alert: Alert, notifications: int) -> BacktestAlert:
    return BacktestAlert(
        alert_id=alert.alert_id, rule=alert.rule, integration_id=alert.integration_id, provider=alert.provider,
        severity=alert.severity, started_at=alert.started_at, fired_at=alert.fired_at,
        resolved_at=alert.resolved_at, resolved_by=alert.resolved_by, notifications=notifications,
        summary=alert.summary, value=alert.value, threshold=alert.threshold,
    )  # fmt: skip


def _with_rule_enabled(settings: AlertingSettings, rule: str) -> AlertingSettings:
    """The settings with `rule` switched on at rule level (per-integration overrides still apply)."""
    configured = settings.rules.get(rule)
    if configured is None or configured.enabled:
        return settings
    rules = {**settings.rules, rule: configured.model_copy(update={"enabled": True})}
    return settings.model_copy(update={"rules": rules})


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return [fmt.format(*header).rstrip(), fmt.format(*("-" * w for w in widths))] + [
        fmt.format(*row).rstrip() for row in rows
    ]


def _moment(value: datetime | None) -> str:
    return f"{value.astimezone(UTC):%Y-%m-%d %H:%M}" if value else ""


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours < 48 else f"{hours // 24}d{hours % 24:02d}h"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return str(value)
