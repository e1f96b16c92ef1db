"""The detector's views of one point: how badly it was predicted, how novel its context is, and
whether it is an extreme or the continuation of a flat line. Each function reads and updates the
state arrays of `syncmon_pipeline.anomaly.state` (scalars `s` indexed by name)."""

from __future__ import annotations

import math

import numpy as np

from syncmon_pipeline.anomaly._jit import njit
from syncmon_pipeline.anomaly.state import (
    AFTER_MOVES, AFTER_REPEATS, BIAS, HIGH, LEVEL, LEVEL_ERROR, LOW, MAX_SURPRISE, REPEATS_AFTER_MOVES,
    REPEATS_AFTER_REPEATS, RUN, SEASONAL_ERROR, SEEN, STEP,
)  # fmt: skip

WINSOR = 4.0  # baselines learn from values clipped to this many scales: one outlier cannot drag them


@njit
def scale_floor(s: np.ndarray) -> float:
    """The scale never collapses: at least the series' quantisation step and a sliver of its level."""
    step = s[STEP] if math.isfinite(s[STEP]) else 0.0
    return max(step, 1e-3 * abs(s[LEVEL]), 1e-12)


# --- prediction: an EW level, and a seasonal slot mean plus a fast bias, whichever serves better ----


@njit
def predict(slot: int, s: np.ndarray, slot_mean: np.ndarray, slot_visits: np.ndarray) -> tuple[float, float]:
    """(expected value, its scale) from the predictor with the smaller recent error."""
    floor = scale_floor(s)
    if slot_visits[slot] >= 2 and s[SEASONAL_ERROR] < s[LEVEL_ERROR]:
        return slot_mean[slot] + s[BIAS], max(s[SEASONAL_ERROR], floor)
    return s[LEVEL], max(s[LEVEL_ERROR], floor)


@njit
def learn_prediction(
    value: float, slot: int, s: np.ndarray, slot_mean: np.ndarray, slot_visits: np.ndarray,
    level_rate: float, error_rate: float, slot_rate: float, bias_rate: float,
) -> None:  # fmt: skip
    floor = scale_floor(s)
    level_scale = max(s[LEVEL_ERROR], floor)
    deviation = value - s[LEVEL]
    s[LEVEL] += level_rate * min(max(deviation, -WINSOR * level_scale), WINSOR * level_scale)
    s[LEVEL_ERROR] += error_rate * (min(abs(deviation), 1.5 * WINSOR * level_scale) - s[LEVEL_ERROR])
    if slot_visits[slot] == 0:
        slot_mean[slot], slot_visits[slot] = value - s[BIAS], 1.0
        return
    expected = slot_mean[slot] + s[BIAS]
    seasonal_scale = max(s[SEASONAL_ERROR], floor)
    miss = value - expected
    s[SEASONAL_ERROR] += error_rate * (min(abs(miss), 1.5 * WINSOR * seasonal_scale) - s[SEASONAL_ERROR])
    clipped = expected + min(max(miss, -WINSOR * seasonal_scale), WINSOR * seasonal_scale)
    slot_visits[slot] += 1.0
    # The slot mean is exact over its first visits, then follows the slot with a half-life in visits;
    # the bias carries a level shift across all slots at once.
    slot_mean[slot] += max(1.0 / slot_visits[slot], slot_rate) * (clipped - s[BIAS] - slot_mean[slot])
    s[BIAS] += bias_rate * (clipped - slot_mean[slot] - s[BIAS])


@njit
def prediction_raw_score(surprise: float, softness: float) -> float:
    """Robust z to [0, 1): small deviations count little, large ones approach 1."""
    if surprise <= 0.0:
        return 0.0
    return 1.0 / (1.0 + (softness / surprise) ** 2)


# --- context novelty (contextOSE-like): has this sequence of quantised values been seen before? ----


