"""Time-travel tests of the pure alert engine: observations are built by hand and `now` steps through time.

Every assertion names exact notifications (transition, sequence, channel, target, title), ids and
times, so a change in semantics shows up as a failing test rather than a silent drift.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from syncmon_pipeline.alerts.engine import (
    EngineResult,
    EngineState,
    acknowledge,
    add_silence,
    evaluate,
    expire_silence,
    resolve,
)
from syncmon_pipeline.alerts.model import Alert, Observation, Silence, fingerprint_of, notification_id_for, stable_id
from syncmon_pipeline.alerts.settings import AlertingSettings

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
OPS = "ops@example.com"
ONCALL = "oncall@example.com"


def at(minutes: float = 0, seconds: float = 0, hours: float = 0) -> datetime:
    return T0 + timedelta(hours=hours, minutes=minutes, seconds=seconds)


def make_settings(**alerting: object) -> AlertingSettings:
    """Default alerting config with test addresses; keyword arguments replace whole sections."""
    config: dict[str, object] = {
        "routes": {"default": {"recipients": [OPS]}},
        "escalation": {"recipients": [ONCALL]},
    }
    config.update(alerting)
    return AlertingSettings.model_validate(config)


def obs(rule: str = "sync_failure", integration: str = "int-a", *, started: datetime = at(-1),
        labels: dict[str, str] | None = None, sessions: tuple[str, ...] = ("s1",), value: float = 3.0) -> Observation:
    """A condition that holds; observed_at is set by the Sim to the tick's time."""
    return Observation(
        rule=rule, alert_type=rule, integration_id=integration, provider="powerschool", observed_at=started,
        started_at=started, value=value, threshold=2.0, summary=f"{rule} on {integration}", labels=labels or {},
        evidence={"session_ids": list(sessions), "figures": {"value": value}},
    )


class Sim:
    """Steps the engine through time, keeping its state."""

    def __init__(self, settings: AlertingSettings | None = None) -> None:
        self.settings = settings or make_settings()
        self.state = EngineState.empty()
        self.sent: list = []  # every notification so far

    def _keep(self, result: EngineResult) -> EngineResult:
        self.state = result.state
        self.sent += result.notifications
        return result

    def tick(self, when: datetime, *observations: Observation) -> EngineResult:
        observed = [replace(o, observed_at=when) for o in observations]
        return self._keep(evaluate(self.state, observed, when, self.settings))

    def ack(self, alert_id: str, when: datetime, by: str = "alice") -> EngineResult:
        return self._keep(acknowledge(self.state, alert_id, by, when, self.settings))

    def resolve(self, alert_id: str, when: datetime, by: str = "bob") -> EngineResult:
        return self._keep(resolve(self.state, alert_id, by, when, self.settings))

    def silence(self, when: datetime, silence: Silence) -> EngineResult:
        return self._keep(add_silence(self.state, silence, when, self.settings))

    def unsilence(self, silence_id: str, when: datetime) -> EngineResult:
        return self._keep(expire_silence(self.state, silence_id, when, self.settings))

    def alert(self, rule: str = "sync_failure", integration: str = "int-a") -> Alert:
        (found,) = [a for a in self.state.alerts.values() if a.rule == rule and a.integration_id == integration]
        return found


def sent(result: EngineResult) -> list[tuple[str, int, str, str, str]]:
    return [(n.transition, n.sequence, n.channel, n.target, n.message.title) for n in result.notifications]


def alert_id(rule: str, started: datetime, integration: str = "int-a", labels: dict | None = None) -> str:
    return stable_id(fingerprint_of(rule, integration, labels or {}), started)


def silence(silence_id: str, matchers: dict[str, str], starts: datetime, ends: datetime) -> Silence:
    return Silence(silence_id=silence_id, matchers=matchers, starts_at=starts, ends_at=ends, author="carol",
                   comment="planned work", created_at=starts)


FIRING_A = ("firing", 0, "email", OPS, "[FIRING:1] sync_failure — int-a")
RESOLVED_A = ("resolved", 0, "email", OPS, "[RESOLVED] sync_failure — int-a")


