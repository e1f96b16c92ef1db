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
    surprise_quantile_rate: float = 0.2  # how fast the typical (98th percentile) surprise is learnt


DEFAULT_PARAMETERS = DetectorParameters()


def _decay(halflife: float) -> float:
    return 1.0 - 0.5 ** (1.0 / halflife)


def _surprise_to_score(z: float, params: DetectorParameters) -> float:
    if z <= 0.0:
        return 0.0
    if not math.isfinite(z):
        return 1.0 - 1e-12
    ratio = (z / params.surprise_midpoint) ** params.surprise_power
    if ratio <= 1e9:
        return ratio / (1.0 + ratio)
    # Beyond this, ratio / (1 + ratio) rounds to 1.0: compress logarithmically so that more extreme
    # still scores higher and nothing reaches 1.
    return 1.0 - 1e-9 / (1.0 + math.log(ratio / 1e9))


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
    slot_error_level: list[float] = field(default_factory=lambda: [0.0] * SLOTS)
    slot_error_seasonal: list[float] = field(default_factory=lambda: [0.0] * SLOTS)
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
    typical_surprise: float = 3.0

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
    slot_error_level, slot_error_seasonal = list(st.slot_error_level), list(st.slot_error_seasonal)
    error_level, error_seasonal = st.error_level, st.error_seasonal
    seen, moving, run, previous = st.seen, st.moving, st.run, st.previous
    usual_gap, last_stamp = st.usual_gap, st.last_stamp
    typical_surprise = st.typical_surprise

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
        # Each slot uses the predictor that has served it best (an hour that always spikes, say).
        use_seasonal = seasonal_ready and slot_error_seasonal[slot] < slot_error_level[slot]
        expected = predicted_seasonal if use_seasonal else predicted_level
        deviation = value - expected
        floor = max(step if math.isfinite(step) else 0.0, params.relative_floor * abs(level), 1e-9)
        robust_scale = max(scale, floor)
        raw_z = abs(deviation) / robust_scale
        # Self-calibration: a series whose ordinary life has big surprises (bursty, sparse counts)
        # has a high typical surprise (about its 98th percentile); only surprises beyond it count.
        z = raw_z * 3.0 / max(typical_surprise, 3.0)

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
        level_miss, seasonal_miss = abs(value - predicted_level), abs(value - predicted_seasonal)
        if slot_visits[slot] >= 1:
            slot_error_level[slot] += slot_rate * (level_miss - slot_error_level[slot])
            slot_error_seasonal[slot] += slot_rate * (seasonal_miss - slot_error_seasonal[slot])
        else:
            slot_error_level[slot], slot_error_seasonal[slot] = level_miss, 1.05 * level_miss + 1e-12
        scale += scale_rate * (min(abs(deviation), 1.5 * limit) - scale)
        if seen >= params.warmup:
            exceeded = 1.0 if raw_z > typical_surprise else 0.0
            typical_surprise *= math.exp(params.surprise_quantile_rate * (exceeded - 0.02))
        if slot_visits[slot]:
            # A slot learns from its own point of view: what recurs at this hour is not an outlier to it.
            slot_limit = 4.0 * max(robust_scale, slot_error_seasonal[slot])
            slot_target = predicted_seasonal + max(-slot_limit, min(slot_limit, value - predicted_seasonal))
            bias += fast * ((slot_target - slot_mean[slot]) - bias)
            slot_mean[slot] += slot_rate * ((slot_target - bias) - slot_mean[slot])
        else:
            slot_mean[slot] = value - bias
        slot_visits[slot] += 1
        level += fast * (clipped - level)
        previous = value
        seen += 1

    final = DetectorState(
        level, slot_mean, slot_visits, slot_error_level, slot_error_seasonal, bias, error_level, error_seasonal,
        scale, step,
        seen, moving, run, previous, usual_gap, int(last_stamp), typical_surprise,
    )  # fmt: skip
    frame = pd.DataFrame({"score": scores, "expected": expectations, "scale": scales}, index=values.index)
    return frame, final
