"""The Prediction dock's widget on plain data: grid cells, colours and tooltips, the sortable attribution table that
opens heads, the two prompts beside the patching maps, and LensState from hostile session trees."""
from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import Qt

from lmscope.widgets.lens.data import AttributionData, LensGridData, PatchingData
from lmscope.widgets.lens.grid import cell_colour
from lmscope.widgets.lens.panel import LensPanel
from lmscope.widgets.lens.state import LensState
from lmscope.widgets.state import StateError

NAMES = ("blocks.0.hook_resid_pre", "blocks.1.hook_resid_pre", "blocks.1.hook_resid_post")
TOKENS = ("我", "们", " ")


def grid_data() -> LensGridData:
    tops = (((("们", "的"), ("一", "是"), ("\n", "x")),) * 3)
    lp = np.log(np.array([[[0.9, 0.05], [0.5, 0.2], [0.1, 0.05]]] * 3, dtype=np.float32))
    return LensGridData(
        names=NAMES, tokens=TOKENS, top_strings=tops, top_logprobs=lp,
        entropy=np.array([[0.5, 1.0, 2.0]] * 3, dtype=np.float32),
        promoted=((("一", "二"),) * 3,) * 2, promoted_delta=np.ones((2, 3, 2), np.float32),
        suppressed=((("三", "四"),) * 3,) * 2, suppressed_delta=-np.ones((2, 3, 2), np.float32),
        target="的", target_rank=np.array([[5, 3, 1], [2, 2, 1], [1, 1, 1]]),
        target_logprob=np.log(np.full((3, 3), 0.05, dtype=np.float32)))


@pytest.fixture
def panel(qtbot):
    p = LensPanel()
    qtbot.addWidget(p)
    p.resize(1000, 600)
    p.show()
    return p


def test_grid_cells_colours_and_tooltips(panel, qtbot):
    panel.set_lens(grid_data())
    model = panel.grid.grid_model
    assert model.rowCount() == 3 and model.columnCount() == 3
    assert panel.grid.cell_text(0, 0) == "们" and panel.grid.cell_text(2, 2) == "⏎"  # whitespace made visible
    assert model.headerData(2, Qt.Orientation.Vertical) == "L1 resid_post (final)"
    assert model.headerData(2, Qt.Orientation.Horizontal) == "2\n␣"
    colour = model.data(model.index(0, 1), Qt.ItemDataRole.BackgroundRole)
    assert colour == cell_colour(math.exp(float(grid_data().top_logprobs[0, 1, 0])))  # p = 0.5
    assert colour != cell_colour(0.9)
    tip = model.data(model.index(1, 0), Qt.ItemDataRole.ToolTipRole)
    assert "们  log p -0.105  p 0.900" in tip and "target “的”: rank 2" in tip and "entropy 0.500 nats" in tip
    # Pixels where they must be: the top-left cell (p = 0.9) is painted bright yellow-green, the one at p = 0.1 dark.
    qtbot.waitExposed(panel)
    image = panel.grid.viewport().grab().toImage()
    rect = panel.grid.visualRect(model.index(0, 0))
    pixel = image.pixelColor(rect.left() + 3, rect.top() + 3)
    assert abs(pixel.green() - cell_colour(0.9).green()) < 12 and pixel.red() > 120
    dark = image.pixelColor(panel.grid.visualRect(model.index(0, 2)).left() + 3, rect.top() + 3)
    assert dark.red() + dark.green() + dark.blue() < 300
    panel.colour.setCurrentText("entropy")  # entropy / max entropy: the last column is the brightest
    assert model.data(model.index(0, 2), Qt.ItemDataRole.BackgroundRole) == cell_colour(1.0)


def test_target_view_follows_the_clicked_position(panel):
    panel.set_lens(grid_data())
    assert "position 2" in panel.target_view.caption.text() and "rank 1 → 1 → 1" in panel.target_view.caption.text()
    panel.grid.clicked.emit(panel.grid.grid_model.index(0, 0))
    assert "position 0" in panel.target_view.caption.text() and "rank 5 → 2 → 1" in panel.target_view.caption.text()
    assert panel.target_view.changes.rowCount() == 2
    assert panel.target_view.changes.item(0, 0).text().startswith("一 +1.00")
    assert panel.state().selected == 0


