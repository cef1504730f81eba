"""Garbage collection on the GUI thread only (the pattern pyqtgraph's GarbageCollector uses).

Python collects cycles in whichever thread happens to allocate. When that is the worker and the cycle holds Qt
widgets (a closed window and its bindings), the worker destroys widgets: it takes a Qt lock and then waits for the
GIL, while the GUI thread holds the GIL and waits for that lock — a deadlock we hit in the test suite. So automatic
collection is switched off and the GUI thread collects on a timer, with Python's own generation thresholds.
"""
from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 1000
_installed: "GuiGarbageCollector | None" = None


class GuiGarbageCollector(QObject):
    def __init__(self, parent: QObject, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.check)
        self.timer.start(interval_ms)

    def check(self) -> None:
        counts = gc.get_count()
        if counts[0] > self.thresholds[0]:
            generation = 0
            if counts[1] > self.thresholds[1]:
                generation = 1
                if counts[2] > self.thresholds[2]:
                    generation = 2
            gc.collect(generation)


def ensure_gui_collector(app: QObject) -> GuiGarbageCollector:
    """Install once per process, owned by the QApplication."""
    global _installed
    if _installed is None:
        _installed = GuiGarbageCollector(app)
    return _installed