# --- lifecycle ------------------------------------------------------------------------------------


def test_pending_fires_once_for_minutes_have_passed_since_first_evidence() -> None:
    sim = Sim(make_settings(rules={"sync_failure": {"for_minutes": 10}}))
    first = sim.tick(at(0), obs(started=at(0)))
    (pending,) = first.changed
    assert (pending.status, pending.pending_since) == ("pending", at(0))
    assert pending.alert_id == alert_id("sync_failure", at(0))
    assert first.notifications == () and first.next_wakeup == at(10)
    assert sim.tick(at(5), obs(started=at(0))).notifications == ()
    fired = sim.tick(at(10), obs(started=at(0)))
    assert [(a.status, a.fired_at) for a in fired.changed] == [("firing", at(10))]
    assert sent(fired) == [FIRING_A]  # group wait (started + 30 s) is long over
    assert fired.next_wakeup == at(70)  # escalation of an error alert, 60 min after it was announced


def test_pending_alert_that_clears_is_closed_without_notifications_and_leaves_the_state() -> None:
    sim = Sim(make_settings(rules={"sync_failure": {"for_minutes": 10}}))
    sim.tick(at(0), obs(started=at(0)))
    cleared = sim.tick(at(5))
    (closed,) = cleared.changed
    assert (closed.status, closed.resolved_by, closed.fired_at, closed.resolved_at) == (
        "resolved", "condition cleared before firing", None, at(5))
    assert cleared.notifications == () and cleared.next_wakeup is None
    assert cleared.state == EngineState.empty()


def test_firing_alert_resolves_when_its_condition_clears_and_says_so_after_the_group_interval() -> None:
    sim = Sim()
    fired = sim.tick(at(0), obs(started=at(-1)))
    assert sent(fired) == [FIRING_A]
    cleared = sim.tick(at(2))
    (resolved,) = cleared.changed
    assert (resolved.status, resolved.resolved_by, resolved.resolved_at) == ("resolved", "condition cleared", at(2))
    assert cleared.notifications == () and cleared.next_wakeup == at(5)  # group interval since the firing message
    later = sim.tick(at(5))
    assert sent(later) == [RESOLVED_A]
    assert later.notifications[0].message.status == "resolved"
    assert later.state.alerts == {} and later.next_wakeup is None


def test_acknowledged_alert_stops_repeating_and_still_sends_its_resolution() -> None:
    sim = Sim()
    sim.tick(at(0), obs())
    the_id = sim.alert().alert_id
    acked = sim.ack(the_id, at(1))
    (alert,) = acked.changed
    assert (alert.status, alert.acknowledged_by, alert.acknowledged_at) == ("acknowledged", "alice", at(1))
    assert acked.notifications == () and acked.next_wakeup is None  # no repeat, no escalation to wait for
    assert sim.ack(the_id, at(2), by="dave").changed == ()  # acknowledging twice keeps the first
    assert sim.tick(at(hours=5), obs()).notifications == ()  # no repeat after 4 h, no escalation after 60 min
    assert sim.alert().status == "acknowledged"
    done = sim.tick(at(hours=5, minutes=1))
    assert sent(done) == [RESOLVED_A]
    assert done.notifications[0].message.alerts[0].status == "resolved"


def test_acknowledge_and_resolve_refuse_unknown_pending_and_resolved_alerts() -> None:
    sim = Sim(make_settings(rules={"timeout_threshold": {"for_minutes": 30}}))
    sim.tick(at(0), obs(), obs("timeout_threshold"))
    with pytest.raises(KeyError, match="no alert 'nope'"):
        sim.ack("nope", at(1))
    with pytest.raises(KeyError, match="no alert 'nope'"):
        sim.resolve("nope", at(1))
    with pytest.raises(ValueError, match="pending, not firing yet"):
        sim.ack(sim.alert("timeout_threshold").alert_id, at(1))
    the_id = sim.alert().alert_id
    sim.tick(at(2), obs("timeout_threshold"))  # sync_failure clears; its resolution waits for the group interval
    with pytest.raises(ValueError, match="already resolved"):
        sim.ack(the_id, at(3))
    with pytest.raises(ValueError, match="already resolved"):
        sim.resolve(the_id, at(3))
    with pytest.raises(ValueError, match="timezone-aware"):
        evaluate(sim.state, [], datetime(2026, 11, 27, 12, 5), sim.settings)


