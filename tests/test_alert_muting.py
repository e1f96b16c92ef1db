"""Muting rules in isolation: label matchers, recurring maintenance windows across DST changes, inhibition."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from syncmon_pipeline.alerts.model import Alert, Silence
from syncmon_pipeline.alerts.muting import (
    alert_labels,
    inhibitor_of,
    matches,
    mute_of,
    silence_active,
    validate_matchers,
    window_occurrence,
)
from syncmon_pipeline.alerts.settings import InhibitRule, MaintenanceWindow

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def alert(alert_type: str = "sync_failure", integration: str = "int-a", status: str = "firing",
          labels: dict[str, str] | None = None, alert_id: str | None = None) -> Alert:
    return Alert(
        alert_id=alert_id or f"{alert_type}-{integration}", fingerprint="f", rule=alert_type, alert_type=alert_type,
        severity="error", integration_id=integration, provider="powerschool", labels=labels or {},
        status=status, started_at=T0, pending_since=T0,  # type: ignore[arg-type]
    )


def window(timezone: str, start: str, minutes: float = 60, weekdays: list[str] | None = None,
           matchers: dict[str, str] | None = None) -> MaintenanceWindow:
    return MaintenanceWindow.model_validate({
        "name": "w", "timezone": timezone, "start": start, "duration_minutes": minutes,
        "weekdays": weekdays or ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "matchers": matchers or {},
    })


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_matchers_are_exact_or_full_regex_and_missing_labels_compare_as_empty() -> None:
    labels = alert_labels(alert(labels={"metric": "p95"}))
    assert labels["alertname"] == labels["alert_type"] == "sync_failure" and labels["severity"] == "error"
    assert matches({}, labels)
    assert matches({"integration_id": "int-a", "metric": "p95"}, labels)
    assert matches({"integration_id": "~int-.*", "provider": "~power(school|schoolx)"}, labels)
    assert not matches({"integration_id": "~int"}, labels)  # the regex must match the whole value
    assert not matches({"integration_id": "int-b"}, labels)
    assert matches({"team": ""}, labels) and not matches({"team": "~.+"}, labels)
    validate_matchers({"a": "~ok.*"}, "silence s")
    with pytest.raises(ValueError, match=r"silence s\.matchers\.a: invalid regular expression"):
        validate_matchers({"a": "~("}, "silence s")


def test_silence_is_active_from_start_to_end_or_early_expiry() -> None:
    s = Silence("s", {}, T0, T0 + timedelta(hours=1), "carol", "", T0)
    assert [silence_active(s, T0 + timedelta(minutes=m)) for m in (-1, 0, 59, 60)] == [False, True, True, False]
    expired = Silence("s", {}, T0, T0 + timedelta(hours=1), "carol", "", T0, expired_at=T0 + timedelta(minutes=10))
    assert silence_active(expired, T0 + timedelta(minutes=9))
    assert not silence_active(expired, T0 + timedelta(minutes=10))


def test_mute_of_names_the_first_silence_and_waits_for_the_last_mute_to_end() -> None:
    short = Silence("a-short", {"integration_id": "int-a"}, T0, T0 + timedelta(minutes=10), "carol", "", T0)
    long = Silence("b-long", {}, T0, T0 + timedelta(minutes=50), "carol", "", T0)
    other = Silence("c-other", {"integration_id": "int-b"}, T0, T0 + timedelta(hours=5), "carol", "", T0)
    assert mute_of(alert(), T0, [other, long, short], []) == ("a-short", T0 + timedelta(minutes=50))
    nightly = window("UTC", "11:30", minutes=45)
    assert mute_of(alert(), T0, [], [nightly]) == ("w", T0 + timedelta(minutes=15))
    assert mute_of(alert(), T0 + timedelta(hours=1), [short], [nightly]) == (None, None)


@pytest.mark.parametrize(
    ("zone", "start", "now", "expected_start"),
    [
        # Europe/Berlin, spring forward on Sunday 2026-03-29: 02:30 does not exist -> 03:30 CEST (01:30 UTC).
        ("Europe/Berlin", "02:30", utc(2026, 3, 29, 1, 45), utc(2026, 3, 29, 1, 30)),
        ("Europe/Berlin", "02:30", utc(2026, 3, 28, 1, 45), utc(2026, 3, 28, 1, 30)),  # the day before, CET
        ("Europe/Berlin", "02:30", utc(2026, 3, 30, 0, 45), utc(2026, 3, 30, 0, 30)),  # the day after, CEST
        # Europe/Berlin, fall back on Sunday 2026-10-25: 02:30 happens twice -> the first one, CEST (00:30 UTC).
        ("Europe/Berlin", "02:30", utc(2026, 10, 25, 0, 45), utc(2026, 10, 25, 0, 30)),
        ("Europe/Berlin", "02:30", utc(2026, 10, 25, 1, 45), None),  # 02:45 CET, the second 02:30 hour: no window
        # America/New_York: spring forward on 2026-03-08, fall back on 2026-11-01.
        ("America/New_York", "02:30", utc(2026, 3, 8, 7, 45), utc(2026, 3, 8, 7, 30)),  # 03:30 EDT
        ("America/New_York", "02:30", utc(2026, 3, 9, 6, 45), utc(2026, 3, 9, 6, 30)),  # 02:30 EDT
        ("America/New_York", "01:30", utc(2026, 11, 1, 5, 45), utc(2026, 11, 1, 5, 30)),  # first 01:30, EDT
        ("America/New_York", "01:30", utc(2026, 11, 1, 6, 45), None),  # second 01:30 (EST): not again
        ("America/New_York", "01:30", utc(2026, 11, 2, 6, 45), utc(2026, 11, 2, 6, 30)),  # 01:30 EST
    ],
)
def test_maintenance_windows_across_dst_changes(
    zone: str, start: str, now: datetime, expected_start: datetime | None
) -> None:
    occurrence = window_occurrence(window(zone, start), now)
    if expected_start is None:
        assert occurrence is None
    else:
        assert occurrence == (expected_start, expected_start + timedelta(minutes=60))  # real minutes


def test_maintenance_windows_honour_weekdays_and_span_midnight() -> None:
    weekend = window("Europe/Berlin", "22:00", minutes=8 * 60, weekdays=["sat"])  # Sat 22:00 -> Sun 06:00 local
    assert window_occurrence(weekend, utc(2026, 11, 29, 4, 0)) == (utc(2026, 11, 28, 21, 0), utc(2026, 11, 29, 5, 0))
    assert window_occurrence(weekend, utc(2026, 11, 29, 5, 0)) is None
    assert window_occurrence(weekend, utc(2026, 11, 27, 23, 0)) is None  # a Friday night
    assert window_occurrence(window("UTC", "00:00", minutes=3 * 24 * 60, weekdays=["mon"]),
                             utc(2026, 11, 25, 23, 59)) == (utc(2026, 11, 23), utc(2026, 11, 26))
    assert time(2, 30) == window("UTC", "02:30").start


def test_inhibition_needs_a_firing_source_of_a_source_type_with_equal_labels() -> None:
    rules = [InhibitRule(source_types=["integration_down"], target_types=["sync_failure"])]
    target = alert("sync_failure", "int-a")
    down_a, down_b = alert("integration_down", "int-a"), alert("integration_down", "int-b")
    assert inhibitor_of(target, [target, down_a, down_b], rules) == "integration_down-int-a"
    assert inhibitor_of(target, [down_b], rules) is None
    assert inhibitor_of(target, [alert("integration_down", "int-a", status="pending")], rules) is None
    assert inhibitor_of(target, [alert("integration_down", "int-a", status="acknowledged")], rules) is not None
    assert inhibitor_of(down_a, [target, down_a], rules) is None  # not a target type
    by_metric = [InhibitRule(source_types=["integration_down"], target_types=["sync_failure"],
                             equal=["integration_id", "metric"])]
    assert inhibitor_of(alert(labels={"metric": "x"}), [down_a], by_metric) is None
