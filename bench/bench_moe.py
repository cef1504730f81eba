"""MoE router view figures, offscreen: redrawing the whole panel for a new capture at 2048 tokens × 32 layers ×
64 experts (top-8: the map, the probability heatmap with 16,384 top-k marks, load heatmap and bars, the table),
switching the selected layer, and the worker-side statistics for the same routing.

``run()`` returns rows {name, value, unit, target, note}; run this file to print them as a table.
"""
from __future__ import annotations

import os
import time
from typing import Any

import numpy as np

TOKENS, LAYERS, EXPERTS, TOP_K = 2048, 32, 64, 8
RUNS = 5


def routing_tensors(seed: int) -> dict[str, np.ndarray]:
    """Router tensors as a capture records them, with a few layers skewed so the map is not uniform."""
    rng = np.random.default_rng(seed)
    tensors = {}
    for layer in range(LAYERS):
        logits = rng.normal(size=(1, TOKENS, EXPERTS)).astype(np.float32) * (1 + layer / 8)
        logits[..., layer % EXPERTS] += 2.0 * (layer % 3 == 0)
        idx = np.argsort(-logits, axis=-1)[..., :TOP_K]
        top = np.take_along_axis(logits, idx, -1)
        weights = np.exp(top - top.max(-1, keepdims=True))
        tensors[f"blocks.{layer}.moe.hook_router_logits"] = logits
        tensors[f"blocks.{layer}.moe.hook_topk_indices"] = idx
        tensors[f"blocks.{layer}.moe.hook_topk_weights"] = weights / weights.sum(-1, keepdims=True)
        tensors[f"blocks.{layer}.moe.hook_dropped"] = rng.random(idx.shape) < 0.01
    return tensors


def _trace(seed: int) -> Any:
    from lmscope.backend.trace import Trace

    rng = np.random.default_rng(seed)
    words = ["专", "家", "的", "token", " the", "模型", "。", "router"]
    strings = [words[i] for i in rng.integers(0, len(words), TOKENS)]
    return Trace(tokens=np.zeros((1, TOKENS), np.int64), token_strings=strings, tensors=routing_tensors(seed),
                 model_config={"n_layer": LAYERS, "top_k": TOP_K}, label=f"bench {seed}")


def _stats(values: list[float]) -> tuple[float, float, float]:
    ms = np.asarray(values) * 1e3
    return float(ms.min()), float(np.median(ms)), float(ms.max())


def run() -> list[dict[str, Any]]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from lmscope.backend.moe.jobs import analyse
    from lmscope.gui.app import configure_qt
    from lmscope.gui.panels.moe import router_view
    from lmscope.widgets.moe.panel import MoePanel

    configure_qt()
    app = QApplication.instance() or QApplication([])
    panel = MoePanel()
    panel.resize(1400, 900)
    panel.show()
    app.processEvents()

    analyse_times, views = [], []
    for seed in range(RUNS + 1):
        trace = _trace(seed)
        start = time.perf_counter()
        views.append(router_view(analyse(trace)))
        analyse_times.append(time.perf_counter() - start)
    panel.set_view(views[-1])  # first draw builds caches (fonts, tick labels)
    app.processEvents()

    redraw, switch = [], []
    for view in views[:RUNS]:
        start = time.perf_counter()
        panel.set_view(view)
        # the scene repaints dirty items from the event loop: two passes deliver the update and the paint events
        app.processEvents()
        app.processEvents()
        redraw.append(time.perf_counter() - start)
    for row in range(1, RUNS + 1):
        start = time.perf_counter()
        panel.select_row(row)
        app.processEvents()
        app.processEvents()
        switch.append(time.perf_counter() - start)
    panel.close()
    shape = f"{TOKENS} tokens × {LAYERS} layers × {EXPERTS} experts, top-{TOP_K}"
    rows = []
    for name, values, target in (("router view redraw (new capture)", redraw, "< 100"),
                                 ("router view layer switch", switch, "< 100"),
                                 ("router statistics in the worker", analyse_times[:RUNS], "")):
        lo, mid, hi = _stats(values)
        rows.append({"name": f"{name}, {shape}", "value": round(mid, 1), "unit": "ms (median)", "target": target,
                     "note": f"min {lo:.1f} / median {mid:.1f} / max {hi:.1f} ms over {len(values)} runs"})
    return rows


if __name__ == "__main__":
    from bench.common import print_table

    print_table(run())
