"""What the detector remembers about one series, as flat numpy arrays the compiled loop can update.

The scalars live in one float64 vector indexed by the names below (numba compiles the indices as
constants); the arrays are the seasonal slots, the likelihood's averaging window, the recent
quantised values and the context counts. `DetectorState` round-trips all of it through JSON, so
scoring can stop after any point and resume later with identical scores.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np

STATE_VERSION = 2
SLOTS = 96  # half-hour of day x (weekday, weekend)

# Scalar state, by index into `DetectorState.scalars`.
SCALAR_NAMES = (
    "seen",  # finite points learnt from
    "level", "level_error",  # EW level and its mean absolute error
    "bias", "seasonal_error",  # seasonal predictor: recent offset from the slot means, and its error
    "step",  # smallest non-zero change seen (the series' quantisation)
    "low", "high",  # range of the values seen
    "previous", "run",  # flat-line: the last value and how many times in a row it repeated the one before
    "after_moves", "repeats_after_moves", "after_repeats", "repeats_after_repeats",
    "window_sum",  # likelihood: sum of the raw scores in the averaging window
    "averages_seen", "average_mean", "average_var",  # long-run distribution of the window average
    "was_red", "last_alarm",  # alarm filter
    "max_surprise",  # largest prediction surprise seen after warm-up
)  # fmt: skip
(
    SEEN, LEVEL, LEVEL_ERROR, BIAS, SEASONAL_ERROR, STEP, LOW, HIGH, PREVIOUS, RUN,
    AFTER_MOVES, REPEATS_AFTER_MOVES, AFTER_REPEATS, REPEATS_AFTER_REPEATS, WINDOW_SUM,
    AVERAGES_SEEN, AVERAGE_MEAN, AVERAGE_VAR, WAS_RED, LAST_ALARM, MAX_SURPRISE,
) = range(len(SCALAR_NAMES))  # fmt: skip
N_SCALARS = len(SCALAR_NAMES)


def _initial_scalars() -> np.ndarray:
    scalars = np.zeros(N_SCALARS)
    scalars[LEVEL] = scalars[PREVIOUS] = math.nan
    scalars[STEP] = scalars[LOW] = math.inf
    scalars[HIGH] = -math.inf
    scalars[LAST_ALARM] = -math.inf
    return scalars


def _encode(value: float) -> float | str:
    return value if math.isfinite(value) else str(value)  # "nan", "inf", "-inf": JSON has none of them


@dataclass
class DetectorState:
    """Everything the detector remembers about one series; resuming from it continues the stream."""

    scalars: np.ndarray
    slot_mean: np.ndarray
    slot_visits: np.ndarray
    window: np.ndarray  # the last raw scores, a ring indexed by `seen`
    recent_levels: np.ndarray  # the last quantised values (the current context), oldest first
    contexts: np.ndarray  # how often each context of quantised values was seen
    prefixes: np.ndarray  # how often each context without its last value was seen

    @classmethod
    def fresh(cls, window: int, context_levels: int, context_length: int) -> DetectorState:
        return cls(
            scalars=_initial_scalars(),
            slot_mean=np.zeros(SLOTS),
            slot_visits=np.zeros(SLOTS),
            window=np.zeros(window),
            recent_levels=np.zeros(context_length, dtype=np.int64),
            contexts=np.zeros(context_levels**context_length),
            prefixes=np.zeros(context_levels ** (context_length - 1)),
        )

    def copy(self) -> DetectorState:
        return DetectorState(*(getattr(self, name).copy() for name in self.__dataclass_fields__))

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": STATE_VERSION,
                "scalars": {name: _encode(float(v)) for name, v in zip(SCALAR_NAMES, self.scalars)},
                "slot_mean": self.slot_mean.tolist(),
                "slot_visits": self.slot_visits.astype(int).tolist(),
                "window": self.window.tolist(),
                "recent_levels": self.recent_levels.tolist(),
                # Sparse: a series visits few of the possible contexts.
                "contexts": [len(self.contexts), {str(i): int(self.contexts[i]) for i in np.flatnonzero(self.contexts)}],
                "prefixes": [len(self.prefixes), {str(i): int(self.prefixes[i]) for i in np.flatnonzero(self.prefixes)}],
            }
        )

    @classmethod
    def from_json(cls, text: str) -> DetectorState | None:
        """The saved state, or None when it was saved by an older method (the series then warms up again)."""
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
            return None

        def counts(size_and_entries: list) -> np.ndarray:
            size, entries = size_and_entries
            out = np.zeros(size)
            for index, count in entries.items():
                out[int(index)] = count
            return out

        return cls(
            scalars=np.array([float(data["scalars"][name]) for name in SCALAR_NAMES]),
            slot_mean=np.array(data["slot_mean"], dtype=float),
            slot_visits=np.array(data["slot_visits"], dtype=float),
            window=np.array(data["window"], dtype=float),
            recent_levels=np.array(data["recent_levels"], dtype=np.int64),
            contexts=counts(data["contexts"]),
            prefixes=counts(data["prefixes"]),
        )
