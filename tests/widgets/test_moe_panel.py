"""The MoE router panel on a crafted routing: the map's pixels have the expert colours, dropped cells are striped,
the probability heatmap marks top-k, bars sit against 1/E, and the panel's state round-trips and refuses bad
values."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from lmscope.widgets.moe.data import LoadTimeline, RouterView, expert_colors
from lmscope.widgets.moe.panel import MoePanel, MoeState
from lmscope.widgets.state import StateError

TOKENS = ("专", "家", " the", "模", "型", "。")
COLUMNS = (("switch_aux", "Switch aux", False), ("dropped_fraction", "dropped", True))


def crafted(n_shared: int = 0, gate: bool = False) -> RouterView:
    """3 MoE layers (blocks 0, 2, 3) × 6 tokens, 4 experts, top-2; token t's top-1 in layer row r is (t + r) % 4."""
    layers, n, e = (0, 2, 3), len(TOKENS), 4
    top1 = np.array([[(t + r) % e for t in range(n)] for r in range(3)])
    idx = np.stack([top1, (top1 + 1) % e], axis=-1)
    dropped = np.zeros(idx.shape, bool)
    dropped[1, 4, 1] = True  # layer row 1, token 4: its second choice was over capacity
    probs = np.full((3, n, e), 0.1, np.float32)
    np.put_along_axis(probs, idx[..., :1], 0.6, axis=-1)
    np.put_along_axis(probs, idx[..., 1:], 0.2, axis=-1)
    load = np.stack([np.bincount(idx[r].ravel(), minlength=e) / idx[r].size for r in range(3)])
    return RouterView(label="crafted", tokens=TOKENS, layers=layers, topk_indices=idx,
                      topk_weights=np.broadcast_to(np.array([0.75, 0.25], np.float32), idx.shape).copy(),
                      dropped=dropped, probs=probs, load=load, importance=probs.mean(axis=1),
                      columns=COLUMNS, stats=np.array([[1.0, 0.0], [1.1, 1 / 12], [1.2, 0.0]]), hf_aux=2.0,
                      shared_gate=np.full((3, n, n_shared), 0.5, np.float32) if gate else None, n_shared=n_shared)


@pytest.fixture
def panel(qtbot):
    p = MoePanel()
    qtbot.addWidget(p)
    p.resize(1100, 900)
    p.show()
    qtbot.waitExposed(p)
    return p


def pixel(plot, x: float, y: float):
    """The colour drawn at view coordinates (x, y) of a pyqtgraph PlotWidget."""
    vb = plot.getPlotItem().getViewBox()
    scene = vb.mapViewToScene(QPointF(x, y))
    point = plot.mapFromScene(scene)
    image = plot.grab().toImage()
    return image.pixelColor(point.x(), point.y())


def test_map_cells_have_the_top1_expert_colour(panel, qtbot):
    view = crafted()
    panel.set_view(view)
    qtbot.wait(10)
    colors = expert_colors(4)
    for row in range(3):
        for token in range(len(TOKENS)):
            if view.dropped[row, token].any():
                continue
            color = pixel(panel.map.plot, token + 0.5, row + 0.5)
            expected = colors[(token + row) % 4]
            assert (color.red(), color.green(), color.blue()) == tuple(int(c) for c in expected[:3]), (row, token)
    # the dropped cell is striped: its pixels are not all the expert's colour
    vb = panel.map.plot.getPlotItem().getViewBox()
    image = panel.map.plot.grab().toImage()
    a = panel.map.plot.mapFromScene(vb.mapViewToScene(QPointF(4.05, 1.05)))
    b = panel.map.plot.mapFromScene(vb.mapViewToScene(QPointF(4.95, 1.95)))
    seen = {image.pixelColor(x, y).rgb() for x in range(a.x(), b.x()) for y in range(a.y(), b.y())}
    assert len(seen) >= 2 and any(c & 0xFFFFFF == 0xFFFFFF or (c & 0xFF) > 200 for c in seen)
    assert panel.map.describe(1, 4) == "layer 2 · token 4 '型' → e1 0.750, e2 0.250 dropped"
    assert panel.map.bottom_axis.tokens[2] == "␣the"


