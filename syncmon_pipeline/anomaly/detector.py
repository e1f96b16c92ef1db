"""A streaming anomaly detector for operational time series (durations, counts, latencies, rates).

One pass, causal: the score at time t depends only on values up to t, so scoring a prefix gives the
same scores for that prefix, and scoring resumes from a saved `DetectorState` with identical
results. One parameter set serves every series; every scale is learnt from the series itself.

The method follows Numenta's anomaly likelihood (Ahmad et al. 2017). Each point first gets a raw
score in [0, 1]: half the robust surprise of its deviation from the better of two predictors (an
exponentially weighted level, or a seasonal slot mean plus a fast bias), half the novelty of its
context, the last three values quantised over the range seen (as contextOSE does). The raw score
alone is noisy; the likelihood is the Gaussian tail probability of its short-window average against
that average's long-run distribution, so it rises only when the series stays surprising for a
while, and it is self-calibrating: a series whose ordinary life is unpredictable is judged against
its own unpredictability. Three kinds of evidence need no averaging: a value beyond the range seen
(Numenta's spatial anomaly), a lone prediction surprise larger than any seen since warm-up, and a
flat line as improbable as the series' own history of repeats says. All evidence is on one scale,
-log10 of a tail probability, and the strongest is mapped to a score that is 0.5 at one chance in
100,000 (ANOMALY_THRESHOLD) and approaches 1 only logarithmically, so it never saturates. A filter
keeps one alarm per event: a red score right after an alarm is lowered to the yellow level.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from syncmon_pipeline.anomaly import kernel
from syncmon_pipeline.anomaly.likelihood import evidence_to_score
from syncmon_pipeline.anomaly.state import SLOTS, DetectorState

__all__ = ["ANOMALY_THRESHOLD", "DEFAULT_PARAMETERS", "DetectorParameters", "DetectorState", "score_frame", "score_series"]


@dataclass(frozen=True)
class DetectorParameters:
    level_halflife: float = 3.0  # points: how fast the level (and the seasonal bias) follow the series
    error_halflife: float = 50.0  # points: memory of each predictor's typical error (its scale)
    slot_halflife: float = 10.0  # visits of a seasonal slot: how fast the slot's own mean adapts
    surprise_softness: float = 3.0  # robust z at which the prediction part of the raw score is 0.5
    context_bins: int = 10  # levels over the range seen, for the context novelty
    context_length: int = 3  # values in a context
    context_noise_width: float = 2.0  # a level is at least this many scales wide
    window: int = 10  # points averaged by the likelihood (Numenta's value)
    long_run_halflife: float = 3000.0  # points: memory of the average's long-run distribution
    sd_floor: float = 0.02  # least spread of that distribution, so a perfectly predictable series still has one
    warmup: int = 150  # points before scores reach full strength and the likelihood starts learning
    tolerance: float = 0.05  # beyond the range (or the largest surprise) by this fraction counts (Numenta's value)
    red_evidence: float = 5.0  # -log10 tail probability that scores 0.5: one chance in 100,000
    yellow_evidence: float = 3.0  # what a repeated alarm is lowered to: one chance in 1,000
    refractory: int = 20  # points after an alarm in which a new one counts as the same event (two windows);
    # negative: no filter, for consumers that keep one alert per event themselves

    def packed(self) -> np.ndarray:
        p = np.zeros(kernel.N_PARAMETERS)
        p[kernel.LEVEL_RATE] = _rate(self.level_halflife)
        p[kernel.ERROR_RATE] = _rate(self.error_halflife)
        p[kernel.SLOT_RATE] = _rate(self.slot_halflife)
        p[kernel.BIAS_RATE] = _rate(self.level_halflife)
        p[kernel.SOFTNESS] = self.surprise_softness
        p[kernel.CONTEXT_BINS] = self.context_bins
        p[kernel.CONTEXT_NOISE_WIDTH] = self.context_noise_width
        p[kernel.LONG_RUN_RATE] = _rate(self.long_run_halflife)
        p[kernel.SD_FLOOR] = self.sd_floor
        p[kernel.WARMUP] = self.warmup
        p[kernel.TOLERANCE] = self.tolerance
        p[kernel.RED] = self.red_evidence
        p[kernel.YELLOW] = self.yellow_evidence
        p[kernel.REFRACTORY] = self.refractory
        return p

    def fresh_state(self) -> DetectorState:
        return DetectorState.fresh(self.window, self.context_bins + 2, self.context_length)


def _rate(halflife: float) -> float:
    return 1.0 - 0.5 ** (1.0 / halflife)


DEFAULT_PARAMETERS = DetectorParameters()
# One threshold for every series: red evidence, one chance in 100,000. It is also the NAB optimum
# (standard profile, development half: the exact sweep picks a hair above 0.5).
ANOMALY_THRESHOLD = float(evidence_to_score(DEFAULT_PARAMETERS.red_evidence, DEFAULT_PARAMETERS.red_evidence))


def _slots(index: pd.Index) -> np.ndarray:
    """Seasonal slot of each point: half-hour of day, weekdays apart from weekends (0 without timestamps)."""
    if isinstance(index, pd.DatetimeIndex) and len(index):
        half_hour = index.hour.to_numpy() * 2 + index.minute.to_numpy() // 30
        return (half_hour + (SLOTS // 2) * (index.day_of_week.to_numpy() >= 5)).astype(np.int64)
    return np.zeros(len(index), dtype=np.int64)


def score_series(values: pd.Series, params: DetectorParameters = DEFAULT_PARAMETERS) -> pd.Series:
    """Anomaly scores in [0, 1) for `values` (floats indexed by timestamp, in arrival order).

    Causal and streaming: each score uses only the values up to its own. Missing values
    (NaN) score 0 and do not update the detector.
    """
    frame, _ = score_frame(values, params)
    return frame["score"].rename("score")


def score_frame(
    values: pd.Series, params: DetectorParameters = DEFAULT_PARAMETERS, state: DetectorState | None = None
) -> tuple[pd.DataFrame, DetectorState]:
    """Scores plus the expectation, scale and alarm band behind them, continuing from `state` if given.

    Returns a frame (score, expected, scale, lower_band, upper_band; NaN where a value is missing)
    and the state after the last value, so the next call can score only new points with identical
    results. Outside [lower_band, upper_band] a point alarms by itself once the detector is warm
    (inside, a run of surprises can still raise the likelihood). `state` is not modified.
    """
    st = state.copy() if state is not None else params.fresh_state()
    x = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype="float64", na_value=np.nan))
    scores, expected, scales, lower, upper = kernel.score_chunk(
        np.ascontiguousarray(x), _slots(values.index), params.packed(),
        st.scalars, st.slot_mean, st.slot_visits, st.window, st.recent_levels, st.contexts, st.prefixes,
    )  # fmt: skip
    frame = pd.DataFrame(
        {"score": scores, "expected": expected, "scale": scales, "lower_band": lower, "upper_band": upper},
        index=values.index,
    )
    return frame, st
