"""The attention-variants dock's views on plain data: KV bars and table, positions plots, the mask comparison,
state round trips and hostile saved states."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor

from lmscope.widgets.state import StateError
from lmscope.widgets.style import PALETTE
from lmscope.widgets.variants.kvcache import CUSTOM, THIS_MODEL, KVCacheState, KVRow
from lmscope.widgets.variants.masks import MasksState, bucket_strip
from lmscope.widgets.variants.panel import VariantsPanel, VariantsState
from lmscope.widgets.variants.positions import PositionsState

ROWS = [KVRow("mha", 2048, 2_097_152, 1.0, False), KVRow("gqa", 1024, 1_048_576, 0.5, False),
        KVRow("mqa", 512, 524_288, 0.25, False), KVRow("mla", 288, 294_912, 0.140625, True)]


@pytest.fixture
def panel(qtbot):
    widget = VariantsPanel()
    qtbot.addWidget(widget)
    widget.resize(1200, 600)
    widget.show()
    return widget


def near(color: QColor, hex_color: str, tolerance: int = 10) -> bool:
    expected = QColor(hex_color)
    return all(abs(a - b) < tolerance for a, b in ((color.red(), expected.red()), (color.green(), expected.green()),
                                                    (color.blue(), expected.blue())))


def test_kv_rows_become_bars_and_a_table_with_the_models_own_kind_marked(panel, qtbot):
    view = panel.kvcache
    view.set_rows(ROWS, "caption")
    np.testing.assert_array_equal(view.bars.opts["height"], [r.total for r in ROWS])
    assert view.table.rowCount() == 4
    assert view.table.item(3, 0).text() == "288 B" and view.table.item(3, 3).text() == "← this model"
    assert view.table.item(1, 2).text() == "50.0%" and "1.00 MiB" in view.table.item(1, 1).text()
    assert [label.toPlainText().split("\n")[0] for label in view.bar_labels] == ["MHA", "GQA", "MQA", "MLA"]
    # pixels: the MLA bar (this model's kind) is orange at its middle, the MHA bar blue
    qtbot.waitUntil(lambda: view.plot.isVisible(), timeout=5_000)
    vb = view.plot.getPlotItem().getViewBox()
    image = view.plot.grab().toImage()

    def colour_at(x: float, y: float) -> QColor:
        point = view.plot.mapFromScene(vb.mapViewToScene(QPointF(x, y)))
        return image.pixelColor(point.x(), point.y())

    # (off the bar's centre line and off round heights, where the faint grid lines cross it)
    assert near(colour_at(0.17, ROWS[0].total * 0.37), PALETTE[0])
    assert near(colour_at(3.17, ROWS[3].total * 0.37), PALETTE[1])


def test_typing_a_number_makes_the_shape_custom_and_asks_for_new_figures(panel, qtbot):
    view = panel.kvcache
    view.set_sources(["llama-3-8b", "deepseek-v2"])
    assert [view.source.itemText(i) for i in range(view.source.count())] == [THIS_MODEL, "llama-3-8b",
                                                                             "deepseek-v2", CUSTOM]
    view.set_shape(layers=32, heads=32, kv_heads=8, head_dim=128)  # a shape from the binding: no signal
    with qtbot.waitSignal(view.shapeChanged, timeout=1_000):
        view.spins["kv_heads"].setValue(1)
    assert view.state().source == CUSTOM and view.state().kv_heads == 1 and view.state().layers == 32
    with qtbot.waitSignal(view.sourceChosen, timeout=1_000) as chosen:
        view.source.setCurrentText("deepseek-v2")
    assert chosen.args == ["deepseek-v2"]
    view.set_error("4 key/value heads cannot be shared evenly by 6 query heads.")
    assert "evenly" in view.error.text()


def test_positions_view_shows_what_it_is_given(panel, qtbot):
    view = panel.positions
    table = np.linspace(-1, 1, 40 * 16).reshape(40, 16)
    view.set_sinusoidal(table, np.arange(40), np.cos(np.arange(40.0)))
    np.testing.assert_array_equal(view.sinusoidal.matrix, table.astype(np.float32))
    assert view.sinusoidal.levels == (-1.0, 1.0)
    angles = np.arange(40.0)[:, None] * np.array([1.0, 0.1])
    view.set_rope(angles, "TinyGPT rotates neighbouring pairs.")
    assert view.angles.matrix.max() < 2 * np.pi and view.pairing.text().startswith("TinyGPT")
    view.set_head_demo(np.arange(5), np.full(5, 2.5), np.arange(5.0), "flat")
    x, y = view.both_curve.getData()
    np.testing.assert_array_equal(y, np.full(5, 2.5))
    view.set_head_demo(None, None, None, "Capture a prompt.")
    assert view.both_curve.getData()[0] is None or len(view.both_curve.getData()[0]) == 0
    view.set_learned(np.eye(3), "learned")
    np.testing.assert_array_equal(view.learned.matrix, np.eye(3, dtype=np.float32))
    view.set_learned(None, "no learned positions")
    assert view.learned.matrix is None
    view.spins["n"].setValue(9)
    view.set_limits(n_layer=2, n_head=4, n_pos=6)
    assert view.state().n == 5  # clamped to the capture's last position, without a signal
    with qtbot.waitSignal(view.demoChanged, timeout=1_000):
        view.spins["m"].setValue(99)
    assert view.state().m == 5


def test_mask_comparison_and_bucket_strip(panel, qtbot):
    view = panel.masks
    plain, masked = np.tril(np.full((3, 3), 1 / 3)), np.eye(3)
    view.set_comparison(plain, masked, ["a", " ", "b<"], np.array([0, 1, 0]), np.array([1, 1, 0]), "summary")
    np.testing.assert_array_equal(view.masked.matrix, np.eye(3, dtype=np.float32))
    assert view.summary.text() == "summary" and "b&lt;" in view.strip.text() and "␣" in view.strip.text()
    assert view.strip.text().count(PALETTE[0]) == 2 and view.key_strip.text().count(PALETTE[1]) == 2
    assert not view.prefix_box.isVisible()
    view.set_comparison(plain, masked, ["a", "b", "c"], None, None, "no buckets", prefix=2)
    assert "background" not in view.strip.text() and view.key_strip.text() == ""
    x, y = view.prefix_box.getData()
    assert view.prefix_box.isVisible() and x.max() == 2 and y.max() == 2
    assert bucket_strip(["x"], np.array([9])).count(PALETTE[9 % len(PALETTE)]) == 1
    with qtbot.waitSignal(view.runRequested, timeout=1_000):
        view.run.click()


def test_state_round_trip(panel):
    state = VariantsState(tab=2, kvcache=KVCacheState(source=CUSTOM, layers=60, heads=128, kv_heads=128,
                                                      head_dim=128, kv_lora_rank=512, rope_head_dim=64,
                                                      tokens=4096, dtype="fp8"),
                          positions=PositionsState(layer=1, head=2, m=3, n=7),
                          masks=MasksState(spec="causal+window:4+topk:2", layer=1, head=3))
    panel.kvcache.set_sources(["deepseek-v2"])
    panel.set_state(state)
    assert panel.state() == state
    assert VariantsState.from_tree(state.to_tree()) == state
    # a well-known name this version does not know: its numbers are kept, shown as typed in
    panel.set_state(state.replace(kvcache=state.kvcache.replace(source="gpt-9")))
    assert panel.state().kvcache.source == CUSTOM and panel.state().kvcache.layers == 60


@pytest.mark.parametrize("tree, words", [
    ({"tab": 7}, "between"),
    ({"kvcache": {"dtype": "fp4"}}, "fp16"),
    ({"kvcache": {"layers": 0}}, "between"),
    ({"kvcache": {"tokens": float("nan")}}, "finite"),
    ({"positions": {"m": -1}}, "between"),
    ({"masks": {"spec": "x" * 1000}}, "characters"),
    ({"masks": "topk:3"}, "group"),
])
def test_hostile_saved_states_are_one_sentence(tree, words):
    with pytest.raises(StateError, match=words):
        VariantsState.from_tree(tree)