def test_manual_resolve_notifies_at_once_and_the_condition_refires_only_after_the_suppression_window() -> None:
    sim = Sim()
    sim.tick(at(0), obs())
    old_id = sim.alert().alert_id
    resolved = sim.resolve(old_id, at(2))
    (alert,) = resolved.changed
    assert (alert.status, alert.resolved_by, alert.resolved_at) == ("resolved", "bob", at(2))
    assert sent(resolved) == [RESOLVED_A]  # by hand: not held for the group interval (due at 5 min)
    assert resolved.next_wakeup == at(17)  # the end of the quiet time after a manual resolve
    still = sim.tick(at(12), obs())  # the condition still holds: quiet
    assert still.changed == () and still.notifications == () and still.state.alerts == {}
    again = sim.tick(at(17), obs())
    (reopened,) = again.changed
    assert reopened.alert_id == alert_id("sync_failure", at(2)) != old_id
    assert (reopened.status, reopened.started_at) == ("firing", at(2))  # no earlier than the manual resolve
    assert sent(again) == [FIRING_A]


def test_manual_resolve_does_not_hurry_other_news_of_its_group() -> None:
    sim = Sim()
    sim.tick(at(0), obs(), obs("timeout_threshold"))
    sim.tick(at(1), obs("timeout_threshold"))  # sync_failure clears: its resolution waits until 5 min
    by_hand = sim.resolve(sim.alert("timeout_threshold").alert_id, at(2))
    assert sent(by_hand) == [("resolved", 0, "email", OPS, "[RESOLVED] timeout_threshold — int-a")]
    assert by_hand.next_wakeup == at(5)
    assert sent(sim.tick(at(5))) == [RESOLVED_A]


def test_manual_resolve_keeps_the_rest_of_its_group_on_its_repeat_schedule() -> None:
    sim = Sim(make_settings(escalation={"after_minutes": {}, "recipients": [ONCALL]}))
    sim.tick(at(0), obs(), obs("timeout_threshold"))
    by_hand = sim.resolve(sim.alert("timeout_threshold").alert_id, at(2))
    assert sent(by_hand) == [("resolved", 0, "email", OPS, "[RESOLVED] timeout_threshold — int-a")]
    assert by_hand.next_wakeup == at(17)  # the end of timeout_threshold's quiet time
    assert sim.tick(at(17), obs()).next_wakeup == at(hours=4)  # sync_failure's repeat, from the firing message
    assert sent(sim.tick(at(hours=4), obs())) == [("repeat", 1, "email", OPS, "[STILL FIRING:1] sync_failure — int-a")]


def test_a_resolved_fingerprint_reported_with_its_old_first_evidence_opens_a_new_alert() -> None:
    sim = Sim()
    sim.tick(at(0), obs(started=at(-30)))
    first_id = sim.alert().alert_id
    sim.tick(at(10))
    sim.tick(at(40), obs(started=at(-30)))  # a window-based rule can report the same first evidence again
    assert sim.alert().alert_id == alert_id("sync_failure", at(10)) != first_id


def test_evidence_is_frozen_at_firing_and_later_sessions_are_merged() -> None:
    sim = Sim(make_settings(rules={"sync_failure": {"for_minutes": 10}}))
    sim.tick(at(0), obs(started=at(0), sessions=("s1",), value=2))
    sim.tick(at(10), obs(started=at(0), sessions=("s1", "s2"), value=3))
    assert sim.alert().evidence == {"session_ids": ["s1", "s2"], "figures": {"value": 3}}
    sim.tick(at(20), obs(started=at(0), sessions=("s2", "s3"), value=7))
    alert = sim.alert()
    assert alert.evidence == {"session_ids": ["s1", "s2", "s3"], "figures": {"value": 3}}
    assert (alert.value, alert.last_observed_at) == (7, at(20))
    sim.tick(at(30), obs(started=at(0), sessions=tuple(f"x{i}" for i in range(80))))
    assert len(sim.alert().evidence["session_ids"]) == 50


