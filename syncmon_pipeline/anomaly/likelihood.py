"""Anomaly likelihood (Ahmad et al. 2017) and the evidence scale every part of the detector shares.

A raw anomaly score in [0, 1] is noisy: one badly predicted point says little. The likelihood asks
instead how unusual the *recent average* of the raw score is against its own long-run
distribution, as the Gaussian tail probability of that average. Evidence is expressed as
-log10 of a tail probability (5 = one chance in 100,000), so the flat-line, the range and the
likelihood parts of the detector can be compared and combined by taking the strongest.
"""

from __future__ import annotations

import math

import numpy as np

from syncmon_pipeline.anomaly._jit import njit
from syncmon_pipeline.anomaly.state import AVERAGE_MEAN, AVERAGE_VAR, AVERAGES_SEEN, SEEN, WINDOW_SUM

LN10 = math.log(10.0)
SQRT2 = math.sqrt(2.0)
SQRT2PI = math.sqrt(2.0 * math.pi)


@njit
def log10_tail(z: float) -> float:
    """-log10 P(N(0,1) > z) for z >= 0, without underflow: erfc's asymptotic series far out."""
    if z < 25.0:  # erfc is exact here and still far from underflow (it reaches ~1e-138)
        return -math.log10(0.5 * math.erfc(z / SQRT2))
    log_q = -0.5 * z * z - math.log(z * SQRT2PI) + math.log1p(-1.0 / (z * z) + 3.0 / z**4 - 15.0 / z**6)
    return -log_q / LN10


@njit
def window_average(raw: float, s: np.ndarray, window: np.ndarray) -> float:
    """Put `raw` into the averaging window (a ring over `seen`) and return the window's mean."""
    slot = int(s[SEEN]) % len(window)
    s[WINDOW_SUM] += raw - window[slot]
    window[slot] = raw
    return s[WINDOW_SUM] / min(s[SEEN], len(window))


@njit
def likelihood_evidence(average: float, s: np.ndarray, sd_floor: float) -> float:
    """Evidence that the window average is unusually high for this series (0 until it has a history)."""
    if s[AVERAGES_SEEN] == 0:
        return 0.0
    z = (average - s[AVERAGE_MEAN]) / max(math.sqrt(s[AVERAGE_VAR]), sd_floor)
    return log10_tail(z) if z > 0.0 else 0.0


@njit
def learn_average(average: float, s: np.ndarray, slowest_rate: float) -> None:
    """Exponentially weighted mean and variance of the window average: exact averages at first, then
    a long memory (NAB's HTM detector uses the last 8640 points; this is its streaming analogue)."""
    s[AVERAGES_SEEN] += 1.0
    rate = max(1.0 / s[AVERAGES_SEEN], slowest_rate)
    delta = average - s[AVERAGE_MEAN]
    s[AVERAGE_MEAN] += rate * delta
    s[AVERAGE_VAR] = (1.0 - rate) * (s[AVERAGE_VAR] + rate * delta * delta)


@njit
def evidence_to_score(evidence: float, red: float) -> float:
    """Evidence in log10 units to a score in [0, 1): 0.5 at `red`, monotone, never exactly 1 when finite."""
    if evidence <= 0.0:
        return 0.0
    if evidence > 1e15:  # infinite (an infinite value): the top of the scale
        return 1.0 - 1e-15
    return evidence / (evidence + red)