def test_probabilities_mark_topk_and_bars_show_one_over_e(panel):
    view = crafted(n_shared=1)
    panel.set_view(view)
    panel.select_row(1)
    codes = panel.probs.mark_codes  # (E + shared, N): 1 kept top-k choice, 2 dropped
    kept = ~view.dropped[1]
    assert int((codes == 1).sum()) == int(kept.sum()) == 11
    assert sorted(zip(*np.nonzero(codes == 1))) == sorted(
        (int(view.topk_indices[1, t, s]), t) for t in range(6) for s in range(2) if kept[t, s])
    assert list(zip(*np.nonzero(codes == 2))) == [(int(view.topk_indices[1, 4, 1]), 4)]
    from lmscope.widgets.moe.views import MARK

    top = int(view.topk_indices[1, 0, 0])  # token 0's top-1 cell, close up: a one-pixel ring of code 1
    ring = panel.probs.marks.image[MARK * top: MARK * (top + 1), :MARK]
    assert ring[0].tolist() == ring[-1].tolist() == ring[:, 0].tolist() == ring[:, -1].tolist() == [1] * MARK
    assert not ring[1:-1, 1:-1].any()
    # the shared expert is an always-on row below the routed ones
    assert panel.probs.image.image.shape == (5, 6) and np.all(panel.probs.image.image[4] == 1.0)
    assert "shared expert S0: gate 1.000" in panel.probs.describe(4, 0)
    assert panel.load.ideal.value() == pytest.approx(0.25)
    assert panel.load.load_bars.opts["height"] == pytest.approx(view.load[1])
    assert panel.table.rowCount() == 3 and panel.table.item(1, 2).text() == "8.33 %"
    assert "2.0, not 1.0" in panel.hf_label.text()


def test_shared_gate_is_plotted(panel):
    panel.set_view(crafted(n_shared=1, gate=True))
    assert not panel.gate_plot.isHidden()
    curves = panel.gate_plot.getPlotItem().listDataItems()
    assert len(curves) == 1 and curves[0].getData()[1] == pytest.approx([0.5] * 6)


def test_clicks_report_layer_and_token(panel, qtbot):
    panel.set_view(crafted())
    with qtbot.waitSignal(panel.layerSelected) as layer:
        panel.table.cellClicked.emit(2, 0)
    assert layer.args == [3]  # block 3 is the third MoE layer
    vb = panel.map.plot.getPlotItem().getViewBox()
    scene = vb.mapViewToScene(QPointF(3.5, 0.5))
    with qtbot.waitSignal(panel.tokenSelected) as token:
        qtbot.mouseClick(panel.map.plot.viewport(), Qt.MouseButton.LeftButton,
                         pos=panel.map.plot.mapFromScene(scene))
    assert token.args == [3]
    assert panel.row == 0 and panel.map.token_line.isVisible()


def test_state_round_trip_and_hostile_values(panel):
    panel.set_view(crafted())
    state = MoeState(tab=1, layer=2, mark_topk=False, heatmap="importance")
    panel.set_state(state)
    assert panel.state() == state
    assert MoeState.from_tree(state.to_tree()) == state
    assert not panel.probs.marks.isVisible()
    for bad in ({"tab": 9}, {"heatmap": "weights"}, {"layer": -1}, {"mark_topk": "yes"}):
        with pytest.raises(StateError):
            MoeState.from_tree(bad)


def test_over_training_heatmap_and_comparison(panel):
    steps = np.array([0.0, 10.0, 20.0])
    collapse = np.array([[[0.25] * 4], [[0.5, 0.3, 0.1, 0.1]], [[1.0, 0.0, 0.0, 0.0]]])
    balanced = np.full((3, 1, 4), 0.25)
    run = LoadTimeline("no balancing", steps, (0,), collapse)
    other = LoadTimeline("aux-free", steps, (0,), balanced, bias=np.zeros((3, 1, 4)))
    panel.set_training(run, [other], compare="aux-free")
    assert panel.training.current.load_image.image.shape == (4, 3)
    assert panel.training.current.load_image.image[0].tolist() == pytest.approx([0.25, 0.5, 1.0])
    assert run.max_violation[:, 0] == pytest.approx([0.0, 1.0, 3.0])
    assert not panel.training.other.isHidden() and panel.training.compared() == "aux-free"
    assert not panel.training.other.bias_plot.isHidden() and panel.training.current.bias_plot.isHidden()
    assert "MaxVio 3.000" in panel.training.current.note.text()


def test_soft_moe_matrices(panel):
    from lmscope.widgets.moe.data import SoftView

    rng = np.random.default_rng(0)
    logits = rng.normal(size=(2, 6, 4))  # 2 layers, 6 tokens, 2 experts × 2 slots
    dispatch = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    combine = np.exp(logits) / np.exp(logits).sum(2, keepdims=True)
    soft = SoftView("soft", TOKENS, (0, 1), dispatch.astype(np.float32), combine.astype(np.float32), 2, 2)
    panel.set_soft(soft)
    assert panel.tabs.tabText(panel.tabs.currentIndex()) == "Soft MoE"
    panel.select_row(1)
    shown = panel.soft_view.dispatch.image.image
    assert shown.shape == (4, 6) and shown.sum(axis=1) == pytest.approx(np.ones(4), rel=1e-5)  # slot rows sum to 1
    assert panel.soft_view.combine.image.image.sum(axis=0) == pytest.approx(np.ones(6), rel=1e-5)  # token columns
    assert panel.soft_view.dispatch.left_axis.tokens == ["e0·0", "e0·1", "e1·0", "e1·1"]
    assert "slot 1 of expert 1: combine" in panel.soft_view.combine.describe(3, 2)
    panel.set_view(crafted())  # a routed capture after a soft one: the soft tab empties
    assert panel.soft is None and panel.soft_view.view is None
