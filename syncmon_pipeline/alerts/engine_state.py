"""The alert engine's memory between calls, and its JSON form.

`EngineState` is immutable: every engine call returns a new one. The Dagster shell stores
`state.to_json()` between sensor ticks; `EngineState.from_json(s.to_json()) == s`. The JSON is
canonical (sorted keys, ISO-8601 UTC times) so that equal states serialise to equal text.

The state stays bounded: resolved alerts leave it as soon as no notification about them is still
due (they live on in the shell's alert table), groups leave it when they have no alerts, silences
a day after they end (so the shell, which upserts `state.silences`, records their end), rate-limit
entries after an hour and fingerprint memories a day after their last event. What remains per
integration is one summary counter (so held-back summary ids never repeat).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import datetime, timedelta
from typing import Any

from .model import Alert, Notification, Silence
from .muting import silence_end

STATE_VERSION = 1
# How long a fingerprint's memory outlives its last event: longer than the built-in rules' lookbacks
# (at most 6 h), so a rule that reports old evidence again cannot reopen a resolved alert under its
# old id (see engine._open).
FINGERPRINT_MEMORY = timedelta(hours=24)


@dataclass(frozen=True)
class AlertBook:
    """The engine's bookkeeping about notifying one alert (same key as `EngineState.alerts`)."""

    route: str  # the route chosen when the alert opened (a config change does not re-route it mid-life)
    group_key: str
    group_labels: Mapping[str, str]
    notified_at: datetime | None = None  # its firing notification went out (or was held back into a summary)
    resolved_notified: bool = False  # its resolved notification went out (or was held back)


@dataclass(frozen=True)
class GroupState:
    """Alertmanager's aggregation group: when it last spoke and how often it repeated."""

    group_key: str
    route: str
    labels: Mapping[str, str]
    last_notified_at: datetime | None = None
    repeat_count: int = 0


@dataclass(frozen=True)
class HeldBack:
    """What the rate limit withheld for one integration since its last held-back summary."""

    count: int  # group messages held back (not recipients)
    since: datetime
    by_transition: Mapping[str, int]
    alert_ids: tuple[str, ...]
    targets: tuple[tuple[str, str], ...]  # every (channel, target) that missed something


@dataclass(frozen=True)
class FingerprintMemory:
    """What suppression needs to remember about a fingerprint after its alert is gone."""

    firing_notified_at: datetime | None = None  # last firing notification for this fingerprint
    resolved_at: datetime | None = None  # when its last firing alert resolved (a floor for the next started_at)
    manually_resolved: bool = False  # resolved by an operator: stays quiet for the suppression window

    def last_event(self) -> datetime:
        return max(t for t in (self.firing_notified_at, self.resolved_at) if t is not None)


