"""Attention panel figures: first paint of the model view (12 layers × 12 heads, 512 tokens) and the head-switch
time of the inspector at 4096 tokens, next to BertViz building its model-view HTML for the same 512-token input.

Patterns come from real (randomly initialised, seeded) TinyGPT captures, so the arrays have a model's shape and
dtype; the timings cover what the app does on the GUI thread: numpy summaries, setImage, and a synchronous repaint.
"""
from __future__ import annotations

import os
import statistics
import time
from typing import Any

import torch

from lmscope.backend.attention.heads import head_summary, thumbnails, trace_patterns
from lmscope.backend.capture import capture
from lmscope.backend.models.config import TinyGPTConfig
from lmscope.backend.models.tinygpt import TinyGPT

MODEL_VIEW = TinyGPTConfig(vocab_size=1000, n_ctx=512, d_model=384, n_layer=12, n_head=12, n_kv_head=12, d_mlp=768)
LONG = TinyGPTConfig(vocab_size=1000, n_ctx=4096, d_model=128, n_layer=1, n_head=4, n_kv_head=4, d_mlp=256,
                     pos="rope")
SWITCHES = 12


def _capture(cfg: TinyGPTConfig, names: str | list[str] | None) -> Any:  # noqa: ANN401 - a Trace
    torch.manual_seed(0)
    model = TinyGPT(cfg).eval()
    ids = torch.randint(0, cfg.vocab_size, (cfg.n_ctx,), generator=torch.Generator().manual_seed(1))
    strings = [chr(0x4E00 + int(i)) if i % 3 else chr(97 + int(i) % 26) for i in ids]  # CJK and Latin labels
    return capture(model, ids, names, token_strings=strings)


def _app():  # noqa: ANN202 - QApplication
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from lmscope.gui.app import configure_qt

    configure_qt()
    return QApplication.instance() or QApplication([])


def model_view_first_paint(trace: Any) -> float:  # noqa: ANN401
    """Seconds from a capture to the model view painted: thumbnails, summaries, one setImage each, a grab."""
    from lmscope.backend.attention.heads import kv_groups
    from lmscope.widgets.attention.model import ModelView

    app = _app()
    view = ModelView({"entropy": "mean row entropy"})
    view.resize(1200, 700)
    view.show()
    app.processEvents()
    start = time.perf_counter()
    patterns = trace_patterns(trace)
    view.set_model(thumbnails(patterns), head_summary(patterns), kv_groups(trace.model_config))
    view.grab()  # renders both plots now, as the first paint on screen would
    elapsed = time.perf_counter() - start
    view.close()
    return elapsed


def head_switch_times(trace: Any) -> list[float]:  # noqa: ANN401
    """Seconds per head switch in the real window (document selection → binding → heatmap repainted)."""
    from PySide6.QtCore import QSettings

    from lmscope.gui.document import TraceEntry
    from lmscope.gui.main_window import MainWindow
    from lmscope.gui.panels.attention import install

    app = _app()
    window = MainWindow(torch.device("cpu"), QSettings(os.devnull, QSettings.Format.IniFormat))
    binding = install(window)
    window.resize(1600, 1000)
    window.show()
    window.document.add_trace(TraceEntry(trace))
    app.processEvents()
    viewport = binding.panel.inspector.heatmap.plot.viewport()
    times = []
    for i in range(SWITCHES):
        start = time.perf_counter()
        window.document.set_selection(head=(i + 1) % trace.model_config["n_head"], position=i * 300)
        viewport.repaint()
        times.append(time.perf_counter() - start)
        app.processEvents()
    window.runner.shutdown()
    window.close()
    return times


def bertviz_seconds(trace: Any) -> float | None:  # noqa: ANN401
    """BertViz's model_view HTML for the same patterns and tokens, or None when it is not installed."""
    try:
        from bertviz import model_view
    except ImportError:
        return None
    attention = tuple(torch.from_numpy(trace[f"blocks.{layer}.attn.hook_pattern"]) for layer in range(trace.n_layer))
    start = time.perf_counter()
    html = model_view(attention, list(trace.token_strings), html_action="return")
    elapsed = time.perf_counter() - start
    del html
    return elapsed


def run() -> list[dict[str, Any]]:
    torch.set_num_threads(max(1, (os.cpu_count() or 2) - 1))
    t0 = time.perf_counter()
    short = _capture(MODEL_VIEW, "*hook_pattern")
    capture_s = time.perf_counter() - t0
    first_paint = model_view_first_paint(short)
    peer = bertviz_seconds(short)
    long = _capture(LONG, ["*hook_q", "*hook_k", "*hook_rot_*", "*hook_attn_scores", "*hook_pattern", "*hook_z"])
    switches = head_switch_times(long)
    typical = statistics.median(switches[1:])
    rows = [
        {"name": "attention: model view first paint, 12×12 heads, 512 tokens", "value": f"{first_paint * 1e3:.0f}",
         "unit": "ms", "target": "< 1000", "note": "thumbnails + summaries + setImage + render"},
        {"name": "attention: capture of those 144 patterns (context)", "value": f"{capture_s * 1e3:.0f}",
         "unit": "ms", "target": "", "note": "TinyGPT d=384, explicit attention"},
        {"name": "attention: head switch at 4096 tokens, median", "value": f"{typical * 1e3:.1f}", "unit": "ms",
         "target": "< 100", "note": f"{SWITCHES} switches, selection → binding → repaint"},
        {"name": "attention: head switch at 4096 tokens, worst", "value": f"{max(switches) * 1e3:.1f}",
         "unit": "ms", "target": "", "note": "includes the first (cold) switch"},
    ]
    if peer is None:
        rows.append({"name": "BertViz model_view HTML, same 512-token input (peer)", "value": "not installed",
                     "unit": "", "target": "", "note": "pip install bertviz"})
    else:
        rows += [
            {"name": "BertViz model_view HTML, same 512-token input (peer)", "value": f"{peer * 1e3:.0f}",
             "unit": "ms", "target": "", "note": "html_action='return'; the browser's render not counted"},
            {"name": "BertViz HTML ÷ lmscope first paint", "value": f"{peer / first_paint:.1f}", "unit": "×",
             "target": "> 1", "note": ""},
        ]
    return rows


if __name__ == "__main__":
    from bench.common import print_table

    print_table(run())
