"""The attention panel on plain arrays, with qtbot: what it draws, what hovering says, and the intent it reports."""
from __future__ import annotations

import gc

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtWidgets import QApplication

from lmscope.widgets.attention.panel import AttentionPanel
from lmscope.widgets.attention.heatmap import TokenAxis, display_values, nice_step
from lmscope.widgets.attention.model import groups_text, mosaic
from lmscope.widgets.attention.state import GenerationState, MaskState

STAGES = {"scores": "scores", "scaled": "scaled", "masked": "masked", "pattern": "pattern", "z": "z"}
METRICS = {"entropy": "mean entropy", "previous": "previous token"}
CONDITIONS = {"row entropy <": "min(entropy) < {x}", "NaN/Inf anywhere": "nonfinite > 0"}
TOKENS = ["我", "们", " ", "学", "习", "。"]


def causal_pattern(T: int, seed: int = 0) -> np.ndarray:
    scores = np.random.default_rng(seed).normal(size=(T, T))
    scores[np.triu_indices(T, 1)] = -np.inf
    p = np.exp(scores - scores.max(-1, keepdims=True))
    return (p / p.sum(-1, keepdims=True)).astype(np.float32)


@pytest.fixture
def panel(qtbot):
    p = AttentionPanel(STAGES, METRICS, CONDITIONS, "pattern, entropy")
    p.resize(1200, 700)
    p.show()
    p.set_shape(2, ["0 (kv 0)", "1 (kv 0)", "2 (kv 1)"], 1)
    p.set_tokens(TOKENS)
    yield p
    # Delete the panel and collect its pyqtgraph cycles now (not via qtbot, whose deleteLater runs in the next
    # test): a late collection can stall a later test's event loop long enough to break its timing.
    p.close()
    p.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    del p
    gc.collect()


def test_heatmap_draws_the_matrix_with_explicit_levels_and_masks(panel):
    heat = panel.inspector.heatmap
    pattern = causal_pattern(6)
    scores = np.where(pattern > 0, pattern, 1.0) * 3.0
    heat.set_matrix(pattern, "pattern", weights=pattern, scores=scores)
    heat.set_mask(np.triu(np.ones((6, 6), dtype=bool), 1))
    assert heat.image.image.dtype == np.float32 and heat.image.image.flags.c_contiguous
    assert heat.image.levels[0] == 0.0 and heat.image.levels[1] == pytest.approx(pattern.max())
    assert heat.overlay.isVisible() and heat.overlay.image.sum() == 15
    text = heat.describe(3, 1)
    assert "query 3 “学” → key 1 “们”" in text and f"weight {pattern[3, 1]:.4g}" in text and "score" in text
    assert "“␣”" in heat.describe(2, 2)  # a space is shown, not blank


def test_display_values_log_and_masked_scores():
    shown, levels = display_values(np.array([[1.0, 0.0]], np.float32), "pattern", log=True)
    assert levels == (-6.0, 0.0) and shown[0, 1] == pytest.approx(-6.0)
    shown, levels = display_values(np.array([[2.0, -np.inf], [-1.0, 4.0]], np.float32), "signed", log=False)
    assert np.isnan(shown[0, 1]) and levels == (-1.0, 4.0)


def test_axis_labels_every_token_when_zoomed_in_and_strided_when_not(panel):
    axis = panel.inspector.heatmap.left_axis  # an axis inside a plot: a bare AxisItem cannot be freed safely
    assert isinstance(axis, TokenAxis)
    axis.set_tokens([str(i % 10) for i in range(4096)])
    (dense_step, dense), = axis.tickValues(0, 20, 400)
    assert dense_step == 1 and len(dense) == 20
    (step, values), = axis.tickValues(4096, 0, 600)  # an inverted axis passes its range reversed
    assert step >= 100 and len(values) <= 600 / 18 + 1  # a readable subset, not 4096 labels
    assert axis.tickStrings([values[1]], 1.0, step)[0].startswith(str(int(values[1])))
    assert nice_step(3.2) == 5 and nice_step(0.5) == 1 and nice_step(130) == 200


