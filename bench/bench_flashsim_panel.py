"""FlashAttention panel figures, offscreen in the real window: step + redraw cost, playback at 60 steps/s on the
panel's QTimer, and how long the GUI thread stalls while a 65,536-tile run computes in the worker.

``run()`` returns rows {name, value, unit, target, note}; run this file to print them as a table.
"""
from __future__ import annotations

import os
import time
from typing import Any

import numpy as np

FRAMES = 240  # per setting; each frame is one step and the repaint of the whole panel
PLAY_SECONDS = 3.0


def _window() -> Any:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import torch
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from lmscope.gui.app import build_window, configure_qt

    configure_qt()
    QApplication.instance() or QApplication([])
    window = build_window(torch.device("cpu"), QSettings(os.devnull, QSettings.Format.IniFormat))
    window.resize(1400, 900)
    window.show()
    window.docks["dock.flashsim"].raise_()
    return window


def _settle(app: Any, window: Any, binding: Any, n: int) -> None:
    """Apply N (larger runs go through the worker) and wait until the run is on screen."""
    binding.apply(binding.settings.replace(n=n))
    while window.runner.busy or binding.run is None or binding.run.config.n != n:
        app.processEvents()
        time.sleep(0.002)
    app.processEvents()


def _redraw_rows(app: Any, window: Any, binding: Any) -> list[dict[str, Any]]:
    rows = []
    for n in (64, 1024):
        _settle(app, window, binding, n)
        times = []
        for _ in range(FRAMES):
            start = time.perf_counter()
            binding.on_step(1)
            # The scene repaints its dirty items from the event loop (a repaint() here would paint the old
            # scene): two passes deliver the scene's update and then the views' paint events.
            app.processEvents()
            app.processEvents()
            times.append(time.perf_counter() - start)
        ms = np.array(times[10:]) * 1e3  # the first frames build caches
        tiles = binding.run.total
        rows.append({"name": f"step + redraw, N={n} d=16 M=256 ({tiles:,} tiles)",
                     "value": round(1e3 / float(ms.mean())), "unit": "steps/s", "target": ">= 60",
                     "note": f"redraw p50 {np.percentile(ms, 50):.1f} ms, p99 {np.percentile(ms, 99):.1f} ms"})
    return rows


def _playback_row(app: Any, window: Any, binding: Any) -> dict[str, Any]:
    """Play at 60 steps/s on the panel's own timer (event loop running) and count the frames that were dropped:
    playback follows the clock, so a late tick shows two steps at once instead of slowing down."""
    _settle(app, window, binding, 1024)
    panel = binding.panel
    panel.speed_box.setCurrentIndex(panel.speed_box.findData(60))
    deltas: list[int] = []
    panel.stepRequested.connect(deltas.append)
    start_step = binding.run.position
    panel.play()
    start = time.perf_counter()
    while time.perf_counter() - start < PLAY_SECONDS:
        app.processEvents()
    seconds = time.perf_counter() - start
    panel.pause()
    panel.stepRequested.disconnect(deltas.append)
    steps = binding.run.position - start_step
    dropped = sum(delta - 1 for delta in deltas if delta > 1)
    return {"name": "playback at 60 steps/s, N=1024 (panel QTimer, event loop running)",
            "value": round(steps / seconds, 1), "unit": "steps/s", "target": ">= 60, 0 dropped",
            "note": f"{steps} steps in {seconds:.1f} s, {len(deltas)} redraws, {dropped} frames dropped"}


def _job_row(app: Any, window: Any, binding: Any) -> dict[str, Any]:
    """A 65,536-tile run through the worker, while a 5 ms timer measures how late the GUI thread gets."""
    from bench.common import LatenessProbe

    _settle(app, window, binding, 64)
    probe = LatenessProbe(5)
    probe.start()
    start = time.perf_counter()
    _settle(app, window, binding, 1024)
    seconds = time.perf_counter() - start
    late = probe.stop()[1:]
    return {"name": "GUI stall while N=1024 (65,536 tiles) computes in the worker",
            "value": round(float(late.max()), 1), "unit": "ms max", "target": "< 50",
            "note": f"p99 {np.percentile(late, 99):.1f} ms late on a 5 ms timer; run ready in {seconds:.1f} s"}


def run() -> list[dict[str, Any]]:
    """All rows, {name, value, unit, target, note}."""
    from PySide6.QtWidgets import QApplication

    window = _window()
    app = QApplication.instance()
    binding = window.bindings["flashsim"]
    try:
        return [*_redraw_rows(app, window, binding), _playback_row(app, window, binding),
                _job_row(app, window, binding)]
    finally:
        window.runner.shutdown()
        window.close()


if __name__ == "__main__":
    from bench.__main__ import print_table

    print_table(run())
