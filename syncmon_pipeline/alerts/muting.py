"""What mutes an alert's notifications: silences, recurring maintenance windows and inhibition.

Pure functions over alerts, `now` and the settings. Muting never changes an alert's lifecycle (it
still goes pending -> firing -> resolved); it only decides whether notifications about it go out.

Label matching (silences and maintenance windows) follows Alertmanager: every matcher must match;
a label the alert does not have compares as ""; a value starting with `~` is a regular expression
that must match the whole value (`re.fullmatch`). Besides the alert's own labels, matchers see
`alertname`/`alert_type`, `rule`, `integration_id`, `provider` and `severity`.

Maintenance windows recur on local weekdays at a local start time in an IANA zone and last
`duration_minutes` of real (elapsed) time. Local times are resolved with `zoneinfo` and PEP 495
`fold=0`, which gives these behaviours on DST-change days:
- a start time that does not exist (02:30 on a spring-forward day in Europe/Berlin) is shifted
  forward by the length of the gap: the window starts at 03:30 CEST (01:30 UTC, the instant 02:30
  CET would have been), so it still happens that day and still lasts its full duration;
- a start time that exists twice (02:30 on a fall-back day) starts at its first occurrence
  (02:30 CEST, 00:30 UTC); the window does not start again at the repeated 02:30 CET.
The end is start + duration in real time, so its wall-clock end moves by the DST shift when a
window spans the change.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .model import Alert, Silence
from .settings import WEEKDAYS, InhibitRule, MaintenanceWindow

MUTING_STATUSES = ("firing", "acknowledged")  # only these inhibit others (a pending alert proves nothing yet)


def alert_labels(alert: Alert) -> dict[str, str]:
    """The label set matchers, grouping and inhibition look at."""
    return {
        **alert.labels,
        "alertname": alert.alert_type,
        "alert_type": alert.alert_type,
        "rule": alert.rule,
        "integration_id": alert.integration_id,
        "provider": alert.provider,
        "severity": alert.severity,
    }


def validate_matchers(matchers: Mapping[str, str], where: str) -> None:
    """Fail early (when a silence is added) on a regex that does not compile, naming the matcher."""
    for name, value in matchers.items():
        if value.startswith("~"):
            try:
                re.compile(value[1:])
            except re.error as exc:
                raise ValueError(f"{where}.matchers.{name}: invalid regular expression {value[1:]!r}: {exc}") from exc


def matches(matchers: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    """True when every matcher matches (an empty matcher set matches every alert)."""
    for name, expected in matchers.items():
        actual = labels.get(name, "")
        if expected.startswith("~"):
            if re.fullmatch(expected[1:], actual) is None:
                return False
        elif actual != expected:
            return False
    return True


def silence_end(silence: Silence) -> datetime:
    """When a silence stops muting: its end, or earlier if an operator expired it."""
    if silence.expired_at is not None and silence.expired_at < silence.ends_at:
        return silence.expired_at
    return silence.ends_at


def silence_active(silence: Silence, now: datetime) -> bool:
    return silence.starts_at <= now < silence_end(silence)


def window_start_utc(day: date, start: time, zone: ZoneInfo) -> datetime:
    """The UTC instant a window starts on a local calendar day (see the module doc for DST days)."""
    return datetime.combine(day, start, tzinfo=zone).astimezone(UTC)  # fold=0: gap -> shifted forward


def window_occurrence(window: MaintenanceWindow, now: datetime) -> tuple[datetime, datetime] | None:
    """The occurrence of a recurring window that contains `now`, as (start, end) in UTC, or None."""
    zone = ZoneInfo(window.timezone)
    duration = timedelta(minutes=window.duration_minutes)
    today = now.astimezone(zone).date()
    # An occurrence that started up to `duration` ago (plus a day of slack for zone offsets) can cover now.
    for back in range(int(duration / timedelta(days=1)) + 2, -1, -1):
        day = today - timedelta(days=back)
        if WEEKDAYS[day.weekday()] not in window.weekdays:
            continue
        start = window_start_utc(day, window.start, zone)
        if start <= now < start + duration:
            return start, start + duration
    return None


def mute_of(
    alert: Alert, now: datetime, silences: Iterable[Silence], windows: Sequence[MaintenanceWindow]
) -> tuple[str | None, datetime | None]:
    """(silenced_by, muted_until) for an alert now: the first matching active silence by id, else the
    first matching maintenance window by name; `muted_until` is the latest end among all matching mutes,
    the earliest time the alert can speak again."""
    labels = alert_labels(alert)
    reasons: list[tuple[str, datetime]] = []
    for silence in sorted(silences, key=lambda s: s.silence_id):
        if silence_active(silence, now) and matches(silence.matchers, labels):
            reasons.append((silence.silence_id, silence_end(silence)))
    for window in sorted(windows, key=lambda w: w.name):
        occurrence = window_occurrence(window, now) if matches(window.matchers, labels) else None
        if occurrence is not None:
            reasons.append((window.name, occurrence[1]))
    if not reasons:
        return None, None
    return reasons[0][0], max(end for _, end in reasons)


def inhibitor_of(alert: Alert, others: Iterable[Alert], rules: Sequence[InhibitRule]) -> str | None:
    """The alert_id of a firing/acknowledged source alert that inhibits `alert` (smallest id), or None.

    As in Alertmanager an alert never inhibits itself, and the source need not be notifying itself
    (a silenced integration_down still explains the failed syncs)."""
    labels = alert_labels(alert)
    sources: list[str] = []
    for rule in rules:
        if alert.alert_type not in rule.target_types:
            continue
        for other in others:
            if other.alert_id == alert.alert_id or other.status not in MUTING_STATUSES:
                continue
            if other.alert_type not in rule.source_types:
                continue
            other_labels = alert_labels(other)
            if all(other_labels.get(name, "") == labels.get(name, "") for name in rule.equal):
                sources.append(other.alert_id)
    return min(sources) if sources else None
