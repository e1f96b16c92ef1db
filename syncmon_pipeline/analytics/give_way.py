"""When an analytics step gives the warehouse slot back to paging.

Dagster hands a freed slot to the longest-waiting step of the highest priority *at that moment*. An
ingest run's next step is not waiting yet when its previous step frees the slot, so an analytics run
that is waiting takes it, and the two runs alternate step by step: a page waited for every part of
the analytics run it overlapped (measured: up to ~35 s of a 76 s incident). So an analytics step that
gets the slot while an ingest or alert run is in progress (started, between or in its steps) gives it
back and asks to be retried a moment later, until that run is done, but never for longer than the
limit (analytics would otherwise starve while files keep landing).
"""

from __future__ import annotations

import math


def should_give_way(urgent_runs: int, waited_seconds: float, *, max_wait_seconds: float) -> bool:
    """True while a paging run is under way and this step has not yet waited `max_wait_seconds`."""
    return urgent_runs > 0 and waited_seconds < max_wait_seconds


def retries_needed(max_wait_seconds: float, retry_every_seconds: float) -> int:
    """How many retries a step may ask for so it can give way for `max_wait_seconds` in all."""
    return max(1, math.ceil(max_wait_seconds / retry_every_seconds))
