"""When the alert sensor launches an evaluation (the pure decision behind alert_sensor)."""

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from syncmon_pipeline.alerts.launch import AlertSensorView, launch_reason

IDLE = AlertSensorView(waiting_runs=0, started_runs=0, pending_command=False, fresh_facts=False,
                       wakeup_due=False, periodic_due=False)  # fmt: skip


def test_nothing_new_launches_nothing():
    assert launch_reason(IDLE) == (False, "no fresh facts and nothing due")


def test_each_cause_launches_with_its_reason_and_a_command_comes_first():
    assert launch_reason(replace(IDLE, fresh_facts=True)) == (True, "fresh facts")
    assert launch_reason(replace(IDLE, wakeup_due=True)) == (True, "timed transition due")
    assert launch_reason(replace(IDLE, periodic_due=True)) == (True, "periodic")
    everything = replace(IDLE, pending_command=True, fresh_facts=True, wakeup_due=True, periodic_due=True)
    assert launch_reason(everything) == (True, "pending command")


def test_a_command_launches_beside_one_running_evaluation_but_not_beside_two():
    command = replace(IDLE, pending_command=True)
    assert launch_reason(replace(command, started_runs=1)) == (True, "pending command")
    assert launch_reason(replace(command, started_runs=2))[0] is False


def test_facts_wait_for_the_running_evaluation():
    assert launch_reason(replace(IDLE, fresh_facts=True, started_runs=1)) == (False, "an alert evaluation is running")


views = st.builds(AlertSensorView, waiting_runs=st.integers(0, 3), started_runs=st.integers(0, 3),
                  pending_command=st.booleans(), fresh_facts=st.booleans(), wakeup_due=st.booleans(),
                  periodic_due=st.booleans())  # fmt: skip


@given(views)
def test_never_more_than_one_waiting_or_two_started_runs(view):
    launch, reason = launch_reason(view)
    assert isinstance(reason, str) and reason
    if view.waiting_runs or view.started_runs >= 2:
        assert not launch
    if view.started_runs == 1 and launch:
        assert view.pending_command  # only an operator's command launches beside a running evaluation
    if not view.waiting_runs and not view.started_runs:
        assert launch == any((view.pending_command, view.fresh_facts, view.wakeup_due, view.periodic_due))
