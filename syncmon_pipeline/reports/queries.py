"""Section queries of one report, each run once and shared by the sections, summary and recommendations."""

from __future__ import annotations

from typing import Any

from .model import Chart, Column, Series, Table
from .scope import ScopedSnapshot


class Queries:
    def __init__(self, snapshot: ScopedSnapshot) -> None:
        self._snapshot = snapshot
        self._cache: dict[str, list[dict[str, Any]]] = {}

    def records(self, name: str) -> list[dict[str, Any]]:
        if name not in self._cache:
            result = self._snapshot.rows(name)
            columns = [d[0] for d in self._snapshot.con.description or []]  # of the query just run
            self._cache[name] = [dict(zip(columns, row)) for row in result]
        return self._cache[name]

    def one(self, name: str) -> dict[str, Any]:
        found = self.records(name)
        return found[0] if found else {}


def table(key: str, title: str, records: list[dict[str, Any]], columns: list[Column], note: str = "") -> Table:
    return Table(key, title, tuple(columns), tuple(tuple(r.get(c.key) for c in columns) for r in records), note)


def series(name: str, records: list[dict[str, Any]], x: str, y: str, text: str | None = None) -> Series:
    return Series(name, tuple(r[x] for r in records), tuple(r[y] for r in records),
                  tuple(str(r[text]) for r in records) if text else ())


def split_series(records: list[dict[str, Any]], x: str, group: str, y: str) -> tuple[Series, ...]:
    """One series per value of `group` (e.g. per provider), over the x values of all of them."""
    xs = sorted({r[x] for r in records})
    by_group: dict[str, dict[Any, Any]] = {}
    for r in records:
        by_group.setdefault(str(r[group]), {})[r[x]] = r[y]
    return tuple(Series(name, tuple(xs), tuple(values.get(v, 0) for v in xs)) for name, values in sorted(by_group.items()))


def chart(key: str, title: str, kind: str, *series_: Series, x_title: str = "", y_title: str = "",
          stacked: bool = False) -> Chart:
    return Chart(key, title, kind, tuple(s for s in series_ if s.y), x_title, y_title, stacked)  # type: ignore[arg-type]
