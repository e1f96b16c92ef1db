"""How figures read: one place for numbers, rates, durations and times in every rendering."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def format_value(value: Any, kind: str = "text") -> str:
    if value is None:
        return "–"
    if kind == "percent":
        return f"{float(value):.1%}"
    if kind == "seconds":
        seconds = float(value)
        if seconds < 120:
            return f"{seconds:.1f} s"
        if seconds < 7200:
            return f"{seconds / 60:.1f} min"
        return f"{seconds / 3600:.1f} h"
    if kind == "int":
        return f"{int(value):,}"
    if kind == "number":
        number = float(value)
        return f"{number:,.0f}" if abs(number) >= 100 else f"{number:,.2f}"
    if kind == "datetime" and isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if kind == "datetime" and isinstance(value, str):
        return value[:16].replace("T", " ")
    return str(value)


def sort_key(value: Any, kind: str) -> str:
    """What the table's sort script compares for numbers and times (text sorts by what it shows).

    Six significant digits keep the order of any two figures a report shows apart, and the page small.
    """
    if value is None:
        return ""
    if kind in ("int", "number", "percent", "seconds"):
        return f"{float(value):.6g}"
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return str(value)
