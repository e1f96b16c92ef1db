"""What the alert engine says, when and to whom: one pass after every engine call.

Pure: works on the engine's `Draft` at an explicit `now`. The semantics are described below.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from . import muting
from .engine_state import RATE_WINDOW, Draft, EngineState, FingerprintMemory, GroupState, HeldBack, prune
from .model import (
    ACTIVE_STATUSES, Alert, Message, MessageAlert, Notification, notification_id_for, severity_rank,
)
from .settings import AlertingSettings, RouteSettings


@dataclass(frozen=True)
class EngineResult:
    state: EngineState
    notifications: tuple[Notification, ...]
    changed: tuple[Alert, ...]  # alerts created or changed by this call, for the shell's alert table
    next_wakeup: datetime | None  # earliest time a time-based transition can happen; None: nothing scheduled
    held_back: Mapping[str, int] = field(default_factory=dict)  # integration -> messages withheld, not yet summarised


# One pass after every call. Group messages follow Alertmanager:
# - Group key = route name + the values of the route's group_by labels (default integration_id).
# - Group wait: a group that has never notified speaks no earlier than the earliest started_at of
#   the alerts it announces + group_wait. Alertmanager counts from when the alert reaches it;
#   syncmon counts from first evidence, because it evaluates in batches after ingest and must not
#   add the ingest delay twice. An alert whose `for` outlasts group_wait therefore notifies as
#   soon as it fires.
# - Group interval: once a group has notified, news (newly firing alerts, resolutions) waits until
#   last notification + group_interval, then goes out together.
# - Repeat: with no news, a group with firing, unacknowledged, already notified alerts notifies
#   them again repeat_interval after its last notification (transition "repeat", sequence n).
# - A resolution by hand (`resolve`) is said at once, outside the group's timing: the operator
#   expects the team to hear it now. It does not reset the group's timers (nor do escalations).
# - Each alert is announced in exactly one "firing" message (which lists only the newly firing
#   alerts; the text mentions how many others still fire), and each announced alert in one
#   "resolved" message if the route sends resolved. An alert never announced sends no resolved.
#   "acknowledged" is recorded on the alert (the shell's table) but not notified.
# Suppression window: a fingerprint is announced at most once per window. A flapping condition
#   (fire -> resolve -> fire within the window) opens a new alert, but its announcement waits until
#   the window since the previous announcement has passed, and happens only if it still fires
#   then; if it resolves before, nothing is sent for it. Resolved messages are never suppressed:
#   they pair with announcements, and dropping one would leave operators believing it still fires.
# Muting (silences, maintenance windows, inhibition, see `muting`): a muted alert still changes
#   state but is left out of every message; what it missed is sent when the mute ends and it
#   still matters (an announcement if it never notified, a resolved if it was announced). Repeats
#   and escalations due while muted are skipped, not queued.
# Escalation (PagerDuty): a firing, unacknowledged, unmuted alert whose severity has an
#   escalation delay pages the escalation targets that long after it was first announced, then
#   again every delay until acknowledged or resolved (transition "escalation", sequence 1, 2, ...;
#   a late evaluation sends one escalation, not a burst). Counting from the announcement rather
#   than fired_at means "nobody acknowledged within N minutes of being told" — so an alert that
#   fired during a maintenance window does not page the moment the window ends. The resolved
#   message of an escalated alert also goes to the escalation targets.
# Rate limit: at most rate_limit_per_hour messages (group messages, not recipients) per
#   integration in any rolling hour. A message over the limit is not sent but counted: alerts,
#   targets and transitions go into `held_back`, and it counts as delivered for grouping. When the
#   hour frees a slot, one "held_back" summary (sequence n per integration) goes to every target
#   that missed something, listing the alerts with their current status; it uses that slot.
# Fan-out: one Notification per (channel, target): "email" -> one per recipient, "webhook:<name>"
#   -> ("webhook", name); notification_id = notification_id_for(alert_ids, transition, sequence,
#   channel, target), unique because every message carries a new alert set or a new sequence.


@dataclass(frozen=True)
class _Planned:
    """One message before rate limiting and fan-out."""

    transition: str
    sequence: int
    group_key: str
    alerts: tuple[Alert, ...]
    targets: tuple[tuple[str, str], ...]
    title: str
    text: str = ""

    @property
    def integration_id(self) -> str:
        integrations = {a.integration_id for a in self.alerts}
        return integrations.pop() if len(integrations) == 1 else "*"


def settle(before: EngineState, draft: Draft, now: datetime, settings: AlertingSettings) -> EngineResult:
    window = timedelta(minutes=settings.suppression_window_minutes)
    _apply_mutes(draft, now, settings)
    members: dict[str, list[str]] = {}
    for alert_id, book in sorted(draft.books.items()):
        members.setdefault(book.group_key, []).append(alert_id)
    planned: list[_Planned] = []
    for group_key, ids in sorted(members.items()):
        planned += _flush_group(draft, group_key, ids, now, window, settings)
    planned += _escalate(draft, now, settings)
    _dispatch(draft, planned, now, settings)
    changed = tuple(alert for alert_id, alert in sorted(draft.alerts.items()) if before.alerts.get(alert_id) != alert)
    for alert in draft.alerts.values():
        if alert.status == "pending":
            rule = settings.rule(alert.rule, provider=alert.provider, integration_id=alert.integration_id)
            draft.wakeups.append(alert.started_at + timedelta(minutes=rule.for_minutes))
    for memory in draft.memory.values():
        if memory.manually_resolved and memory.resolved_at is not None and memory.resolved_at + window > now:
            draft.wakeups.append(memory.resolved_at + window)  # the condition may still hold: re-open then
    prune(draft, now, window, lambda alert_id: _awaits_resolved(draft, alert_id, settings))
    held = {integration: h.count for integration, h in sorted(draft.held_back.items())}
    return EngineResult(draft.freeze(), tuple(draft.notifications), changed, min(draft.wakeups, default=None), held)


def _route(settings: AlertingSettings, name: str) -> RouteSettings:
    return settings.routes.get(name) or settings.routes["default"]  # a route removed from config: default


def _muted(alert: Alert) -> bool:
    return alert.silenced_by is not None or alert.inhibited_by is not None


def _awaits_resolved(draft: Draft, alert_id: str, settings: AlertingSettings) -> bool:
    alert, book = draft.alerts[alert_id], draft.books[alert_id]
    return (alert.status == "resolved" and book.notified_at is not None and not book.resolved_notified
            and _route(settings, book.route).send_resolved)


def _apply_mutes(draft: Draft, now: datetime, settings: AlertingSettings) -> None:
    silences = list(draft.silences.values())
    open_alerts = [a for a in draft.alerts.values() if a.status in ACTIVE_STATUSES]
    for alert_id, alert in sorted(draft.alerts.items()):
        if alert.status == "resolved" and not _awaits_resolved(draft, alert_id, settings):
            continue  # history: keep what muted it when it resolved
        silenced_by, until = muting.mute_of(alert, now, silences, settings.maintenance_windows)
        inhibited_by = muting.inhibitor_of(alert, open_alerts, settings.inhibitions)
        if until is not None and alert.status in ("firing", "resolved"):
            draft.wakeups.append(until)  # it may have something to say when the mute ends
        if (silenced_by, inhibited_by) != (alert.silenced_by, alert.inhibited_by):
            draft.alerts[alert_id] = replace(alert, silenced_by=silenced_by, inhibited_by=inhibited_by)


def _flush_group(
    draft: Draft, group_key: str, ids: list[str], now: datetime, window: timedelta, settings: AlertingSettings
) -> list[_Planned]:
    first = draft.books[ids[0]]
    group = draft.groups.get(group_key) or GroupState(group_key, first.route, dict(first.group_labels))
    route = _route(settings, group.route)
    fresh: list[Alert] = []  # firing, never announced
    told: list[Alert] = []  # firing (not acknowledged), announced
    resolved: list[Alert] = []  # announced, resolved, not yet said so
    for alert_id in ids:
        alert, book = draft.alerts[alert_id], draft.books[alert_id]
        if _muted(alert):
            continue
        if alert.status == "firing" and book.notified_at is None:
            memory = draft.memory.get(alert.fingerprint)
            quiet_until = memory.firing_notified_at + window if memory and memory.firing_notified_at else now
            if now < quiet_until:
                draft.wakeups.append(quiet_until)  # announced within the window already: wait for its end
            else:
                fresh.append(alert)
        elif alert.status == "firing":
            told.append(alert)
        elif _awaits_resolved(draft, alert_id, settings):
            resolved.append(alert)
    planned: list[_Planned] = []
    targets = _targets(route.channels, route.recipients)
    scope = ", ".join(v for v in group.labels.values() if v) or group.route
    if fresh or resolved:
        if group.last_notified_at is None:
            due = min(a.started_at for a in fresh + resolved) + timedelta(seconds=route.group_wait_seconds)
        else:
            due = group.last_notified_at + timedelta(seconds=route.group_interval_seconds)
        if now < due:
            # An operator's resolution is said now, outside the group's timing (like escalations);
            # the rest waits for the group.
            by_hand = [a for a in resolved if a.alert_id in draft.resolved_by_hand]
            if by_hand:
                planned.append(_planned("resolved", 0, group_key, scope, by_hand,
                                        _resolved_targets(by_hand, targets, settings), "[RESOLVED]"))
                _mark(draft, by_hand, resolved_notified=True)
            if len(by_hand) < len(fresh) + len(resolved):
                draft.wakeups.append(due)
        else:
            if fresh:
                text = f"{len(told)} other unacknowledged alert(s) in this group are still firing." if told else ""
                planned.append(_planned("firing", 0, group_key, scope, fresh, targets, f"[FIRING:{len(fresh)}]", text))
                _mark(draft, fresh, notified_at=now)
                for alert in fresh:
                    memory = draft.memory.get(alert.fingerprint) or FingerprintMemory()
                    draft.memory[alert.fingerprint] = replace(memory, firing_notified_at=now)
            if resolved:
                planned.append(_planned("resolved", 0, group_key, scope, resolved,
                                        _resolved_targets(resolved, targets, settings), "[RESOLVED]"))
                _mark(draft, resolved, resolved_notified=True)
            group = replace(group, last_notified_at=now)
            told += fresh
    elif told and group.last_notified_at is not None:
        if now >= group.last_notified_at + timedelta(seconds=route.repeat_interval_seconds):
            group = replace(group, last_notified_at=now, repeat_count=group.repeat_count + 1)
            text = f"Reminder {group.repeat_count}: still firing and not acknowledged."
            planned.append(_planned("repeat", group.repeat_count, group_key, scope, told, targets,
                                    f"[STILL FIRING:{len(told)}]", text))
    if told and group.last_notified_at is not None:
        draft.wakeups.append(group.last_notified_at + timedelta(seconds=route.repeat_interval_seconds))
    draft.groups[group_key] = group
    return planned


def _mark(draft: Draft, alerts: Sequence[Alert], **changes: object) -> None:
    for alert in alerts:
        draft.books[alert.alert_id] = replace(draft.books[alert.alert_id], **changes)  # type: ignore[arg-type]


def _escalate(draft: Draft, now: datetime, settings: AlertingSettings) -> list[_Planned]:
    escalation = settings.escalation
    targets = _targets(escalation.channels, escalation.recipients)
    planned: list[_Planned] = []
    for alert_id, alert in sorted(draft.alerts.items()):
        book = draft.books[alert_id]
        minutes = escalation.after_minutes.get(alert.severity)  # type: ignore[call-overload]
        if minutes is None or alert.status != "firing" or book.notified_at is None or _muted(alert):
            continue
        step = timedelta(minutes=minutes)
        due = (alert.escalated_at or book.notified_at) + step
        if now >= due:
            alert = replace(alert, escalated_at=now, escalation_count=alert.escalation_count + 1)
            draft.alerts[alert_id] = alert
            text = (f"Escalation {alert.escalation_count}: firing since {alert.fired_at:%Y-%m-%d %H:%M} UTC and "
                    f"not acknowledged {minutes:g} minutes after the last notice.")
            planned.append(_planned("escalation", alert.escalation_count, book.group_key, alert.integration_id,
                                    [alert], targets, f"[ESCALATION {alert.escalation_count}]", text))
            due = now + step
        draft.wakeups.append(due)
    return planned


def _dispatch(draft: Draft, planned: list[_Planned], now: datetime, settings: AlertingSettings) -> None:
    """Apply the per-integration rate limit and fan the messages out (held-back summary first)."""
    limit = settings.rate_limit_per_hour
    for integration in sorted({p.integration_id for p in planned} | set(draft.held_back)):
        log = [t for t in draft.sent_log.get(integration, ()) if now - t < RATE_WINDOW]
        held = draft.held_back.get(integration)
        if held is not None and len(log) < limit:
            sequence = draft.summaries_sent.get(integration, 0) + 1
            draft.summaries_sent[integration] = sequence
            del draft.held_back[integration]
            draft.notifications += _fan_out(_summary(draft, integration, held, sequence, settings), now, settings)
            log.append(now)
        for message in (p for p in planned if p.integration_id == integration):
            if len(log) < limit:
                draft.notifications += _fan_out(message, now, settings)
                log.append(now)
            else:
                draft.held_back[integration] = _hold(draft.held_back.get(integration), message, now)
        draft.sent_log[integration] = tuple(log)
        if integration in draft.held_back:
            draft.wakeups.append(log[len(log) - limit] + RATE_WINDOW)  # when the hour frees a slot


def _hold(held: HeldBack | None, message: _Planned, now: datetime) -> HeldBack:
    held = held or HeldBack(count=0, since=now, by_transition={}, alert_ids=(), targets=())
    by_transition = dict(held.by_transition)
    by_transition[message.transition] = by_transition.get(message.transition, 0) + 1
    return HeldBack(
        count=held.count + 1,
        since=held.since,
        by_transition=dict(sorted(by_transition.items())),
        alert_ids=tuple(sorted(set(held.alert_ids) | {a.alert_id for a in message.alerts})),
        targets=tuple(sorted(set(held.targets) | set(message.targets))),
    )


def _summary(draft: Draft, integration: str, held: HeldBack, sequence: int, settings: AlertingSettings) -> _Planned:
    alerts = [draft.alerts[alert_id] for alert_id in held.alert_ids]  # pruning keeps held alerts
    kinds = ", ".join(f"{n} {transition}" for transition, n in held.by_transition.items())
    text = (f"The rate limit of {settings.rate_limit_per_hour} messages per hour for {integration} held back "
            f"{held.count} message(s) since {held.since:%Y-%m-%d %H:%M} UTC ({kinds}). "
            "The alerts they concerned are listed with their current status.")
    return _planned("held_back", sequence, f'rate_limit{{integration_id="{integration}"}}', integration, alerts,
                    held.targets, f"[HELD BACK:{held.count}]", text)


def _resolved_targets(
    alerts: Sequence[Alert], targets: tuple[tuple[str, str], ...], settings: AlertingSettings
) -> tuple[tuple[str, str], ...]:
    """Whoever was paged hears that it is over: escalation targets too, if any of the alerts escalated."""
    if not any(a.escalation_count for a in alerts):
        return targets
    escalation = settings.escalation
    return tuple(sorted(set(targets) | set(_targets(escalation.channels, escalation.recipients))))


def _targets(channels: Sequence[str], recipients: Sequence[str]) -> tuple[tuple[str, str], ...]:
    targets: set[tuple[str, str]] = set()
    for channel in channels:
        if channel == "email":
            targets.update(("email", recipient) for recipient in recipients)
        else:
            targets.add(("webhook", channel.removeprefix("webhook:")))
    return tuple(sorted(targets))


def _planned(
    transition: str, sequence: int, group_key: str, scope: str, alerts: Sequence[Alert],
    targets: tuple[tuple[str, str], ...], tag: str, text: str = "",
) -> _Planned:
    ordered = tuple(sorted(
        alerts, key=lambda a: (-severity_rank(a.severity), a.alert_type, a.integration_id, a.alert_id)
    ))
    types = ", ".join(sorted({a.alert_type for a in ordered}))
    return _Planned(transition, sequence, group_key, ordered, targets, f"{tag} {types} — {scope}", text)


def _fan_out(planned: _Planned, now: datetime, settings: AlertingSettings) -> list[Notification]:
    alerts = planned.alerts
    active = any(a.status in ACTIVE_STATUSES for a in alerts)
    resolved = planned.transition == "resolved" or (planned.transition == "held_back" and not active)
    message = Message(
        title=planned.title,
        status="resolved" if resolved else "firing",
        severity=max((a.severity for a in alerts), key=severity_rank),
        transition=planned.transition,  # type: ignore[arg-type]
        group_key=planned.group_key,
        alerts=tuple(_message_alert(a) for a in alerts),
        created_at=now,
        text=planned.text,
        links=(("Dagster UI", settings.dagster_ui_url),),
    )
    alert_ids = tuple(sorted(a.alert_id for a in alerts))
    fingerprints = tuple(sorted({a.fingerprint for a in alerts}))
    return [
        Notification(
            notification_id=notification_id_for(alert_ids, planned.transition, planned.sequence, channel, target),
            channel=channel,
            target=target,
            transition=planned.transition,  # type: ignore[arg-type]
            sequence=planned.sequence,
            fingerprints=fingerprints,
            alert_ids=alert_ids,
            integration_id=planned.integration_id,
            message=message,
            created_at=now,
        )
        for channel, target in planned.targets
    ]


def _message_alert(alert: Alert) -> MessageAlert:
    return MessageAlert(
        alert_id=alert.alert_id,
        alert_type=alert.alert_type,
        severity=alert.severity,
        status=alert.status,
        integration_id=alert.integration_id,
        provider=alert.provider,
        summary=alert.summary,
        started_at=alert.started_at,
        fired_at=alert.fired_at,
        resolved_at=alert.resolved_at,
        value=alert.value,
        threshold=alert.threshold,
        labels=dict(alert.labels),
        evidence=alert.evidence,
    )