def test_disabled_rules_produce_nothing_and_disabling_resolves_open_alerts() -> None:
    off_for_b = make_settings(rules={"sync_failure": {"overrides": [{"integration_id": "int-b", "enabled": False}]}})
    sim = Sim(off_for_b)
    result = sim.tick(at(0), obs(integration="int-a"), obs(integration="int-b"))
    assert [a.integration_id for a in result.changed] == ["int-a"]
    sim.settings = make_settings(rules={"sync_failure": {"enabled": False}})
    gone = sim.tick(at(10), obs(integration="int-a"))
    assert [(a.status, a.resolved_by) for a in gone.changed] == [("resolved", "rule disabled")]
    assert sent(gone) == [RESOLVED_A]


# --- grouping, suppression, rate limit ------------------------------------------------------------


def test_group_wait_batches_group_interval_delays_news_and_repeat_reminds() -> None:
    sim = Sim(make_settings(escalation={"after_minutes": {}, "recipients": [ONCALL]}))
    a = obs("sync_failure", started=at(seconds=-10))
    b = obs("timeout_threshold", started=at(seconds=15))
    c = obs("conflict_spike", started=at(1))
    assert sim.tick(at(0), a).next_wakeup == at(seconds=20)  # group wait from first evidence
    batch = sim.tick(at(seconds=20), a, b)
    assert sent(batch) == [("firing", 0, "email", OPS, "[FIRING:2] sync_failure, timeout_threshold — int-a")]
    assert batch.notifications[0].message.severity == "error"
    news = sim.tick(at(1), a, b, c)
    assert news.notifications == () and news.next_wakeup == at(5, seconds=20)  # group interval
    later = sim.tick(at(5, seconds=20), a, b, c)
    assert sent(later) == [("firing", 0, "email", OPS, "[FIRING:1] conflict_spike — int-a")]
    assert later.notifications[0].message.text == "2 other unacknowledged alert(s) in this group are still firing."
    assert later.next_wakeup == at(hours=4, minutes=5, seconds=20)
    assert sim.tick(at(hours=4, minutes=5), a, b, c).notifications == ()
    title = "[STILL FIRING:3] conflict_spike, sync_failure, timeout_threshold — int-a"
    first = sim.tick(at(hours=4, minutes=5, seconds=20), a, b, c)
    assert sent(first) == [("repeat", 1, "email", OPS, title)]
    second = sim.tick(at(hours=8, minutes=5, seconds=20), a, b, c)
    assert sent(second) == [("repeat", 2, "email", OPS, title)]


def test_flapping_within_the_suppression_window_sends_one_firing_notification() -> None:
    sim = Sim()
    assert sent(sim.tick(at(0), obs(started=at(-1)))) == [FIRING_A]
    assert sent(sim.tick(at(6))) == [RESOLVED_A]
    refire = sim.tick(at(8), obs(started=at(7)))
    assert sim.alert().status == "firing" and refire.notifications == ()
    assert refire.next_wakeup == at(15)  # one announcement per fingerprint per 15 min
    assert sim.tick(at(10)).notifications == ()  # it never notified, so its resolution is not sent either
    assert [n.transition for n in sim.sent] == ["firing", "resolved"]


def test_a_refiring_condition_that_persists_is_announced_when_the_suppression_window_ends() -> None:
    sim = Sim()
    sim.tick(at(0), obs(started=at(-1)))
    sim.tick(at(6))
    sim.tick(at(8), obs(started=at(7)))
    assert sim.tick(at(14), obs(started=at(7))).notifications == ()
    assert sent(sim.tick(at(15), obs(started=at(7)))) == [FIRING_A]