def attribution() -> AttributionData:
    return AttributionData(
        labels=("token embedding", "L0 H0", "L0 H1", "L0 MLP"), layers=(-1, 0, 0, 0), indices=(-1, 0, 1, -1),
        kinds=("embed", "head", "head", "mlp"), direct=np.array([0.5, -2.0, 3.0, 1.0]),
        zero_ablation=np.array([np.nan, 1.5, -2.5, -0.5]), mean_ablation=np.array([np.nan, 1.0, -2.0, -0.1]),
        logit_diff=2.7, bias=0.2, scale=1.5, title="“的” vs “。” at position 4")


def test_attribution_table_sorts_and_opens_heads(panel, qtbot):
    panel.set_attribution(attribution())
    assert panel.attribution.row_labels() == ["L0 H1", "L0 MLP", "token embedding", "L0 H0"]  # direct, descending
    assert "σ = 1.5" in panel.attribution.note.text() and "frozen" in panel.attribution.note.text()
    panel.attribution.sort(4, False)  # zero-ablation Δ ascending
    assert panel.attribution.row_labels() == ["L0 H1", "L0 MLP", "L0 H0", "token embedding"]  # no value: last
    panel.attribution.sort(4, True)
    assert panel.attribution.row_labels() == ["L0 H0", "L0 MLP", "L0 H1", "token embedding"]
    panel.attribution.sort(4, False)
    assert panel.state().sort_column == 4 and panel.state().sort_descending is False
    with qtbot.waitSignal(panel.headSelected) as blocker:
        panel.attribution.click_row(0)
    assert blocker.args == [0, 1]
    with qtbot.assertNotEmitted(panel.headSelected):
        panel.attribution.click_row(1)  # an MLP opens nothing


def test_patching_view_shows_both_prompts_and_the_maps(panel):
    effects = np.array([[1.0, np.nan], [0.2, -0.3]])
    panel.set_patching(PatchingData(clean_tokens=("我", "们"), corrupt_tokens=("你", "们"), resid_pre=effects,
                                    attn_out=effects, mlp_out=effects, heads=np.zeros((2, 4)), clean_diff=1.0,
                                    corrupt_diff=-1.0, complete=False, title="“的” vs “。”:"))
    rows = [[panel.patching.prompts.item(r, c).text() for c in range(3)] for r in range(2)]
    assert rows == [["我", "≠", "你"], ["们", "", "们"]]
    assert "(patching…)" in panel.patching.note.text()
    shown = panel.patching.maps["resid_pre"].image.image
    assert shown.shape == (2, 2) and shown[0, 0] == 1.0 and math.isnan(shown[0, 1])
    assert panel.patching.maps["resid_pre"].axis.tokens == ["我→你", "们"]


def test_state_round_trip(panel):
    state = LensState(tab="patching", prompt="大语言模型", target="的", distractor="#3", corrupt="小语言模型",
                      reference="a\nb", position=2, selected=1, top_k=7, colour="entropy", sort_column=5,
                      sort_descending=False)
    panel.set_state(state)
    assert panel.state() == state
    assert LensState.from_tree(state.to_tree()) == state
    assert panel.inputs()["reference"] == ["a", "b"]


@pytest.mark.parametrize(("tree", "words"), [
    ({"tab": "gossip"}, "one of lens"),
    ({"top_k": 0}, "between 1 and 50"),
    ({"top_k": 3.5}, "whole number"),
    ({"position": -2}, "between -1"),
    ({"colour": b"\xff\xfe"}, "UTF-8"),
    ({"prompt": "x" * 20_001}, "characters long"),
    ({"target": ["a"]}, "should be text"),
    ({"sort_descending": 2}, "true or false"),
    ({"selected": float("nan")}, "finite"),
    ("not a group", "not a group"),
])
def test_hostile_state_trees_are_refused_in_one_sentence(tree, words):
    with pytest.raises(StateError, match=words) as err:
        LensState.from_tree(tree)
    assert "\n" not in str(err.value)


def test_unknown_keys_are_ignored_and_missing_ones_default():
    state = LensState.from_tree({"prompt": "模型", "from_a_newer_version": 3})
    assert state.prompt == "模型" and state.top_k == 5 and state.tab == "lens"


