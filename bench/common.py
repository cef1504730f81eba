"""What every benchmark shares: the timing rule and the printed table."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np


def best_of(repeats: int, job: Callable[[], Any]) -> float:
    """Fastest wall time of a few runs, in seconds (the least disturbed by the rest of a shared machine)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        job()
        best = min(best, time.perf_counter() - start)
    return best


def runs(repeats: int, job: Callable[[], Any], warm_up: bool = True) -> list[float]:
    """Wall seconds of each of ``repeats`` runs (after one unmeasured warm-up run when ``warm_up``)."""
    if warm_up:
        job()
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        job()
        seconds.append(time.perf_counter() - start)
    return seconds


def spread(values: list[float], scale: float = 1.0, digits: int = 0) -> str:
    """"min / median / max" of ``values`` × ``scale``, for a table cell."""
    cells = (min(values), float(np.median(values)), max(values))
    return " / ".join(f"{v * scale:.{digits}f}" for v in cells)


def print_table(rows: list[dict[str, Any]]) -> None:
    columns = ("name", "value", "unit", "target", "note")
    cells = [[str(row.get(c, "")) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) if cells else len(c) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths)), flush=True)


class LatenessProbe:
    """How late a periodic QTimer fires on the GUI thread: the event-loop latency a user feels.

    ``start()`` begins ticking every ``interval_ms``; ``stop()`` returns each tick's lateness in ms. Needs a
    QApplication whose event loop the caller keeps running.
    """

    def __init__(self, interval_ms: int = 5) -> None:
        from PySide6.QtCore import QElapsedTimer, QTimer

        self.interval_ms = interval_ms
        self.lateness: list[float] = []
        self._clock = QElapsedTimer()
        self._timer = QTimer()
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self._last = 0

    def start(self) -> None:
        self._clock.start()
        self._last = self._clock.nsecsElapsed()
        self._timer.start()

    def stop(self) -> np.ndarray:
        self._timer.stop()
        return np.asarray(self.lateness, dtype=float)

    def _tick(self) -> None:
        now = self._clock.nsecsElapsed()
        self.lateness.append(max(0.0, (now - self._last) / 1e6 - self.interval_ms))
        self._last = now
