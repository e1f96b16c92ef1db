"""A streaming anomaly detector for operational time series (durations, counts, latencies, rates).

One pass, causal: the score at time t depends only on values up to t, so scoring a prefix gives
the same scores for that prefix. One parameter set serves every series; every scale is learnt.

For each point the detector forms an expectation from two exponentially weighted baselines —
the overall level and the level of the point's seasonal slot (hour of week, learnt only when the
series shows such a rhythm) — and measures the surprise of the deviation against a robust,
adaptive scale. The scale never collapses: it is floored by the series' own quantisation step
(the smallest non-zero change seen), by a small fraction of the level, and by the typical
deviation, so bursty and integer-valued series do not produce infinite z-scores. The surprise
maps to [0, 1) through a heavy-tailed curve, so a point ten times further out still scores higher
than one merely unusual: the score never saturates at 1. A run of identical values in a series
that normally moves raises a flat-line score that grows with the run. Scores stay damped while
the detector learns (cold start) and after a long gap, when its memory of the series is stale.
"""

from __future__ import annotations

import math
import json
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

SLOTS = 48  # hour of day x (weekday, weekend)
ANOMALY_THRESHOLD = 0.7  # one threshold for every series


@dataclass(frozen=True)
class DetectorParameters:
    fast_halflife: float = 6.0  # points: how fast the level (and the seasonal bias) follow the series
    error_halflife: float = 48.0  # points: memory of each predictor's error, to choose between them
    scale_halflife: float = 72.0  # points: how fast the typical deviation adapts
    slot_halflife: float = 3.0  # visits of a slot: how fast a slot's own level adapts
    warmup: int = 48  # points before scores reach full strength
    surprise_midpoint: float = 6.0  # robust z at which the score is 0.5
    surprise_power: float = 2.0  # steepness of the score curve
    relative_floor: float = 0.01  # the scale is at least this fraction of the level
    flatline_min_run: int = 6  # identical points before a flat-line counts
    stale_gap_points: float = 24.0  # a gap longer than this many usual steps restarts the warm-up


DEFAULT_PARAMETERS = DetectorParameters()


def _decay(halflife: float) -> float:
    return 1.0 - 0.5 ** (1.0 / halflife)


def _surprise_to_score(z: float, params: DetectorParameters) -> float:
    if z <= 0.0:
        return 0.0
    if not math.isfinite(z):
        return 1.0 - 1e-12
    ratio = (z / params.surprise_midpoint) ** params.surprise_power
    return ratio / (1.0 + ratio)


def _slots(index: pd.Index) -> tuple[np.ndarray, np.ndarray, bool]:
    if isinstance(index, pd.DatetimeIndex) and len(index):
        weekend = (index.day_of_week.to_numpy() >= 5).astype(np.int64)
        return index.asi8 // 1_000_000_000, index.hour.to_numpy().astype(np.int64) + 24 * weekend, True
    return np.arange(len(index), dtype=np.int64), np.zeros(len(index), dtype=np.int64), False


