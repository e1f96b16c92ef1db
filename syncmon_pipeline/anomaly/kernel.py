"""The detector's inner loop over one chunk of a series (compiled by numba when it is installed)."""

from __future__ import annotations

import math

import numpy as np

from syncmon_pipeline.anomaly._jit import njit
from syncmon_pipeline.anomaly.likelihood import evidence_to_score, learn_average, likelihood_evidence, window_average
from syncmon_pipeline.anomaly.predictors import (
    context_novelty, flat_evidence, learn_flat, learn_prediction, learn_range, predict, prediction_raw_score,
    range_evidence, record_evidence,
)  # fmt: skip
from syncmon_pipeline.anomaly.state import HIGH, LAST_ALARM, LEVEL, LOW, MAX_SURPRISE, PREVIOUS, SEEN, STEP, WAS_RED

# The packed parameters, by index (see DetectorParameters for their meaning).
(
    LEVEL_RATE, ERROR_RATE, SLOT_RATE, BIAS_RATE, SOFTNESS, CONTEXT_BINS, CONTEXT_NOISE_WIDTH,
    LONG_RUN_RATE, SD_FLOOR, WARMUP, TOLERANCE, RED, YELLOW, REFRACTORY,
) = range(14)  # fmt: skip
N_PARAMETERS = 14
INFINITE_EVIDENCE = math.inf


@njit
def _bands(expected: float, scale: float, s: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    """Roughly where one point alone starts to alarm: a record surprise, or beyond the range seen."""
    step = s[STEP] if math.isfinite(s[STEP]) else 0.0
    top = s[MAX_SURPRISE] if s[MAX_SURPRISE] > 0.0 else 6.0  # before any record: a nominal six scales
    half = top * (1.0 + p[TOLERANCE]) * scale + step
    lower, upper = expected - half, expected + half
    span = s[HIGH] - s[LOW]
    if span > 0.0:
        margin = max(p[TOLERANCE] * span, step)
        lower, upper = max(lower, s[LOW] - margin), min(upper, s[HIGH] + margin)
    return min(lower, expected), max(upper, expected)


@njit
def _filtered(score: float, s: np.ndarray, p: np.ndarray) -> float:
    """One alarm per event: a red score right after another red, or within the refractory period
    after the last alarm, is lowered to the yellow level (Numenta's likelihood filter). A negative
    refractory period turns the filter off: every red stands."""
    if p[REFRACTORY] < 0.0:
        return score
    red = score >= 0.5
    repeated = s[WAS_RED] > 0.0 or s[SEEN] - s[LAST_ALARM] <= p[REFRACTORY]
    s[WAS_RED] = 1.0 if red else 0.0
    if not red:
        return score
    if repeated:
        return min(score, evidence_to_score(p[YELLOW], p[RED]))
    s[LAST_ALARM] = s[SEEN]
    return score


@njit
def score_chunk(
    x: np.ndarray, slots: np.ndarray, p: np.ndarray, s: np.ndarray, slot_mean: np.ndarray, slot_visits: np.ndarray,
    window: np.ndarray, recent: np.ndarray, contexts: np.ndarray, prefixes: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Scores, expected values, scales and alarm bands for `x`, updating the state arrays in place."""
    n = len(x)
    scores = np.zeros(n)
    expectations, scales = np.full(n, np.nan), np.full(n, np.nan)
    lowers, uppers = np.full(n, np.nan), np.full(n, np.nan)
    warmup, red = p[WARMUP], p[RED]
    for i in range(n):
        value = x[i]
        if math.isnan(value):
            continue  # missing: scores 0 and teaches nothing
        if math.isinf(value):
            scores[i] = evidence_to_score(INFINITE_EVIDENCE, red)  # as extreme as it gets; not learnt
            if s[SEEN] > 0.0:
                expectations[i], scales[i] = predict(slots[i], s, slot_mean, slot_visits)
                lowers[i], uppers[i] = _bands(expectations[i], scales[i], s, p)
            continue
        value = min(max(value, -1e150), 1e150)  # keeps every difference and ratio below finite overflow
        if s[SEEN] == 0.0:
            s[LEVEL] = s[LOW] = s[HIGH] = s[PREVIOUS] = value
            s[SEEN] = 1.0
            expectations[i], scales[i], lowers[i], uppers[i] = value, 0.0, value, value
            continue
        slot = slots[i]
        expected, scale = predict(slot, s, slot_mean, slot_visits)
        surprise = abs(value - expected) / scale

        # Raw score: a blend of prediction error and context novelty, then its likelihood.
        raw = 0.5 * prediction_raw_score(surprise, p[SOFTNESS])
        raw += 0.5 * context_novelty(value, s, recent, contexts, prefixes, int(p[CONTEXT_BINS]), p[CONTEXT_NOISE_WIDTH])
        average = window_average(raw, s, window)
        evidence = likelihood_evidence(average, s, p[SD_FLOOR])

        # Direct evidence that needs no averaging: flat lines, new extremes, record surprises.
        flat, run = flat_evidence(value, s[PREVIOUS], s, warmup // 2)
        evidence = max(evidence, flat, range_evidence(value, s, p[TOLERANCE], red))
        if s[SEEN] >= warmup:
            evidence = max(evidence, record_evidence(surprise, scale, s, p[TOLERANCE], red))
        evidence *= min(1.0, s[SEEN] / warmup)  # cold start: the detector is still learning
        scores[i] = _filtered(evidence_to_score(evidence, red), s, p)
        expectations[i], scales[i] = expected, scale
        lowers[i], uppers[i] = _bands(expected, scale, s, p)

        # Learn from this point.
        if s[SEEN] >= max(float(len(window)), warmup):
            learn_average(average, s, p[LONG_RUN_RATE])
        if s[SEEN] >= warmup // 2:
            s[MAX_SURPRISE] = max(s[MAX_SURPRISE], surprise)
        learn_prediction(value, slot, s, slot_mean, slot_visits, p[LEVEL_RATE], p[ERROR_RATE], p[SLOT_RATE], p[BIAS_RATE])
        learn_flat(run, s)
        learn_range(value, s[PREVIOUS], s)
        s[PREVIOUS] = value
        s[SEEN] += 1.0
    return scores, expectations, scales, lowers, uppers