def test_clicking_a_token_a_cell_or_a_head_reports_it(panel, qtbot):
    heat = panel.inspector.heatmap
    heat.set_matrix(causal_pattern(6), "pattern")
    with qtbot.waitSignal(panel.positionSelected) as position:
        panel.inspector.strip.itemClicked.emit(panel.inspector.strip.item(4))
    assert position.args == [4]
    with qtbot.waitSignal(panel.positionSelected) as row:
        heat.left_axis._on_click("left", 2)
    assert row.args == [2]
    with qtbot.waitSignal(panel.headSelected) as head:
        panel.head_box.setCurrentIndex(2)
    assert head.args == [0, 2]
    panel.model_view.set_model(np.random.default_rng(0).random((2, 3, 6, 6)).astype(np.float32),
                               {"entropy": np.arange(6.0).reshape(2, 3), "previous": np.ones((2, 3))},
                               [[0, 1], [2]])
    with qtbot.waitSignal(panel.headSelected) as clicked:
        panel.model_view.grid.headClicked.emit(1, 1)
    assert clicked.args == [1, 1]
    assert "Grouped-query attention: kv0 ← q0, q1; kv1 ← q2" in panel.model_view.groups_label.text()


def test_scene_click_on_a_cell_maps_to_row_and_column(panel, qtbot):
    heat = panel.inspector.heatmap
    heat.set_matrix(causal_pattern(6), "pattern", reset_view=True)
    qtbot.waitUntil(lambda: heat.plot.getPlotItem().getViewBox().viewRange()[0][1] > 5)
    scene_pos = heat.plot.getPlotItem().getViewBox().mapViewToScene(QPointF(1.5, 4.5))
    assert heat._cell_at(scene_pos) == (4, 1)


def test_stage_switch_reports_and_model_view_draws_one_image(panel, qtbot):
    with qtbot.waitSignal(panel.viewChanged):
        panel.set_stage("z")
    assert panel.stage == "z"
    thumbs = np.random.default_rng(1).random((12, 12, 8, 8)).astype(np.float32)
    panel.model_view.set_model(thumbs, {"entropy": np.zeros((12, 12))}, [[h] for h in range(12)])
    image = panel.model_view.grid.image.image
    assert image.shape == mosaic(thumbs)[0].shape and np.isnan(image).any()  # gaps between thumbnails
    assert "Multi-head" in groups_text([[0], [1]])
    panel.set_head(3, 5)
    assert panel.layer_box.currentIndex() == 3 or panel.layer_box.count() < 4


def test_debugger_controls_report_commands_and_breakpoints(panel, qtbot):
    view = panel.debugger
    panel.set_shape(4, ["0", "1"], 1)
    for command, button in view.buttons.items():
        with qtbot.waitSignal(view.commandRequested) as got:
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        assert got.args == [command]
    view.set_busy(True)
    assert not view.buttons["continue"].isEnabled()
    view.set_busy(False)
    editor = view.editor
    editor.choose("row entropy <", 0.25, "pattern")
    editor.layer_box.setCurrentIndex(2)  # layer 1
    with qtbot.waitSignal(editor.breakpointRequested) as bp:
        editor.add_button.click()
    assert bp.args == [1, -1, "pattern", "min(entropy) < 0.25"]
    editor.choose("expression")
    editor.expression.setText("max(weight) > 0.9")
    with qtbot.waitSignal(editor.breakpointRequested) as expr:
        editor.add_button.click()
    assert expr.args[3] == "max(weight) > 0.9" and not editor.threshold.isEnabled()
    view.where.set_state(4, (1, 0, 3), False, {1})
    view.where.grab()  # paints without error


def test_mask_controls_round_trip(panel):
    values = MaskState(causal=False, window=3, dilated_w=2, dilated_d=4, global_positions=(0, 5), random_p=0.25,
                       random_seed=9, block=8)
    panel.masks.set_state(values)
    assert panel.masks.state() == values
    panel.masks.set_effect("KL", [("我", 0.5), ("们", 0.2)], [("们", 0.6), ("我", 0.1)])
    assert panel.masks.effect.item(0, 2).text() == "们" and panel.masks.effect.item(1, 3).text() == "0.1000"


def test_generation_view_shows_cache_rows_and_top_tokens(panel):
    gen = panel.interventions.generation
    rows = np.full((3, 7), np.nan, np.float32)
    rows[0, :5], rows[1, :6], rows[2, :7] = 0.2, 1 / 6, 1 / 7
    gen.show_generation("prompt", ["a", "b", "c"], np.ones((6, 4), np.float32), rows, [("a", 0.7), ("我", 0.2)],
                        "layer 0, head 1")
    assert gen.cache_image.image.shape == (6, 4) and gen.query_image.image.shape == (3, 7)
    assert "6 rows" in gen.title.text() and "abc" in gen.text.text()
    assert gen.bars.opts["height"] == [0.7, 0.2]
    gen.set_state(GenerationState(strategy="top-k", temperature=0.7, top_k=5, steps=9, seed=3))
    assert gen.state() == GenerationState(strategy="top-k", temperature=0.7, top_k=5, steps=9, seed=3)