def test_rate_limit_holds_back_the_51st_message_and_summarises_it_when_the_hour_frees_a_slot() -> None:
    per_metric = {"default": {"recipients": [OPS], "group_by": ["integration_id", "metric"], "group_wait_seconds": 0}}
    sim = Sim(make_settings(routes=per_metric))
    metrics = [obs("performance_degradation", labels={"metric": f"m{i:02d}"}) for i in range(51)]
    other = obs("performance_degradation", "int-b", labels={"metric": "m00"})
    burst = sim.tick(at(0), *metrics, other)
    assert len([n for n in burst.notifications if n.integration_id == "int-a"]) == 50
    assert [n.integration_id for n in burst.notifications].count("int-b") == 1  # limits are per integration
    assert burst.held_back == {"int-a": 1} and burst.next_wakeup == at(60)
    held_id = alert_id("performance_degradation", at(-1), labels={"metric": "m50"})
    assert held_id not in {i for n in burst.notifications for i in n.alert_ids}
    newcomer = obs("performance_degradation", labels={"metric": "m51"}, started=at(30))
    more = sim.tick(at(30), *metrics, newcomer, other)
    assert more.notifications == () and more.held_back == {"int-a": 2}  # counted, not lost
    assert sim.tick(at(59), *metrics, newcomer, other).held_back == {"int-a": 2}
    freed = sim.tick(at(60), *metrics, newcomer, other)
    assert sent(freed) == [("held_back", 1, "email", OPS, "[HELD BACK:2] performance_degradation — int-a")]
    (summary,) = freed.notifications
    newcomer_id = alert_id("performance_degradation", at(30), labels={"metric": "m51"})
    assert summary.alert_ids == tuple(sorted([held_id, newcomer_id]))
    assert "held back 2 message(s) since 2026-11-27 12:00 UTC (2 firing)" in summary.message.text
    assert freed.held_back == {} and freed.state.held_back == {}


def test_a_held_back_resolution_is_summarised_with_the_alerts_current_status() -> None:
    sim = Sim(make_settings(rate_limit_per_hour=1))
    sim.tick(at(0), obs())
    held = sim.tick(at(10))
    assert held.notifications == () and held.held_back == {"int-a": 1}
    assert held.state.alerts  # kept until its summary has been sent
    freed = sim.tick(at(60))
    assert sent(freed) == [("held_back", 1, "email", OPS, "[HELD BACK:1] sync_failure — int-a")]
    assert freed.notifications[0].message.status == "resolved"
    assert freed.state.alerts == {}


# --- escalation, inhibition -----------------------------------------------------------------------


def test_escalation_repeats_until_acknowledged_and_the_resolution_reaches_the_escalation_targets() -> None:
    sim = Sim()
    down = obs("integration_down")
    assert sent(sim.tick(at(0), down)) == [("firing", 0, "email", OPS, "[FIRING:1] integration_down — int-a")]
    assert sim.tick(at(14), down).next_wakeup == at(15)
    first = sim.tick(at(15), down)
    assert sent(first) == [("escalation", 1, "email", ONCALL, "[ESCALATION 1] integration_down — int-a")]
    assert first.changed[0].escalation_count == 1 and first.next_wakeup == at(30)
    assert sim.tick(at(20), down).notifications == ()  # every 15 min, not every evaluation
    second = sim.tick(at(30), down)
    assert sent(second) == [("escalation", 2, "email", ONCALL, "[ESCALATION 2] integration_down — int-a")]
    acked = sim.ack(sim.alert("integration_down").alert_id, at(31))
    assert acked.notifications == () and acked.next_wakeup is None
    assert sim.tick(at(45), down).notifications == ()
    done = sim.tick(at(50))
    assert sent(done) == [
        ("resolved", 0, "email", ONCALL, "[RESOLVED] integration_down — int-a"),
        ("resolved", 0, "email", OPS, "[RESOLVED] integration_down — int-a"),
    ]


def test_error_alerts_escalate_after_sixty_minutes_and_info_alerts_never() -> None:
    sim = Sim(make_settings(rules={"conflict_spike": {"severity": "info"}}))
    assert sim.tick(at(0), obs(), obs("conflict_spike", "int-b")).next_wakeup == at(60)
    assert sim.tick(at(59), obs(), obs("conflict_spike", "int-b")).notifications == ()
    assert sent(sim.tick(at(60), obs(), obs("conflict_spike", "int-b"))) == [
        ("escalation", 1, "email", ONCALL, "[ESCALATION 1] sync_failure — int-a")]


