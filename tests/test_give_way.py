"""Analytics steps give the warehouse slot to ingest and alert runs under way, but not for ever."""

from __future__ import annotations

import uuid

import dagster as dg
import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncmon_pipeline.analytics.give_way import retries_needed, should_give_way


@given(st.integers(0, 50), st.floats(0, 1000), st.floats(0, 600))
def test_a_step_gives_way_only_while_paging_runs_are_under_way_and_only_up_to_the_limit(urgent, waited, limit):
    assert should_give_way(urgent, waited, max_wait_seconds=limit) == (urgent > 0 and waited < limit)


@given(st.floats(0, 600), st.floats(0.1, 60))
def test_the_retries_asked_for_cover_the_whole_wait(limit, every):
    assert retries_needed(limit, every) * every >= limit and retries_needed(limit, every) >= 1


def _run(instance: dg.DagsterInstance, job_name: str, status: dg.DagsterRunStatus, tags: dict[str, str]) -> None:
    instance.add_run(dg.DagsterRun(job_name=job_name, run_id=str(uuid.uuid4()), status=status, tags=tags))


def test_the_shell_retries_the_step_while_an_ingest_run_is_in_progress(tmp_path):
    from syncmon_pipeline.defs.give_way import MAX_WAIT_SECONDS, URGENT_RUN_TAGS, give_way

    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        _run(instance, "analytics_job", dg.DagsterRunStatus.STARTED, {})  # not paging: no reason to wait
        _run(instance, "ingest_job", dg.DagsterRunStatus.SUCCESS, URGENT_RUN_TAGS)  # done: neither
        give_way(instance, retry_number=0)
        _run(instance, "ingest_job", dg.DagsterRunStatus.STARTING, URGENT_RUN_TAGS)  # its first step waits its turn
        give_way(instance, retry_number=0)
        _run(instance, "ingest_job", dg.DagsterRunStatus.STARTED, URGENT_RUN_TAGS)  # between its steps
        with pytest.raises(dg.RetryRequested) as raised:
            give_way(instance, retry_number=0)
        assert raised.value.seconds_to_wait > 0 and raised.value.max_retries >= 1
        give_way(instance, retry_number=raised.value.max_retries)  # waited long enough: takes the slot anyway
        assert raised.value.max_retries * raised.value.seconds_to_wait >= MAX_WAIT_SECONDS

