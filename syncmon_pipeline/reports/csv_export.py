"""CSV files that are safe to open in a spreadsheet: no cell becomes a formula."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from .model import Table

# OWASP "CSV injection": a cell starting with one of these is evaluated by Excel, LibreOffice and Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would read as a formula gets a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_table_csv(table: Table, path: Path) -> int:
    """Write `table` with a header of column keys; returns the number of data rows."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([neutralise(c.key) for c in table.columns])
        for row in table.rows:
            writer.writerow([neutralise(_cell(v)) for v in row])
    return len(table.rows)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