def test_integration_down_inhibits_sync_failure_until_it_resolves() -> None:
    sim = Sim()
    down, failing = obs("integration_down"), obs("sync_failure")
    first = sim.tick(at(0), down, failing, obs("sync_failure", "int-b"))
    assert sent(first) == [
        ("firing", 0, "email", OPS, "[FIRING:1] integration_down — int-a"),
        ("firing", 0, "email", OPS, "[FIRING:1] sync_failure — int-b"),
    ]
    assert sim.alert("sync_failure").inhibited_by == sim.alert("integration_down").alert_id
    assert sim.alert("sync_failure", "int-b").inhibited_by is None
    back = sim.tick(at(10), failing, obs("sync_failure", "int-b"))
    assert sent(back) == [FIRING_A, ("resolved", 0, "email", OPS, "[RESOLVED] integration_down — int-a")]
    assert sim.alert("sync_failure").inhibited_by is None


# --- silences and maintenance windows -------------------------------------------------------------


def test_silence_matchers_with_regex_mute_until_expired_early() -> None:
    sim = Sim()
    sim.silence(at(0), silence("s1", {"integration_id": "~int-(a|b)", "alertname": "sync_failure"}, at(0), at(60)))
    conditions = [obs(), obs(integration="int-b"), obs(integration="int-c"), obs("timeout_threshold")]
    first = sim.tick(at(0), *conditions)
    assert sent(first) == [
        ("firing", 0, "email", OPS, "[FIRING:1] timeout_threshold — int-a"),
        ("firing", 0, "email", OPS, "[FIRING:1] sync_failure — int-c"),
    ]
    assert [sim.alert(integration=i).silenced_by for i in ("int-a", "int-b", "int-c")] == ["s1", "s1", None]
    assert first.next_wakeup == at(60)
    assert sim.tick(at(10), *conditions).notifications == ()
    unmuted = sim.unsilence("s1", at(20))
    assert sent(unmuted) == [FIRING_A, ("firing", 0, "email", OPS, "[FIRING:1] sync_failure — int-b")]
    assert sim.alert().silenced_by is None
    assert [s.expired_at for s in unmuted.state.silences] == [at(20)]  # kept a day, so the shell records its end


def test_silence_ending_on_time_lets_the_alert_notify_then() -> None:
    sim = Sim()
    sim.silence(at(0), silence("s1", {"integration_id": "int-a"}, at(0), at(60)))
    assert sim.tick(at(0), obs()).next_wakeup == at(60)
    assert sent(sim.tick(at(60), obs())) == [FIRING_A]


def test_silence_starting_later_mutes_only_from_its_start_and_defers_the_resolution() -> None:
    sim = Sim()
    sim.silence(at(0), silence("later", {"severity": "error"}, at(30), at(120)))
    assert sent(sim.tick(at(0), obs())) == [FIRING_A]
    assert sim.tick(at(29), obs()).state.alerts[sim.alert().alert_id].silenced_by is None
    assert sim.tick(at(30), obs()).state.alerts[sim.alert().alert_id].silenced_by == "later"
    assert sim.tick(at(61), obs()).notifications == ()  # the escalation due at 60 min is skipped while muted
    cleared = sim.tick(at(70))
    assert cleared.notifications == () and cleared.next_wakeup == at(120)
    assert sent(sim.tick(at(120))) == [RESOLVED_A]


def test_an_alert_acknowledged_while_muted_is_never_announced() -> None:
    sim = Sim()
    sim.silence(at(0), silence("s1", {"integration_id": "int-a"}, at(0), at(60)))
    sim.tick(at(0), obs())
    sim.ack(sim.alert().alert_id, at(10))
    assert sim.unsilence("s1", at(20)).notifications == ()  # the operator already knows
    assert sim.tick(at(30)).notifications == ()  # never announced, so no resolution either
    assert sim.sent == [] and sim.state.alerts == {}


