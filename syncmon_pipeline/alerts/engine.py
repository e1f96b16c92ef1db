"""The alert engine: a pure function of (state, observations, now, settings) -> (state, notifications).

No Dagster, no clock, no I/O: `now` is always an argument (tz-aware; normalised to UTC), so every
rule is replayable and the backtest runs the same code as production. The public calls below
decide the lifecycle; `engine_notify.settle` decides what is said, when and to whom, in the same
pass for every call.

Lifecycle (per fingerprint = rule + integration + labels; at most one open alert per fingerprint):
- Observations are the conditions that hold now; a fingerprint absent from `evaluate`'s
  observations has cleared. Observations of disabled rules are ignored, so an open alert of a rule
  that gets disabled resolves (resolved_by "rule disabled").
- A new fingerprint opens a pending alert, alert_id = stable_id(fingerprint, started_at), where
  started_at is the observation's first evidence. It fires when now - started_at >= for_minutes
  (fired_at = now), so replaying history answers as live evaluation did.
- A pending alert that clears is closed silently: it appears once more in `changed` as resolved
  with resolved_by "condition cleared before firing" (the shell's table must not keep a stale
  pending row), then leaves the state. It never notified, so nothing is sent.
- A firing or acknowledged alert that clears resolves (resolved_by "condition cleared").
- Evidence follows the latest observation while pending, freezes when the alert fires (the
  evidence that made it fire) and afterwards only gains later session ids, capped at
  MAX_SESSION_IDS; value, threshold, summary and last_observed_at always follow the latest.
- `acknowledge` stops repeats and escalation. `resolve` closes an alert by hand; the fingerprint
  then stays quiet for the suppression window, and if its condition still holds after that a new
  alert opens (Alertmanager would re-fire at once; an operator who just resolved it would not
  want that).
- A reopened fingerprint's started_at is never earlier than its previous alert's resolution, so
  a rule that reports the same old first evidence cannot reopen the old alert under its old id.
- `evaluate` is the only call that opens, promotes or clears alerts; the other calls change one
  alert or silence and then run the same notification pass (which may send what has come due).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from . import muting
from .engine_notify import EngineResult, settle
from .engine_state import AlertBook, Draft, EngineState, FingerprintMemory, jsonable
from .model import ACTIVE_STATUSES, Alert, Observation, Silence, stable_id
from .settings import AlertingSettings, EffectiveRule

__all__ = ["EngineResult", "EngineState", "acknowledge", "add_silence", "evaluate", "expire_silence", "resolve"]

MAX_SESSION_IDS = 50  # evidence stays readable and the state bounded


def evaluate(
    state: EngineState, observations: Sequence[Observation], now: datetime, settings: AlertingSettings
) -> EngineResult:
    """Fold the conditions holding at `now` into the alerts, then decide what to notify."""
    now = _utc(now, "now")
    draft = Draft.of(state)
    window = timedelta(minutes=settings.suppression_window_minutes)
    observed = _by_fingerprint(observations, settings)
    open_alerts = {a.fingerprint: a for a in draft.alerts.values() if a.status in ACTIVE_STATUSES}
    for fingerprint, (observation, rule) in sorted(observed.items()):
        alert = open_alerts.get(fingerprint)
        if alert is not None:
            draft.alerts[alert.alert_id] = _observe(alert, observation, rule, now)
        else:
            _open(draft, observation, rule, now, window, settings)
    for fingerprint, alert in sorted(open_alerts.items()):
        if fingerprint not in observed:
            rule = settings.rule(alert.rule, provider=alert.provider, integration_id=alert.integration_id)
            _close(draft, alert, now, "condition cleared" if rule.enabled else "rule disabled", manual=False)
    return settle(state, draft, now, settings)


def acknowledge(state: EngineState, alert_id: str, by: str, now: datetime, settings: AlertingSettings) -> EngineResult:
    """Acknowledge a firing alert: no more repeats or escalations; its resolution is still notified.
    Acknowledging an acknowledged alert changes nothing (the first acknowledgement is kept)."""
    now = _utc(now, "now")
    alert = _lookup(state, alert_id)
    if alert.status == "resolved":
        raise ValueError(
            f"alert {alert_id} is already resolved ({alert.resolved_by} at {alert.resolved_at:%Y-%m-%d %H:%M} UTC);"
            " there is nothing to acknowledge"
        )
    if alert.status == "pending":
        raise ValueError(f"alert {alert_id} is pending, not firing yet; only firing alerts can be acknowledged")
    draft = Draft.of(state)
    if alert.status == "firing":
        draft.alerts[alert_id] = replace(alert, status="acknowledged", acknowledged_at=now, acknowledged_by=by)
    return settle(state, draft, now, settings)


def resolve(state: EngineState, alert_id: str, by: str, now: datetime, settings: AlertingSettings) -> EngineResult:
    """Resolve an alert by hand (resolved_by = `by`). If its firing was notified, the resolved notification
    goes out now, without waiting for the group interval (unless the alert is muted or rate-limited); if
    the condition still holds, the fingerprint opens a new alert after the suppression window."""
    now = _utc(now, "now")
    alert = _lookup(state, alert_id)
    if alert.status == "resolved":
        raise ValueError(
            f"alert {alert_id} is already resolved ({alert.resolved_by} at {alert.resolved_at:%Y-%m-%d %H:%M} UTC)"
        )
    draft = Draft.of(state)
    _close(draft, alert, now, by, manual=True)
    draft.resolved_by_hand.add(alert_id)
    return settle(state, draft, now, settings)


def add_silence(state: EngineState, silence: Silence, now: datetime, settings: AlertingSettings) -> EngineResult:
    """Mute alerts matching the silence's matchers from starts_at to ends_at (a regex that does not
    compile, a naive time or an end before the start is a ValueError naming the silence)."""
    now = _utc(now, "now")
    if any(s.silence_id == silence.silence_id for s in state.silences):
        raise ValueError(f"silence {silence.silence_id!r} already exists; expire it or choose another id")
    muting.validate_matchers(silence.matchers, f"silence {silence.silence_id}")
    silence = replace(
        silence,
        matchers=dict(silence.matchers),
        starts_at=_utc(silence.starts_at, "starts_at"),
        ends_at=_utc(silence.ends_at, "ends_at"),
        created_at=_utc(silence.created_at, "created_at"),
        expired_at=None if silence.expired_at is None else _utc(silence.expired_at, "expired_at"),
    )
    if silence.ends_at <= silence.starts_at:
        raise ValueError(f"silence {silence.silence_id}: ends_at must be after starts_at")
    draft = Draft.of(state)
    draft.silences[silence.silence_id] = silence
    return settle(state, draft, now, settings)


def expire_silence(state: EngineState, silence_id: str, now: datetime, settings: AlertingSettings) -> EngineResult:
    """End a silence early (unsilence): alerts it muted that still fire and never notified notify now."""
    now = _utc(now, "now")
    draft = Draft.of(state)
    silence = draft.silences.get(silence_id)
    if silence is None or muting.silence_end(silence) <= now:
        raise KeyError(f"no active or upcoming silence {silence_id!r} (unknown id, or it has already ended)")
    draft.silences[silence_id] = replace(silence, expired_at=now)
    return settle(state, draft, now, settings)


def _utc(value: datetime, what: str) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(UTC)


def _lookup(state: EngineState, alert_id: str) -> Alert:
    alert = state.alerts.get(alert_id)
    if alert is None:
        raise KeyError(
            f"no alert {alert_id!r} in the alert engine state: unknown id, or resolved and no longer tracked"
        )
    return alert


def _by_fingerprint(
    observations: Sequence[Observation], settings: AlertingSettings
) -> dict[str, tuple[Observation, EffectiveRule]]:
    """One observation per fingerprint of enabled rules: the earliest evidence, the latest figures."""
    merged: dict[str, tuple[Observation, EffectiveRule]] = {}
    for observation in observations:
        try:
            rule = settings.rule(observation.rule, provider=observation.provider,
                                 integration_id=observation.integration_id)
        except KeyError:
            raise KeyError(f"observation for unknown rule {observation.rule!r}") from None
        if not rule.enabled:
            continue
        observation = replace(observation, started_at=_utc(observation.started_at, "started_at"),
                              observed_at=_utc(observation.observed_at, "observed_at"))
        seen = merged.get(observation.fingerprint)
        if seen is not None:
            latest = max(seen[0], observation, key=lambda o: (o.observed_at, o.summary, repr(o.value)))
            observation = replace(latest, started_at=min(seen[0].started_at, observation.started_at))
        merged[observation.fingerprint] = (observation, rule)
    return merged


def _open(
    draft: Draft, observation: Observation, rule: EffectiveRule, now: datetime, window: timedelta,
    settings: AlertingSettings,
) -> None:
    started = min(observation.started_at, now)  # evidence "from the future" (clock skew) counts from now
    memory = draft.memory.get(observation.fingerprint)
    if memory is not None and memory.resolved_at is not None:
        if memory.manually_resolved and now < memory.resolved_at + window:
            return  # an operator resolved it by hand: quiet for the suppression window
        started = max(started, memory.resolved_at)
    alert = Alert(
        alert_id=stable_id(observation.fingerprint, started),
        fingerprint=observation.fingerprint,
        rule=observation.rule,
        alert_type=observation.alert_type,
        severity=rule.severity,  # type: ignore[arg-type]  # validated by the settings
        integration_id=observation.integration_id,
        provider=observation.provider,
        labels=dict(observation.labels),
        status="pending",
        started_at=started,
        pending_since=now,
        last_observed_at=observation.observed_at,
        value=observation.value,
        threshold=observation.threshold,
        summary=observation.summary,
        evidence=jsonable(observation.evidence),
    )
    route = rule.route if rule.route in settings.routes else "default"
    labels = muting.alert_labels(alert)
    group_labels = {name: labels.get(name, "") for name in settings.routes[route].group_by}
    group_key = route + "{" + ",".join(f'{k}="{v}"' for k, v in group_labels.items()) + "}"
    draft.alerts[alert.alert_id] = _promote(alert, rule, now)
    draft.books[alert.alert_id] = AlertBook(route, group_key, group_labels)


def _observe(alert: Alert, observation: Observation, rule: EffectiveRule, now: datetime) -> Alert:
    if alert.status == "pending":
        evidence = jsonable(observation.evidence)
    else:
        evidence = _merge_session_ids(alert.evidence, observation.evidence)
    alert = replace(
        alert,
        severity=rule.severity,
        last_observed_at=observation.observed_at,
        value=observation.value,
        threshold=observation.threshold,
        summary=observation.summary,
        evidence=evidence,
    )
    return _promote(alert, rule, now)


def _promote(alert: Alert, rule: EffectiveRule, now: datetime) -> Alert:
    if alert.status == "pending" and now - alert.started_at >= timedelta(minutes=rule.for_minutes):
        return replace(alert, status="firing", fired_at=now)
    return alert


def _merge_session_ids(kept: dict, new: dict) -> dict:
    ids = list(kept.get("session_ids", []))
    extra = [s for s in jsonable(list(new.get("session_ids", []))) if s not in ids]
    if not extra or len(ids) >= MAX_SESSION_IDS:
        return kept
    return {**kept, "session_ids": (ids + extra)[:MAX_SESSION_IDS]}


def _close(draft: Draft, alert: Alert, now: datetime, by: str, *, manual: bool) -> None:
    never_fired = alert.status == "pending"
    if never_fired and not manual:
        by = f"{by} before firing"
    draft.alerts[alert.alert_id] = replace(alert, status="resolved", resolved_at=now, resolved_by=by)
    if manual or not never_fired:
        # Remember the resolution: a floor for the next started_at, and quiet time after a manual resolve.
        memory = draft.memory.get(alert.fingerprint) or FingerprintMemory()
        draft.memory[alert.fingerprint] = replace(memory, resolved_at=now, manually_resolved=manual)