@dataclass
class DetectorState:
    """Everything the detector remembers about one series; resuming from it continues the stream."""

    level: float = math.nan
    slot_mean: list[float] = field(default_factory=lambda: [0.0] * SLOTS)
    slot_visits: list[int] = field(default_factory=lambda: [0] * SLOTS)
    bias: float = 0.0
    error_level: float = 0.0
    error_seasonal: float = 0.0
    scale: float = 0.0
    step: float = math.inf
    seen: int = 0
    moving: int = 0
    run: int = 0
    previous: float = math.nan
    usual_gap: float = 0.0
    last_stamp: int = -1

    def to_json(self) -> str:
        def clean(value: object) -> object:
            return None if isinstance(value, float) and not math.isfinite(value) else value

        return json.dumps({k: clean(v) for k, v in asdict(self).items()})

    @classmethod
    def from_json(cls, text: str) -> DetectorState:
        data = json.loads(text)
        data["level"] = math.nan if data["level"] is None else data["level"]
        data["previous"] = math.nan if data["previous"] is None else data["previous"]
        data["step"] = math.inf if data["step"] is None else data["step"]
        return cls(**data)


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
    """Scores plus the expectation and the scale behind them, continuing from `state` if given.

    Returns a frame (score, expected, scale; NaN where a value is missing) and the state after
    the last value, so the next call can score only new points with identical results.
    """
    st = state if state is not None else DetectorState()
    x = values.to_numpy(dtype="float64", na_value=np.nan)
    stamps, slots, has_time = _slots(values.index)
    scores = np.zeros(len(x), dtype="float64")
    expectations = np.full(len(x), np.nan)
    scales = np.full(len(x), np.nan)

    fast = _decay(params.fast_halflife)
    error_rate = _decay(params.error_halflife)
    scale_rate = _decay(params.scale_halflife)
    slot_rate = _decay(params.slot_halflife)

    level, bias, scale, step = st.level, st.bias, st.scale, st.step
    slot_mean, slot_visits = list(st.slot_mean), list(st.slot_visits)
    error_level, error_seasonal = st.error_level, st.error_seasonal
    seen, moving, run, previous = st.seen, st.moving, st.run, st.previous
    usual_gap, last_stamp = st.usual_gap, st.last_stamp

    for i in range(len(x)):
        value = x[i]
        if math.isnan(value):
            continue
        if has_time and last_stamp >= 0:
            gap = float(stamps[i] - last_stamp)
            if usual_gap > 0 and gap > params.stale_gap_points * usual_gap:
                seen = min(seen, params.warmup // 2)  # stale memory: learn again before shouting
            usual_gap = gap if usual_gap == 0 else usual_gap + 0.05 * (gap - usual_gap)
        last_stamp = stamps[i]
        slot = slots[i]
        if math.isnan(level):
            level = previous = value
            slot_mean[slot], slot_visits[slot] = value, 1
            seen = 1
            expectations[i], scales[i] = value, 0.0
            continue

        seasonal_ready = slot_visits[slot] >= 2
        predicted_level = level
        predicted_seasonal = slot_mean[slot] + bias if slot_visits[slot] else level
        use_seasonal = seasonal_ready and error_seasonal < error_level
        expected = predicted_seasonal if use_seasonal else predicted_level
        deviation = value - expected
        floor = max(step if math.isfinite(step) else 0.0, params.relative_floor * abs(level), 1e-9)
        robust_scale = max(scale, floor)
        z = abs(deviation) / robust_scale

        # Flat-line: the same value again and again in a series that usually moves.
        if value == previous:
            run += 1
        else:
            run, moving = 0, moving + 1
        flat = 0.0
        if run >= params.flatline_min_run and moving >= params.warmup // 2:
            flat = min(run / (4.0 * params.flatline_min_run), 1.0) * moving / (seen + 1.0)

        warm = min(1.0, seen / params.warmup)
        scores[i] = warm * max(_surprise_to_score(z, params), 0.85 * flat)
        expectations[i], scales[i] = expected, robust_scale

        # Learn from a winsorised value, so one outlier cannot drag the baselines along.
        limit = 4.0 * robust_scale
        clipped = expected + max(-limit, min(limit, deviation))
        if value != previous:
            step = min(step, abs(value - previous))
        error_level += error_rate * (min(abs(value - predicted_level), limit * 1.5) - error_level)
        if seasonal_ready:
            error_seasonal += error_rate * (min(abs(value - predicted_seasonal), limit * 1.5) - error_seasonal)
        else:
            error_seasonal += error_rate * (error_level * 1.5 - error_seasonal)
        scale += scale_rate * (min(abs(deviation), 1.5 * limit) - scale)
        if slot_visits[slot]:
            bias += fast * ((clipped - slot_mean[slot]) - bias)
            slot_mean[slot] += slot_rate * ((clipped - bias) - slot_mean[slot])
        else:
            slot_mean[slot] = clipped - bias
        slot_visits[slot] += 1
        level += fast * (clipped - level)
        previous = value
        seen += 1

    final = DetectorState(
        level, slot_mean, slot_visits, bias, error_level, error_seasonal, scale, step,
        seen, moving, run, previous, usual_gap, int(last_stamp),
    )  # fmt: skip
    frame = pd.DataFrame({"score": scores, "expected": expectations, "scale": scales}, index=values.index)
    return frame, final
