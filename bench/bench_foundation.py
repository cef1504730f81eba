"""Foundation figures: GUI responsiveness while training streams, training speed in the GUI vs a bare loop, and
capture cost vs a plain forward pass.

Peers, in the same run: the bare training loop (same generator, same thread count, no Qt) and a plain
``model(tokens)`` forward under ``torch.no_grad``.
"""
from __future__ import annotations

import os
import statistics
import time
from typing import Any

import numpy as np
import torch

from lmscope.backend.capture import capture
from lmscope.backend.demo import DEFAULT_PROMPT, demo_corpus, load_demo
from lmscope.backend.models.config import PRESETS
from lmscope.backend.models.tokenizer import CharTokenizer
from lmscope.backend.training.loop import TrainProgress, TrainSettings, train, warm_up_torch
from bench.common import LatenessProbe, best_of

PRESET = "tiny"
SETTINGS = TrainSettings(steps=100_000, batch_size=16, seq_len=64, snapshot_every=25, device="cpu")
MEASURE_S = 8.0




def bare_steps_per_s(seconds: float = MEASURE_S) -> float:
    text = demo_corpus()
    tok = CharTokenizer.train(text)
    job = train(PRESETS[PRESET], tok, text, SETTINGS)
    times = []
    for event in job:
        if isinstance(event, TrainProgress):
            times.append(time.perf_counter())
            if times[-1] - times[0] > seconds and len(times) > 10:
                break
    job.close()
    times = times[3:]  # the first steps include allocator warm-up
    return (len(times) - 1) / (times[-1] - times[0])


def gui_figures(seconds: float = MEASURE_S) -> dict[str, float]:
    """Event-loop lateness of a 5 ms timer while the window streams a training run, and that run's speed."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from lmscope.gui.app import build_window, configure_qt

    configure_qt()
    app = QApplication.instance() or QApplication([])
    settings = QSettings(os.devnull, QSettings.Format.IniFormat)
    window = build_window(torch.device("cpu"), settings)
    window.show()
    done = []
    window.demoReady.connect(lambda: done.append(True))
    window.open_demo()
    while not done:
        app.processEvents()
        time.sleep(0.005)
    probe = LatenessProbe(5)
    while window.runner.busy:  # panels may have started their own work after the demo loaded
        app.processEvents()
        time.sleep(0.005)
    if not window.train(PRESETS[PRESET], SETTINGS, "bench"):
        raise RuntimeError("the training job did not start")
    while len(window.document.history) < 3:
        app.processEvents()
    probe.start()
    first_step, first_time = len(window.document.history), time.perf_counter()
    while time.perf_counter() - first_time < seconds:
        app.processEvents()
        time.sleep(0.001)
    steps = len(window.document.history) - first_step
    elapsed = time.perf_counter() - first_time
    lat = probe.stop()
    window.runner.shutdown()
    window.document.set_dirty(False)
    window.close()
    return {"p50": float(np.percentile(lat, 50)), "p99": float(np.percentile(lat, 99)), "max": float(lat.max()),
            "steps_per_s": steps / elapsed}


def capture_figures() -> dict[str, float]:
    loaded = load_demo("cpu")
    ids = loaded.tokenizer.encode((DEFAULT_PROMPT * 4)[:128])
    tokens = torch.tensor([ids])

    def plain() -> None:
        with torch.no_grad():
            loaded.model(tokens)

    plain()
    capture(loaded.model, ids)
    forward = statistics.median(best_of(5, plain) for _ in range(5))
    full = statistics.median(best_of(5, lambda: capture(loaded.model, ids)) for _ in range(5))
    resid = statistics.median(best_of(5, lambda: capture(loaded.model, ids, names="*hook_resid_*"))
                              for _ in range(5))
    return {"forward": forward, "capture": full, "capture_resid": resid, "tokens": len(ids)}


def run() -> list[dict[str, Any]]:
    torch.set_num_threads(max(1, (os.cpu_count() or 2) - 1))  # what the app does
    warm_up_torch()
    gui = gui_figures()
    bare = bare_steps_per_s()
    cap = capture_figures()
    threads = torch.get_num_threads()
    return [
        {"name": "event loop lateness p50 while training streams", "value": f"{gui['p50']:.2f}", "unit": "ms",
         "target": "", "note": "5 ms QTimer, offscreen window, demo loaded"},
        {"name": "event loop lateness p99 while training streams", "value": f"{gui['p99']:.2f}", "unit": "ms",
         "target": "< 20", "note": ""},
        {"name": "event loop lateness max while training streams", "value": f"{gui['max']:.2f}", "unit": "ms",
         "target": "", "note": ""},
        {"name": f"training steps/s in the GUI ({PRESET})", "value": f"{gui['steps_per_s']:.1f}", "unit": "steps/s",
         "target": "", "note": f"batch {SETTINGS.batch_size}×{SETTINGS.seq_len}, {threads} torch thread(s)"},
        {"name": "training steps/s, bare loop (peer)", "value": f"{bare:.1f}", "unit": "steps/s", "target": "",
         "note": "same generator, no Qt"},
        {"name": "GUI ÷ bare training speed", "value": f"{gui['steps_per_s'] / bare:.2f}", "unit": "×",
         "target": "≥ 0.85", "note": ""},
        {"name": f"plain forward, demo model, {cap['tokens']} tokens (peer)", "value": f"{cap['forward'] * 1e3:.2f}",
         "unit": "ms", "target": "", "note": "torch.no_grad"},
        {"name": "capture, every hook", "value": f"{cap['capture'] * 1e3:.2f}", "unit": "ms", "target": "",
         "note": "explicit attention + numpy copies"},
        {"name": "capture ÷ forward, every hook", "value": f"{cap['capture'] / cap['forward']:.2f}", "unit": "×",
         "target": "≤ 1.3", "note": ""},
        {"name": "capture ÷ forward, residual hooks only", "value": f"{cap['capture_resid'] / cap['forward']:.2f}",
         "unit": "×", "target": "", "note": "name filter keeps SDPA"},
    ]


if __name__ == "__main__":
    from bench.common import print_table

    print_table(run())
