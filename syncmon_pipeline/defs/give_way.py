"""The shell of `analytics.give_way`: a step of an ordinary run (analytics) that holds the warehouse slot
while an ingest or alert run is under way asks Dagster to retry it shortly, which frees the slot for that
run. Steps of ingest and alert runs themselves never give way."""

import dagster as dg

from syncmon_pipeline.analytics.give_way import retries_needed, should_give_way
from syncmon_pipeline.config import load_settings

# Ingest and alert runs go first, in the run queue and for the warehouse slot: an analytics run
# started in between must not make a page wait for a full rebuild of the marts.
URGENT_RUN_TAGS = {"dagster/priority": "10"}
# Only runs already stepping: a queued or starting run's first step waits for the slot with its priority
# anyway; giving way to those too made analytics wait out its whole limit whenever runs kept coming, then
# take the slot at a random moment (measured: worse tails than not giving way).
UNDER_WAY = [dg.DagsterRunStatus.STARTED]
RETRY_EVERY_SECONDS = 2.0
MAX_WAIT_SECONDS = load_settings().analytics.give_way_seconds


def urgent_runs_under_way(instance: dg.DagsterInstance) -> int:
    return instance.get_runs_count(dg.RunsFilter(statuses=UNDER_WAY, tags=URGENT_RUN_TAGS))


def give_way_to_paging(context: dg.OpExecutionContext | dg.AssetExecutionContext | dg.AssetCheckExecutionContext) -> None:
    """Raise `RetryRequested` (the step ends, its slot goes to the waiting run) while paging runs are under way."""
    if context.run.tags.get("dagster/priority") == URGENT_RUN_TAGS["dagster/priority"]:
        return  # this run is paging itself
    give_way(context.instance, context.retry_number, context.log)


def give_way(instance: dg.DagsterInstance, retry_number: int, log=None) -> None:
    waited = retry_number * RETRY_EVERY_SECONDS
    urgent = urgent_runs_under_way(instance)
    if should_give_way(urgent, waited, max_wait_seconds=MAX_WAIT_SECONDS):
        if log is not None:
            log.info(f"giving the warehouse slot to {urgent} ingest/alert run(s) under way (waited {waited:.0f} s)")
        raise dg.RetryRequested(max_retries=retries_needed(MAX_WAIT_SECONDS, RETRY_EVERY_SECONDS),
                                seconds_to_wait=RETRY_EVERY_SECONDS)  # fmt: skip