def test_bad_silences_are_refused_with_a_clear_message() -> None:
    sim = Sim()
    with pytest.raises(ValueError, match=r"silence bad\.matchers\.integration_id: invalid regular expression"):
        sim.silence(at(0), silence("bad", {"integration_id": "~int-(a"}, at(0), at(60)))
    with pytest.raises(ValueError, match="ends_at must be after starts_at"):
        sim.silence(at(0), silence("backwards", {}, at(60), at(0)))
    sim.silence(at(0), silence("s1", {}, at(0), at(60)))
    with pytest.raises(ValueError, match="already exists"):
        sim.silence(at(0), silence("s1", {}, at(0), at(60)))
    with pytest.raises(KeyError, match="no active or upcoming silence 'nope'"):
        sim.unsilence("nope", at(1))


def berlin_sunday_night() -> AlertingSettings:
    window = {"name": "sunday-night", "timezone": "Europe/Berlin", "weekdays": ["sun"], "start": "02:30",
              "duration_minutes": 60}
    return make_settings(maintenance_windows=[window], escalation={"after_minutes": {}, "recipients": [ONCALL]})


def test_maintenance_window_on_the_spring_forward_day_starts_at_0330_summer_time() -> None:
    day = datetime(2026, 3, 29, tzinfo=UTC)  # Europe/Berlin skips 02:00-03:00 local
    sim = Sim(berlin_sunday_night())
    before = sim.tick(day + timedelta(hours=1), obs(started=day))  # 03:00 CEST: before the window
    assert sent(before) == [FIRING_A]
    muted = sim.tick(day + timedelta(hours=1, minutes=40), obs(started=day), obs("timeout_threshold", started=day))
    assert muted.notifications == () and sim.alert("timeout_threshold").silenced_by == "sunday-night"
    assert muted.next_wakeup == day + timedelta(hours=2, minutes=30)  # 04:30 CEST, 60 real minutes later
    after = sim.tick(day + timedelta(hours=2, minutes=30), obs(started=day), obs("timeout_threshold", started=day))
    assert sent(after) == [("firing", 0, "email", OPS, "[FIRING:1] timeout_threshold — int-a")]


def test_maintenance_window_on_the_fall_back_day_runs_once_from_the_first_0230() -> None:
    day = datetime(2026, 10, 25, tzinfo=UTC)  # Europe/Berlin lives 02:00-03:00 local twice
    sim = Sim(berlin_sunday_night())
    quiet = sim.tick(day + timedelta(minutes=40), obs(started=day))  # 02:40 CEST, the first time
    assert quiet.notifications == () and quiet.next_wakeup == day + timedelta(minutes=90)
    assert sim.alert().silenced_by == "sunday-night"
    assert sent(sim.tick(day + timedelta(minutes=100), obs(started=day))) == [FIRING_A]  # 02:40 CET: not again


# --- fan-out, ids, state --------------------------------------------------------------------------


def test_fan_out_gives_one_notification_per_channel_and_target_with_deterministic_unique_ids() -> None:
    settings = make_settings(
        routes={"default": {"recipients": [OPS, "lead@example.com"], "channels": ["email", "webhook:ops-slack"]}},
        webhooks={"ops-slack": {"url": "https://hooks.example.com/x", "format": "slack"}},
    )
    runs = []
    for _ in range(2):
        sim = Sim(settings)
        sim.tick(at(0), obs())
        sim.tick(at(hours=4), obs())
        sim.tick(at(hours=4, minutes=10))
        runs.append([(n.notification_id, n.transition, n.sequence, n.channel, n.target) for n in sim.sent])
    assert runs[0] == runs[1]
    the_id = alert_id("sync_failure", at(-1))
    expected = []
    for transition, sequence in [("firing", 0), ("repeat", 1), ("escalation", 1), ("resolved", 0)]:
        targets = [("email", ONCALL)] if transition == "escalation" else [
            ("email", "lead@example.com"), ("email", OPS), ("webhook", "ops-slack")]
        if transition == "resolved":
            targets.insert(1, ("email", ONCALL))  # it escalated, so the escalation target hears it ended
        expected += [(notification_id_for((the_id,), transition, sequence, c, t), transition, sequence, c, t)
                     for c, t in targets]
    assert runs[0] == expected
    assert len({row[0] for row in runs[0]}) == len(runs[0])


