"""Readouts never go stale: every caption, strip and label of the attention panel is derived from the current
selection and trace each time, never left over from the one before (issue 15)."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF

from lmscope.backend.attention.heads import hook


@pytest.fixture
def binding(demo_window):
    return demo_window.bindings["attention"]


def hover(heat, row: int, col: int) -> None:
    """Move the mouse over cell (row, col) of a heatmap, as pyqtgraph reports it."""
    view = heat.plot.getPlotItem().getViewBox()
    heat._on_hover(view.mapViewToScene(QPointF(col + 0.5, row + 0.5)))


def test_caption_follows_a_head_picked_in_the_model_view(demo_window, binding, qtbot):
    doc, panel = demo_window.document, binding.panel
    trace = doc.current_trace.trace
    heat = panel.inspector.heatmap
    doc.set_selection(layer=0, head=0, position=9)
    hover(heat, 9, 4)
    before = trace[hook(0, "pattern")][0, 0, 9, 4]
    assert f"weight {before:.4g}" in heat.hover_label.text()
    panel.left_tabs.setCurrentWidget(panel.model_view)  # the mouse leaves the heatmap for the model view
    with qtbot.waitSignal(doc.selectionChanged):
        panel.model_view.grid.headClicked.emit(2, 3)
    after = trace[hook(2, "pattern")][0, 3, 9, 4]
    assert not np.isclose(before, after, rtol=1e-3)
    assert "query 9" in heat.hover_label.text() and "key 4" in heat.hover_label.text()
    assert f"weight {after:.4g}" in heat.hover_label.text()
    assert f"weight {before:.4g}" not in heat.hover_label.text()
    panel.set_stage("z")  # a matrix with other columns: the caption reads the cell of what is drawn now
    z = trace[hook(2, "z")][0, 9, 3, 4]
    assert f"z {z:.4g}" in heat.hover_label.text()


def test_token_strip_drops_pads_when_an_unpadded_run_replaces_a_padded_one(demo_window, binding, qtbot):
    doc, panel = demo_window.document, binding.panel
    strip = panel.inspector.strip
    panel.masks.second_prompt.setText("注意力")
    with qtbot.waitSignal(demo_window.runner.jobFinished, timeout=60_000):
        assert binding.apply_mask()
    panel.batch_box.setCurrentIndex(1)  # the padded sequence: its pads are in the strip
    assert "<pad>" in [strip.item(i).text() for i in range(strip.count())]
    panel.masks.second_prompt.setText("")
    with qtbot.waitSignal(demo_window.runner.jobFinished, timeout=60_000):
        assert binding.apply_mask()
    trace = doc.current_trace.trace
    assert trace.tokens.shape[0] == 1 and panel.batch == 0
    shown = [strip.item(i).text() for i in range(strip.count())]
    assert "<pad>" not in shown and len(shown) == trace.n_pos
    assert shown == [t for t in panel.inspector.heatmap.left_axis.tokens]
    assert shown[0] == trace.token_strings[0]


def test_mask_run_names_its_mask_once(demo_window, binding, qtbot):
    panel = binding.panel
    panel.masks.window.setValue(4)
    with qtbot.waitSignal(demo_window.runner.jobFinished, timeout=60_000):
        assert binding.apply_mask()
    text = panel.source_label.text()
    assert text.count("causal window=4") == 1 and text.count("mask:") == 1, text
    assert f"{demo_window.document.current_trace.trace.n_pos} tokens" in text
    panel.masks.window.setValue(0)
    with qtbot.waitSignal(demo_window.runner.jobFinished, timeout=60_000):
        assert binding.apply_mask()
    text = panel.source_label.text()
    assert "window" not in text and text.count("mask: causal") == 1, text
