"""Attention inspector at 4,096 tokens: the head switch, with patterns recomputed from q and k in the worker (a
capture that long keeps no patterns), and switching back to a head still in the cache.

The capture is a real (randomly initialised, seeded) TinyGPT at 4,096 positions; the timings cover what the user
waits for in the real window: selection → binding → worker job (or cache) → heatmap set and repainted. The model
view and BertViz are measured on a GPT-2-small shape in bench_long.
"""
from __future__ import annotations

import os
import time
from typing import Any

import numpy as np
import torch

from bench.common import spread
from lmscope.backend.capture import capture
from lmscope.backend.models.config import TinyGPTConfig
from lmscope.backend.models.tinygpt import TinyGPT

LONG = TinyGPTConfig(vocab_size=1000, n_ctx=4096, d_model=128, n_layer=1, n_head=4, n_kv_head=4, d_mlp=256,
                     pos="rope")
SWITCHES = 8


def _capture(cfg: TinyGPTConfig) -> Any:  # noqa: ANN401 - a Trace
    torch.manual_seed(0)
    model = TinyGPT(cfg).eval()
    ids = torch.randint(0, cfg.vocab_size, (cfg.n_ctx,), generator=torch.Generator().manual_seed(1))
    strings = [chr(0x4E00 + int(i)) if i % 3 else chr(97 + int(i) % 26) for i in ids]  # CJK and Latin labels
    return capture(model, ids, token_strings=strings)


def _app():  # noqa: ANN202 - QApplication
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from lmscope.gui.app import configure_qt

    configure_qt()
    return QApplication.instance() or QApplication([])


def _switch(app: Any, window: Any, binding: Any, head: int, position: int) -> float:  # noqa: ANN401
    """Seconds from selecting ``head`` until the inspector has drawn it and repainted."""
    start = time.perf_counter()
    window.document.set_selection(head=head, position=position)
    while binding.shown is None or binding.shown.head != head or window.runner.busy:
        app.processEvents()
        time.sleep(0.001)
    binding.panel.inspector.heatmap.plot.viewport().repaint()
    return time.perf_counter() - start


def head_switch_times(trace: Any) -> tuple[list[float], list[float]]:  # noqa: ANN401
    """(cold switches: each head recomputed; warm switches: back to heads still cached)."""
    from PySide6.QtCore import QSettings

    from lmscope.backend.attention.patterns import CACHE
    from lmscope.gui.document import TraceEntry
    from lmscope.gui.main_window import MainWindow
    from lmscope.gui.panels.attention import install

    app = _app()
    window = MainWindow(torch.device("cpu"), QSettings(os.devnull, QSettings.Format.IniFormat))
    binding = install(window)
    window.resize(1600, 1000)
    window.show()
    window.document.add_trace(TraceEntry(trace))
    while window.runner.busy:  # the first head and the model view
        app.processEvents()
        time.sleep(0.005)
    n_head = trace.model_config["n_head"]
    cold, warm = [], []
    for i in range(SWITCHES):
        CACHE.clear()
        cold.append(_switch(app, window, binding, (i + 1) % n_head, i * 300))
    _switch(app, window, binding, 0, 0)  # two heads back and forth (both fit in the cache): fill it first
    _switch(app, window, binding, 1, 0)
    for i in range(SWITCHES):
        warm.append(_switch(app, window, binding, i % 2, i * 300 + 1))
    window.runner.shutdown()
    window.close()
    return cold, warm


def run() -> list[dict[str, Any]]:
    torch.set_num_threads(max(1, (os.cpu_count() or 2) - 1))
    trace = _capture(LONG)
    assert not any(name.endswith("hook_pattern") for name in trace)  # 4,096 tokens: recomputed on demand
    cold, warm = head_switch_times(trace)
    cells = np.float64(trace.n_pos) ** 2
    return [
        {"name": "attention: head switch at 4096 tokens, recomputed", "value": spread(cold, 1e3),
         "unit": "ms min/med/max", "target": "< 500", "note": f"{SWITCHES} switches: q·kᵀ, mask, softmax of "
         f"{cells / 1e6:.1f} M cells in the worker, then drawn"},
        {"name": "attention: head switch at 4096 tokens, cached head", "value": spread(warm, 1e3),
         "unit": "ms min/med/max", "target": "< 100", "note": "back to one of the last heads (LRU, 256 MiB)"},
    ]


if __name__ == "__main__":
    from bench.common import print_table

    print_table(run())
