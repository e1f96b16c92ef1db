"""Diurnal and weekly rhythm of change: how busy the people behind an integration are at a given instant."""

from __future__ import annotations

# Relative amount of data changed per hour of the local day (0..23).
_SCHOOL_DAY: tuple[float, ...] = (
    0.05, 0.04, 0.04, 0.04, 0.05, 0.10, 0.35, 0.80,   # 00-07: night, buses, first bell
    1.00, 1.00, 0.95, 0.90, 0.85, 0.95, 0.90, 0.70,   # 08-15: teaching, grading
    0.50, 0.40, 0.35, 0.40, 0.35, 0.25, 0.12, 0.07,   # 16-23: evening grading, quiet night
)
_OFFICE_DAY: tuple[float, ...] = (
    0.04, 0.03, 0.03, 0.03, 0.04, 0.06, 0.15, 0.45,
    0.85, 1.00, 1.00, 0.95, 0.75, 0.90, 1.00, 0.95,
    0.80, 0.55, 0.30, 0.18, 0.12, 0.08, 0.06, 0.05,
)
_WEEKEND: dict[str, float] = {"school": 0.15, "office": 0.25}
_DAYS: dict[str, tuple[float, ...]] = {"school": _SCHOOL_DAY, "office": _OFFICE_DAY}

# 1970-01-01 was a Thursday: weekday index (Monday = 0) of epoch day 0.
_EPOCH_WEEKDAY = 3


def local_hour(epoch_s: float, tz_offset_h: int) -> float:
    """Hour of the local day (0 <= h < 24) at `epoch_s`."""
    return ((epoch_s + tz_offset_h * 3600.0) % 86400.0) / 3600.0


def is_weekend(epoch_s: float, tz_offset_h: int) -> bool:
    day = int((epoch_s + tz_offset_h * 3600.0) // 86400.0)
    return (day + _EPOCH_WEEKDAY) % 7 >= 5


def load_factor(epoch_s: float, tz_offset_h: int, calendar: str) -> float:
    """Activity in (0, 1]: 1.0 at a weekday peak, a few percent at night, lower all weekend.

    Interpolates linearly between hourly values so there are no steps on the hour.
    """
    table = _DAYS[calendar]
    hour = local_hour(epoch_s, tz_offset_h)
    lower = int(hour)
    frac = hour - lower
    value = table[lower] * (1.0 - frac) + table[(lower + 1) % 24] * frac
    if is_weekend(epoch_s, tz_offset_h):
        value *= _WEEKEND[calendar]
    return max(value, 0.01)