@dataclass(frozen=True)
class EngineState:
    alerts: Mapping[str, Alert] = field(default_factory=dict)  # open alerts, and resolved ones still to notify
    books: Mapping[str, AlertBook] = field(default_factory=dict)  # by alert_id, one per alert
    groups: Mapping[str, GroupState] = field(default_factory=dict)  # by group key
    sent_log: Mapping[str, tuple[datetime, ...]] = field(default_factory=dict)  # integration -> sends in the last hour
    held_back: Mapping[str, HeldBack] = field(default_factory=dict)  # integration -> withheld since last summary
    summaries_sent: Mapping[str, int] = field(default_factory=dict)  # integration -> held-back summaries so far
    memory: Mapping[str, FingerprintMemory] = field(default_factory=dict)  # by fingerprint
    silences: tuple[Silence, ...] = ()  # sorted by silence_id; ended silences are dropped

    @classmethod
    def empty(cls) -> EngineState:
        return cls()

    def to_json(self) -> str:
        body = {
            "version": STATE_VERSION,
            "alerts": {k: _plain(v) for k, v in self.alerts.items()},
            "books": {k: _plain(v) for k, v in self.books.items()},
            "groups": {k: _plain(v) for k, v in self.groups.items()},
            "sent_log": {k: _plain(v) for k, v in self.sent_log.items()},
            "held_back": {k: _plain(v) for k, v in self.held_back.items()},
            "summaries_sent": dict(self.summaries_sent),
            "memory": {k: _plain(v) for k, v in self.memory.items()},
            "silences": [_plain(s) for s in self.silences],
        }
        return json.dumps(body, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> EngineState:
        data = json.loads(text)
        if data.get("version") != STATE_VERSION:
            raise ValueError(f"alert engine state: unsupported version {data.get('version')!r}")
        return cls(
            alerts={k: _decode(Alert, v) for k, v in data["alerts"].items()},
            books={k: _decode(AlertBook, v) for k, v in data["books"].items()},
            groups={k: _decode(GroupState, v) for k, v in data["groups"].items()},
            sent_log={k: tuple(datetime.fromisoformat(t) for t in v) for k, v in data["sent_log"].items()},
            held_back={k: _decode(HeldBack, v) for k, v in data["held_back"].items()},
            summaries_sent={k: int(v) for k, v in data["summaries_sent"].items()},
            memory={k: _decode(FingerprintMemory, v) for k, v in data["memory"].items()},
            silences=tuple(_decode(Silence, s) for s in data["silences"]),
        )


@dataclass
class Draft:
    """A mutable working copy used inside one engine call; `freeze` turns it back into a state."""

    alerts: dict[str, Alert]
    books: dict[str, AlertBook]
    groups: dict[str, GroupState]
    sent_log: dict[str, tuple[datetime, ...]]
    held_back: dict[str, HeldBack]
    summaries_sent: dict[str, int]
    memory: dict[str, FingerprintMemory]
    silences: dict[str, Silence]
    notifications: list[Notification] = field(default_factory=list)
    wakeups: list[datetime] = field(default_factory=list)
    resolved_by_hand: set[str] = field(default_factory=set)  # alert ids resolved by this call's operator

    @classmethod
    def of(cls, state: EngineState) -> Draft:
        return cls(
            alerts=dict(state.alerts),
            books=dict(state.books),
            groups=dict(state.groups),
            sent_log=dict(state.sent_log),
            held_back=dict(state.held_back),
            summaries_sent=dict(state.summaries_sent),
            memory=dict(state.memory),
            silences={s.silence_id: s for s in state.silences},
        )

    def freeze(self) -> EngineState:
        return EngineState(
            alerts=dict(sorted(self.alerts.items())),
            books=dict(sorted(self.books.items())),
            groups=dict(sorted(self.groups.items())),
            sent_log=dict(sorted(self.sent_log.items())),
            held_back=dict(sorted(self.held_back.items())),
            summaries_sent=dict(sorted(self.summaries_sent.items())),
            memory=dict(sorted(self.memory.items())),
            silences=tuple(s for _, s in sorted(self.silences.items())),
        )


def jsonable(value: Any) -> Any:
    """Evidence as JSON will give it back (tuples -> lists, datetimes -> ISO strings), so a state
    survives a JSON round trip unchanged."""
    return json.loads(json.dumps(value, sort_keys=True, default=_default))


def _default(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _decode(cls: type, data: Mapping[str, Any]) -> Any:
    """Rebuild a dataclass from `_plain` output, using the field annotations (strings under
    `from __future__ import annotations`) to restore datetimes and tuples."""
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in data:
            continue  # a field added later keeps its default
        value, annotation = data[f.name], str(f.type)
        if value is None:
            pass
        elif annotation.startswith("datetime"):
            value = datetime.fromisoformat(value)
        elif annotation.startswith("tuple"):
            value = tuple(tuple(v) if isinstance(v, list) else v for v in value)
        kwargs[f.name] = value
    return cls(**kwargs)


SILENCE_RETENTION = timedelta(hours=24)  # ended silences stay this long, so their end reaches the shell
RATE_WINDOW = timedelta(hours=1)


def prune(draft: Draft, now: datetime, window: timedelta, awaits_resolved: Callable[[str], bool]) -> None:
    """Keep the state bounded: forget what no future decision needs (see the module doc)."""
    held_ids = {alert_id for held in draft.held_back.values() for alert_id in held.alert_ids}
    for alert_id, alert in list(draft.alerts.items()):
        if alert.status == "resolved" and alert_id not in held_ids and not awaits_resolved(alert_id):
            del draft.alerts[alert_id]
            del draft.books[alert_id]
    live_groups = {book.group_key for book in draft.books.values()}
    for key in [k for k in draft.groups if k not in live_groups]:
        del draft.groups[key]
    keep = max(window, FINGERPRINT_MEMORY)
    for fingerprint in [f for f, m in draft.memory.items() if now >= m.last_event() + keep]:
        del draft.memory[fingerprint]
    for silence_id in [i for i, s in draft.silences.items() if now >= silence_end(s) + SILENCE_RETENTION]:
        del draft.silences[silence_id]
    for integration, log in list(draft.sent_log.items()):
        recent = tuple(t for t in log if now - t < RATE_WINDOW)
        if recent:
            draft.sent_log[integration] = recent
        else:
            del draft.sent_log[integration]
