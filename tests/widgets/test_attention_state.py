"""The attention panel's state: the tree format 1 sessions hold, through real HDF5; hostile trees refused with one
sentence; the widgets showing and reporting a state; the control ranges taken from the state's limits."""
from __future__ import annotations

import gc
import json
import math

import h5py
import numpy as np
import pytest
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication

from lmscope.backend.attention.debugger import CONDITIONS, STAGE_LABELS, VARIABLES
from lmscope.backend.attention.generate import STRATEGIES
from lmscope.backend.attention.heads import SUMMARY_METRICS
from lmscope.sessions.hdf5 import read_tree, write_tree
from lmscope.widgets.attention import state as attention_state
from lmscope.widgets.attention.panel import AttentionPanel
from lmscope.widgets.attention.state import (
    MAX_ABLATED_HEADS, MAX_BREAKPOINTS, MAX_MASK_TEXT, MAX_PROMPT, MAX_SPAN, AttentionState, GenerationState,
    MaskState,
)
from lmscope.widgets.state import StateError, field_range
from lmscope.widgets.style import lookup_table

# What the binding's session_state() wrote before the panel had a state object, for a fresh window (captured from
# that code) and after a user had worked with it: keys and value types that every format 1 file holds.
FRESH_V1 = {"stage": "pattern", "colormap": "viridis", "log_scale": False, "overlay": True,
            "summary_metric": "entropy", "mask": "causal", "pad_text": "", "pad_side": "right", "breakpoints": [],
            "ablated_heads": [], "ablation_mode": "zero",
            "generation": {"strategy": "greedy", "temperature": 1.0, "top_k": 10, "steps": 20, "seed": 0}}
USED_V1 = {"stage": "masked", "colormap": "magma", "log_scale": True, "overlay": False,
           "summary_metric": "previous", "mask": "bidirectional window=5 global=0,3 custom=2:1,4:0",
           "pad_text": "注意力 🎉", "pad_side": "left",
           "breakpoints": ["L* H2 pattern if max(weight) > 0.9", "L1 H* *"], "ablated_heads": ["L3H1", "L0H2"],
           "ablation_mode": "mean",
           "generation": {"strategy": "top-k", "temperature": 0.7, "top_k": 5, "steps": 9, "seed": 3}}


def hdf5_round_trip(tree, tmp_path):
    """The tree as the session writer stores it and the reader gives it back."""
    with h5py.File(tmp_path / "panel.h5", "w") as f:
        write_tree(f.create_group("attention"), tree)
    with h5py.File(tmp_path / "panel.h5", "r") as f:
        return read_tree(f["attention"])


def types_of(tree):
    return {k: types_of(v) if isinstance(v, dict) else type(v).__name__ for k, v in tree.items()}


def test_choices_agree_with_the_backend():
    assert set(attention_state.STAGES) == set(STAGE_LABELS)
    assert set(attention_state.SUMMARY_METRICS) == set(SUMMARY_METRICS)
    assert attention_state.STRATEGIES == STRATEGIES


def test_defaults_are_what_a_fresh_panel_wrote():
    assert AttentionState().to_tree() == FRESH_V1
    assert types_of(AttentionState().to_tree()) == types_of(FRESH_V1)


@pytest.mark.parametrize("tree", [FRESH_V1, USED_V1], ids=["fresh", "used"])
def test_a_format_1_tree_reads_back_exactly_through_hdf5(tree, tmp_path):
    stored = hdf5_round_trip(tree, tmp_path)
    state = AttentionState.from_tree(stored)
    assert state.to_tree() == tree and types_of(state.to_tree()) == types_of(tree)
    assert state.generation == GenerationState(strategy=tree["generation"]["strategy"],
                                               temperature=tree["generation"]["temperature"],
                                               top_k=tree["generation"]["top_k"], steps=tree["generation"]["steps"],
                                               seed=tree["generation"]["seed"])
    # a file that lacks some keys (an older writer) keeps the defaults for them
    assert AttentionState.from_tree({"stage": "z"}) == AttentionState(stage="z")


def nested(depth):
    tree = {"seed": 1}
    for _ in range(depth):
        tree = {"seed": tree}
    return tree