def test_message_carries_alerts_links_and_highest_severity() -> None:
    sim = Sim()
    result = sim.tick(at(0), obs("integration_down"), obs("sync_failure"))
    (notification,) = result.notifications  # sync_failure is inhibited by integration_down
    message = notification.message
    assert (message.status, message.severity, message.transition, message.group_key) == (
        "firing", "critical", "firing", 'default{integration_id="int-a"}')
    assert message.links == (("Dagster UI", "http://127.0.0.1:3000"),)
    assert [(a.alert_type, a.status, a.summary) for a in message.alerts] == [
        ("integration_down", "firing", "integration_down on int-a")]
    assert notification.fingerprints == (fingerprint_of("integration_down", "int-a", {}),)


def test_state_round_trips_through_json_and_continues_identically() -> None:
    sim = Sim(make_settings(rate_limit_per_hour=2, rules={"timeout_threshold": {"for_minutes": 30}}))
    sim.silence(at(0), silence("s1", {"integration_id": "int-c"}, at(0), at(90)))
    conditions = [obs(), obs("integration_down", "int-b"), obs(integration="int-c"),
                  obs("timeout_threshold", "int-d", labels={"table": "users"}), obs(integration="int-e")]
    sim.tick(at(0), *conditions)
    sim.ack(sim.alert("integration_down", "int-b").alert_id, at(1))
    sim.tick(at(2), *conditions[1:])  # int-a resolves; its resolution waits for the group interval
    state = sim.state
    assert state.alerts and state.books and state.groups and state.memory and state.silences and state.sent_log
    text = state.to_json()
    assert EngineState.from_json(text) == state and EngineState.from_json(text).to_json() == text
    for when in (at(5), at(40), at(hours=5)):
        assert evaluate(EngineState.from_json(text), [replace(o, observed_at=when) for o in conditions], when,
                        sim.settings) == evaluate(state, [replace(o, observed_at=when) for o in conditions], when,
                                                  sim.settings)


def test_held_back_state_round_trips_through_json() -> None:
    sim = Sim(make_settings(rate_limit_per_hour=1))
    sim.tick(at(0), obs())
    sim.tick(at(10))
    assert sim.state.held_back
    assert EngineState.from_json(sim.state.to_json()) == sim.state


def test_observation_order_does_not_change_the_outcome() -> None:
    conditions = [obs(rule, integration) for rule in ("sync_failure", "timeout_threshold", "integration_down")
                  for integration in ("int-a", "int-b", "int-c")]
    outcomes = set()
    for seed in range(3):
        shuffled = conditions[:]
        random.Random(seed).shuffle(shuffled)
        observed = [replace(o, observed_at=at(0)) for o in shuffled]
        result = evaluate(EngineState.empty(), observed, at(0), make_settings())
        outcomes.add((result.state.to_json(), tuple(n.notification_id for n in result.notifications)))
    assert len(outcomes) == 1


def test_state_is_bounded_once_everything_is_over() -> None:
    sim = Sim()
    sim.silence(at(0), silence("s1", {"integration_id": "int-b"}, at(0), at(30)))
    sim.tick(at(0), obs(), obs(integration="int-b"))
    sim.tick(at(10))
    assert sim.state.memory and sim.state.silences
    assert sim.tick(at(hours=30)).state == EngineState.empty()


def test_next_wakeup_is_the_earliest_time_based_transition() -> None:
    sim = Sim(make_settings(rules={"timeout_threshold": {"for_minutes": 45}}))
    sim.silence(at(0), silence("s1", {"integration_id": "int-b"}, at(0), at(25)))
    result = sim.tick(at(0), obs(), obs("timeout_threshold", started=at(0)), obs(integration="int-b"))
    assert result.next_wakeup == at(25)  # silence end < pending fires (45 min) < escalation (60 min)
    result = sim.tick(at(25), obs(), obs("timeout_threshold", started=at(0)), obs(integration="int-b"))
    assert result.next_wakeup == at(45)
    result = sim.tick(at(45), obs(), obs("timeout_threshold", started=at(0)), obs(integration="int-b"))
    assert result.next_wakeup == at(60)  # int-a's sync_failure escalates 60 min after it was announced