@njit
def context_novelty(
    value: float, s: np.ndarray, recent: np.ndarray, contexts: np.ndarray, prefixes: np.ndarray,
    bins: int, noise_width: float,
) -> float:  # fmt: skip
    """1 - P(this quantised value | the previous ones), counted over the series so far.

    Values are quantised over the range seen, in `bins` levels but never finer than `noise_width`
    scales (finer levels would make noise look novel), plus one level on either side of the range.
    """
    span = s[HIGH] - s[LOW]
    width = max(span / bins, noise_width * max(s[LEVEL_ERROR], scale_floor(s)))
    position = (value - s[LOW]) / width if width > 0.0 else 0.0
    level = int(min(max(math.floor(position), -1.0), float(bins))) + 1
    levels = bins + 2
    for k in range(len(recent) - 1):
        recent[k] = recent[k + 1]
    recent[len(recent) - 1] = level
    if s[SEEN] < len(recent):
        return 0.0
    key = 0
    for k in range(len(recent)):
        key = key * levels + recent[k]
    prefix = key // levels
    novelty = 1.0 - contexts[key] / (prefixes[prefix] + 1.0)
    contexts[key] += 1.0
    prefixes[prefix] += 1.0
    return novelty


# --- flat line: a run of identical values, as improbable as its own history of repeats says --------


@njit
def flat_evidence(value: float, previous: float, s: np.ndarray, min_moves: float) -> tuple[float, float]:
    """(evidence, run length) for a run of repeats, under a two-state Markov chain of repeat/move
    learnt from the series (Laplace-smoothed). A run is learnt only once it ends, so a long flat
    line keeps its surprise instead of teaching itself to be normal. Only a series that has moved
    at least `min_moves` times can flat-line: one that never moved is simply constant."""
    run = s[RUN] + 1.0 if value == previous else 0.0
    moves = s[AFTER_MOVES] - s[REPEATS_AFTER_MOVES] + s[AFTER_REPEATS] - s[REPEATS_AFTER_REPEATS]
    if run == 0.0 or moves < min_moves:
        return 0.0, run
    first = (s[REPEATS_AFTER_MOVES] + 1.0) / (s[AFTER_MOVES] + 2.0)
    again = (s[REPEATS_AFTER_REPEATS] + 1.0) / (s[AFTER_REPEATS] + 2.0)
    return -math.log10(first) - (run - 1.0) * math.log10(again), run


@njit
def learn_flat(run: float, s: np.ndarray) -> None:
    if s[RUN] == 0.0:
        s[AFTER_MOVES] += 1.0
        s[REPEATS_AFTER_MOVES] += 1.0 if run > 0.0 else 0.0
    elif run == 0.0:  # a run of s[RUN] repeats just ended: s[RUN] - 1 continuations and one stop
        s[AFTER_REPEATS] += s[RUN]
        s[REPEATS_AFTER_REPEATS] += s[RUN] - 1.0
    s[RUN] = run


# --- extremes: beyond the range seen, or a bigger surprise than any seen (Numenta's spatial anomaly) -


@njit
def range_evidence(value: float, s: np.ndarray, tolerance: float, red: float) -> float:
    """Red evidence and more for a value beyond the range seen by more than `tolerance` of the range
    (and more than one quantisation step); growing with the log of the excess, so it never saturates."""
    span = s[HIGH] - s[LOW]
    if not span > 0.0:
        return 0.0
    margin = max(tolerance * span, s[STEP] if math.isfinite(s[STEP]) else 0.0)
    excess = max(value - s[HIGH], s[LOW] - value)
    if excess <= margin:
        return 0.0
    return red * (1.0 + math.log1p((excess - margin) / span))


@njit
def record_evidence(surprise: float, scale: float, s: np.ndarray, tolerance: float, red: float) -> float:
    """Red evidence and more for a prediction surprise beyond the largest seen since warm-up (by the
    same tolerance and one quantisation step): a lone spike inside the range."""
    top = s[MAX_SURPRISE]
    if top <= 0.0:
        return 0.0
    step = s[STEP] / scale if math.isfinite(s[STEP]) else 0.0
    bar = top * (1.0 + tolerance)
    if surprise <= bar + step:
        return 0.0
    return red * (1.0 + math.log1p((surprise - bar) / top))


@njit
def learn_range(value: float, previous: float, s: np.ndarray) -> None:
    if value != previous:
        s[STEP] = min(s[STEP], abs(value - previous))
    s[LOW] = min(s[LOW], value)
    s[HIGH] = max(s[HIGH], value)
