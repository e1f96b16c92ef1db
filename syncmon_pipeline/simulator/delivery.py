"""How events reach the landing folder: late, out of order, and now and then twice.

Events of file `index` are its share of the time-ordered stream, except that

- a few percent are *late*: held back and delivered in one of the next files;
- a handful are *duplicated*: the very same event (same id, same bytes) is
  delivered again in a later file, as an at-least-once writer would;
- within a file, order follows arrival (event time plus network jitter), so
  lines are not sorted by event time, and late events sit at random positions.
"""

from __future__ import annotations

import random
from typing import Any

from .events import Timed


class Delivery:
    def __init__(
        self,
        rng: random.Random,
        *,
        late_rate: float = 0.03,
        duplicate_rate: float = 0.001,
        jitter_s: float = 90.0,
        max_delay_files: int = 3,
    ) -> None:
        self._rng = rng
        self.late_rate = late_rate
        self.duplicate_rate = duplicate_rate
        self.jitter_s = jitter_s
        self.max_delay_files = max_delay_files
        self._deferred: dict[int, list[Timed]] = {}
        self.late = 0
        self.duplicates = 0

    @property
    def pending(self) -> int:
        return sum(len(v) for v in self._deferred.values())

    def pack(self, index: int, events: list[Timed], *, final: bool = False) -> list[dict[str, Any]]:
        """The events file `index` contains, in file order. `final`: also everything still held back."""
        rng = self._rng
        own: list[Timed] = []
        if final:
            own = list(events)
        else:
            late_cut, dup_cut = self.late_rate, 1.0 - self.duplicate_rate
            deferred = self._deferred
            for item in events:
                r = rng.random()
                if r < late_cut:
                    deferred.setdefault(index + rng.randint(1, self.max_delay_files), []).append(item)
                    self.late += 1
                    continue
                own.append(item)
                if r >= dup_cut:
                    deferred.setdefault(index + rng.randint(1, 2 * self.max_delay_files), []).append(item)
                    self.duplicates += 1
        jitter = self.jitter_s
        keys = [t + rng.random() * jitter for t, _ in own]
        order = sorted(range(len(own)), key=keys.__getitem__)
        lines = [own[k][1] for k in order]
        arrivals = self._deferred.pop(index, [])
        if final:
            for key in sorted(self._deferred):
                arrivals.extend(self._deferred.pop(key))
        for _, event in arrivals:
            lines.insert(rng.randrange(len(lines) + 1), event)
        return lines
