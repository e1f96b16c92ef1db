"""When the alert sensor launches an evaluation: a pure decision over what the sensor observed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AlertSensorView:
    """What one tick of the alert sensor saw (counts of alert evaluation runs, inbox and fact state)."""

    waiting_runs: int  # queued or starting: they have not read the inbox or the facts yet
    started_runs: int  # running: may already be past reading the inbox
    pending_command: bool  # operator commands (acknowledge, resolve, silence) wait in the inbox
    fresh_facts: bool  # facts or anomaly scores landed that no evaluation has seen
    wakeup_due: bool  # the engine has a time-based transition due
    periodic_due: bool  # no evaluation launched for `alerting.evaluate_every_seconds`


def launch_reason(view: AlertSensorView) -> tuple[bool, str]:
    """(launch?, the reason or why not).

    A waiting run will see everything there is when it starts, so nothing launches beside it. A run
    already started may have applied the inbox before a command arrived: an operator's command then
    launches one more run beside it rather than wait for it to end and for the next tick (the extra
    evaluation is harmless: commands apply once, and evaluation is idempotent), but never a third. The
    rest waits for the running evaluation, so runs never pile up behind the warehouse slot.
    """
    if view.waiting_runs:
        return False, "an alert evaluation is already queued; it will see this tick's changes"
    if view.pending_command and view.started_runs <= 1:
        return True, "pending command"  # an operator is waiting for the outcome
    if view.started_runs:
        return False, "an alert evaluation is running"
    if view.fresh_facts:
        return True, "fresh facts"
    if view.wakeup_due:
        return True, "timed transition due"
    if view.periodic_due:
        return True, "periodic"
    return False, "no fresh facts and nothing due"