HOSTILE = {
    "stage is a number": {"stage": 3},
    "log scale is text": {"log_scale": "yes"},
    "overlay is 2": {"overlay": 2},
    "breakpoints is one string": {"breakpoints": "L0 H0 z"},
    "breakpoints hold numbers": {"breakpoints": [1, 2]},
    "generation is a list": {"generation": ["greedy"]},
    "top-k is not whole": {"generation": {"top_k": 2.5}},
    "the tree is a list": [],
    "too many breakpoints": {"breakpoints": ["L0 H0 z"] * (MAX_BREAKPOINTS + 1)},
    "too many heads": {"ablated_heads": ["L0H0"] * (MAX_ABLATED_HEADS + 1)},
    "a million heads as an array": {"ablated_heads": np.zeros(1_000_001, dtype="S4")},
    "a huge second prompt": {"pad_text": "字" * (MAX_PROMPT + 1)},
    "a huge mask": {"mask": "causal" + " window=1" * (MAX_MASK_TEXT // 9 + 1)},
    "a huge breakpoint": {"breakpoints": ["L0 H0 z if " + "1 + " * 500 + "1"]},
    "temperature NaN": {"generation": {"temperature": float("nan")}},
    "temperature inf": {"generation": {"temperature": float("inf")}},
    "temperature 0": {"generation": {"temperature": 0.0}},
    "a billion steps": {"generation": {"steps": 10**9}},
    "negative seed": {"generation": {"seed": -1}},
    "unknown stage": {"stage": "attention"},
    "unknown colormap": {"colormap": "jet"},
    "unknown metric": {"summary_metric": "loss"},
    "unknown pad side": {"pad_side": "middle"},
    "unknown ablation mode": {"ablation_mode": "half"},
    "unknown strategy": {"generation": {"strategy": "beam"}},
    "nested where text goes": {"stage": {"stage": {"stage": "z"}}},
    "nested deeply where a number goes": {"generation": nested(10_000)},
    "bytes that are not UTF-8": {"mask": b"\xff\xfe"},
}


@pytest.mark.parametrize("tree", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_trees_are_refused_with_one_sentence(tree):
    with pytest.raises(StateError) as refused:
        AttentionState.from_tree(tree)
    message = str(refused.value)
    assert message.startswith("The saved ") and message.endswith(".") and "\n" not in message
    assert len(message) < 300  # a hostile value is quoted by its start, never whole


def test_nan_written_by_a_hostile_file_is_refused_after_hdf5(tmp_path):
    with h5py.File(tmp_path / "nan.h5", "w") as f:
        group = f.create_group("attention")
        write_tree(group, {"stage": "z"})
        write_tree(group.create_group("generation"), {"strategy": "greedy"})
        group["generation"].attrs["temperature"] = json.dumps(math.nan)  # "NaN", which json reads back
    with h5py.File(tmp_path / "nan.h5", "r") as f:
        tree = read_tree(f["attention"])
    assert math.isnan(tree["generation"]["temperature"])
    with pytest.raises(StateError, match="temperature is not a finite number"):
        AttentionState.from_tree(tree)


@pytest.fixture
def panel(qtbot):
    p = AttentionPanel(STAGE_LABELS, SUMMARY_METRICS, CONDITIONS, VARIABLES)
    p.resize(1000, 600)
    p.show()
    yield p
    p.close()
    p.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    del p
    gc.collect()


def test_the_panel_shows_and_reports_a_state(panel, qtbot):
    state = AttentionState.from_tree(USED_V1)
    mask = MaskState(causal=False, window=5, global_positions=(0, 3))
    with qtbot.waitSignal(panel.viewChanged):
        panel.set_state(state, mask)
    assert panel.state(state.mask, state.breakpoints, state.ablated_heads) == state
    assert panel.masks.state() == mask and panel.masks.padding() == ("注意力 🎉", "left")
    assert (panel.stage, panel.colormap, panel.overlay, panel.model_view.metric) == ("masked", "magma", False,
                                                                                      "previous")
    np.testing.assert_array_equal(panel.inspector.heatmap.image.lut, lookup_table("magma"))  # drawn with it
    assert panel.ablation.mode == "mean"
    assert panel.generation.state() == state.generation
    panel.set_state(AttentionState(), MaskState())
    assert panel.state("causal") == AttentionState() and panel.masks.state() == MaskState()


def test_intent_signals_of_the_tabs(panel, qtbot):
    with qtbot.waitSignal(panel.ablation.modeChanged) as mode:
        panel.ablation.mode_box.setCurrentText("mean")
    assert mode.args == ["mean"]
    assert not panel.generation.with_ablation
    panel.generation.ablation_box.setChecked(True)
    assert panel.generation.with_ablation
    panel.debugger.editor.choose("always", stage="z")
    with qtbot.waitSignal(panel.debugger.breakpointRequested) as requested:
        panel.debugger.editor.add_button.click()
    assert requested.args == [-1, -1, "z", ""]
    panel.debugger.set_breakpoints(["L0 H0 z"])
    panel.debugger.editor.list.setCurrentRow(0)
    with qtbot.waitSignal(panel.debugger.removeRequested) as removed:
        panel.debugger.editor.remove_button.click()
    assert removed.args == [0]
    panel.masks.paint.setChecked(True)
    assert panel.masks.painting


def test_controls_take_exactly_what_the_state_accepts(panel):
    masks, generation = panel.masks, panel.generation
    for name, box in (("window", masks.window), ("dilated_w", masks.dilated_w), ("dilated_d", masks.dilated_d),
                      ("random_p", masks.random_p), ("random_seed", masks.random_seed), ("block", masks.block)):
        assert (box.minimum(), box.maximum()) == field_range(MaskState, name), name
    for name, box in (("temperature", generation.temperature), ("top_k", generation.top_k),
                      ("steps", generation.steps), ("seed", generation.seed)):
        assert (box.minimum(), box.maximum()) == field_range(GenerationState, name), name
    assert masks.window.maximum() == MAX_SPAN and masks.second_prompt.maxLength() == MAX_PROMPT
    assert [panel.colormap_box.itemText(i) for i in range(panel.colormap_box.count())] == list(
        attention_state.COLORMAPS)
    assert [masks.pad_side.itemText(i) for i in range(masks.pad_side.count())] == list(attention_state.PAD_SIDES)
    assert [generation.strategy.itemText(i) for i in range(generation.strategy.count())] == list(STRATEGIES)
    # the longest second prompt a state takes is shown whole
    masks.set_padding("字" * MAX_PROMPT, "right")
    assert len(masks.padding()[0]) == MAX_PROMPT
    # typed positions that are not plain numbers are left out rather than raising
    masks.global_positions.setText("0, ², 7, x")
    assert masks.state().global_positions == (0, 7)