def patching(complete: bool = True) -> PatchingData:
    effects = np.array([[1.0, 0.25], [0.5, -0.125]], dtype=np.float32)
    return PatchingData(clean_tokens=("我", "们"), corrupt_tokens=("你", "们"), resid_pre=effects,
                        attn_out=effects * 2, mlp_out=-effects, heads=np.arange(8, dtype=np.float32).reshape(2, 4),
                        clean_diff=1.5, corrupt_diff=-0.5, complete=complete, title="“的” vs “。”:")


def test_results_are_saved_in_the_state_and_shown_again(panel, qtbot, tmp_path):
    from lmscope.sessions.hdf5 import read_tree, write_tree
    import h5py

    panel.set_attribution(attribution())
    panel.set_patching(patching())
    state = panel.state()
    assert state.attribution.labels == attribution().labels and state.attribution.ablatable == (0, 1, 1, 1)
    with h5py.File(tmp_path / "part.h5", "w") as f:
        write_tree(f.create_group("lens"), state.to_tree())
    with h5py.File(tmp_path / "part.h5", "r") as f:
        restored = LensState.from_tree(read_tree(f["lens"]))
    other = LensPanel()
    qtbot.addWidget(other)
    other.set_state(restored)
    assert other.attribution.row_labels() == panel.attribution.row_labels()
    assert other.attribution.note.text() == panel.attribution.note.text()
    data = other.attribution.data_
    np.testing.assert_array_equal(data.direct, attribution().direct)
    np.testing.assert_array_equal(data.zero_ablation, attribution().zero_ablation)  # NaN where not ablatable
    assert data.kinds == attribution().kinds and data.scale == 1.5 and data.logit_diff == 2.7
    for name in ("resid_pre", "attn_out", "mlp_out", "heads"):
        np.testing.assert_array_equal(other.patching.maps[name].values, getattr(patching(), name))
    assert other.patching.prompts.item(0, 1).text() == "≠" and "clean +1.5000" in other.patching.note.text()
    # A session without results clears what the panel showed.
    other.set_state(LensState())
    assert other.attribution.items.rowCount() == 0 and other.patching.prompts.rowCount() == 0
    assert other.patching.maps["resid_pre"].values.size == 0 and "Run Attribute" in other.attribution.note.text()


def test_an_unfinished_patching_run_is_not_saved(panel):
    panel.set_patching(patching(complete=False))
    assert panel.state().patching.clean_tokens == ()


@pytest.mark.parametrize(("part", "tree", "words"), [
    ("attribution", {"labels": ["a", "b"], "kinds": ["head"], "layers": np.array([0]), "indices": np.array([0]),
                     "ablatable": np.array([1]), "values": np.zeros((1, 3))}, "different lengths"),
    ("attribution", {"labels": ["a"], "kinds": ["head"], "layers": np.array([0]), "indices": np.array([0]),
                     "ablatable": np.array([1]), "values": np.zeros((1, 4))}, "different lengths"),
    ("attribution", {"labels": ["a"], "kinds": ["head"], "layers": np.array([0]), "indices": np.array([0]),
                     "ablatable": np.array([2]), "values": np.zeros((1, 3))}, "between 0 and 1"),
    ("attribution", {"layers": np.array([5000])}, "between -1 and 1024"),
    ("attribution", {"values": np.full((2, 3), np.nan)}, "not finite"),
    ("attribution", {"values": np.zeros((1 << 22, 3), np.float32)}, "at most"),
    ("patching", {"clean_tokens": ["a"], "corrupt_tokens": ["b"], "resid_pre": np.zeros((2, 1)),
                  "attn_out": np.zeros((2, 1)), "mlp_out": np.zeros((2, 1)), "heads": np.zeros((3, 4))},
     "does not fit together"),
    ("patching", {"clean_tokens": ["a"], "corrupt_tokens": ["b", "c"]}, "does not fit together"),
    ("patching", {"heads": np.zeros((2, 4))}, "effects but no prompt"),
    ("patching", {"resid_pre": np.zeros(3)}, "shape"),
    ("patching", "1e6", "not a group"),
])
def test_hostile_saved_results_are_refused_in_one_sentence(part, tree, words):
    with pytest.raises(StateError, match=words) as err:
        LensState.from_tree({"prompt": "x", part: tree})
    assert "\n" not in str(err.value) and "Prediction panel" in str(err.value)
