"""The attention panel's state in the real window: saved and reopened exactly, the golden v1 file, session files
whose attention part is hostile (a notice in the attention panel while the other panels restore), and bindings
that ask the panel instead of reaching into its controls."""
from __future__ import annotations

import ast
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest
from PySide6.QtCore import QObject, SignalInstance

from lmscope.gui.panels import attention as attention_binding_module
from lmscope.gui.panels import attention_debug
from lmscope.sessions.hdf5 import write_tree
from lmscope.widgets.attention.state import AttentionState, MaskState

GOLDEN = Path(__file__).parent.parent / "data" / "session_v1.h5"
# A state a user could leave on the demo model (4 layers × 4 heads), in the format 1 tree.
WORKED = {"stage": "masked", "colormap": "magma", "log_scale": True, "overlay": False,
          "summary_metric": "previous", "mask": "bidirectional window=5 global=0,3 custom=2:1,4:0",
          "pad_text": "注意力", "pad_side": "left",
          "breakpoints": ["L* H2 pattern if max(weight) > 0.9", "L1 H* *"], "ablated_heads": ["L3H1", "L0H2"],
          "ablation_mode": "mean",
          "generation": {"strategy": "top-k", "temperature": 0.7, "top_k": 5, "steps": 9, "seed": 3}}


def idle(window, qtbot):
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=60_000)


def open_in(window, qtbot, path):
    idle(window, qtbot)
    with qtbot.waitSignal(window.runner.jobFinished, timeout=60_000):
        assert window.open_session(path)


def notice(window):
    label = window.docks["dock.attention"].notice
    return label.text() if label.isVisibleTo(window.docks["dock.attention"]) else ""


def golden_with_attention(tmp_path, tree) -> Path:
    """The golden v1 file with an attention part added, as a file from outside would carry it."""
    path = tmp_path / "with-attention.h5"
    shutil.copyfile(GOLDEN, path)
    with h5py.File(path, "r+") as f:
        write_tree(f["ui/panels"].create_group("attention"), tree)
    return path


def test_a_worked_state_is_shown_saved_and_reopened_exactly(demo_window, make_window, qtbot, tmp_path):
    binding, panel = demo_window.bindings["attention"], demo_window.bindings["attention"].panel
    binding.apply_state(AttentionState.from_tree(WORKED))
    assert binding.state().to_tree() == WORKED
    assert (panel.stage, panel.masks.window.value(), panel.masks.painted.text()) == ("masked", 5, "2 cells painted")
    assert binding.painted == ((2, 1), (4, 0)) and panel.masks.state() == MaskState(causal=False, window=5,
                                                                                    global_positions=(0, 3))
    assert panel.debugger.editor.list.count() == 2 and binding.tools.breakpoints[1].layer == 1
    assert binding.tools.ablation.heads == ((3, 1), (0, 2)) and binding.tools.ablation.mode == "mean"
    assert [panel.ablation.heads.item(i).text() for i in range(panel.ablation.heads.count())] == ["L3H1", "L0H2"]
    path = tmp_path / "worked.h5"
    idle(demo_window, qtbot)
    with qtbot.waitSignal(demo_window.runner.jobFinished, timeout=60_000):
        assert demo_window.save_session(path, include_weights=False)
    again = make_window("second", size=(1400, 900))
    open_in(again, qtbot, path)
    qtbot.wait(10)  # the binding's deferred notice
    assert again.bindings["attention"].state().to_tree() == WORKED and notice(again) == ""


def test_the_golden_v1_file_restores_as_before(window, qtbot):
    open_in(window, qtbot, GOLDEN)
    hist = window.bindings["histograms"].panel
    assert hist.site == "resid_post" and hist.log_box.isChecked()  # its saved part, as before
    binding = window.bindings["attention"]
    # The golden file has no attention part: the panel keeps its defaults and says nothing.
    qtbot.wait(10)
    assert binding.state() == AttentionState() and notice(window) == ""
    trace = window.document.current_trace.trace
    np.testing.assert_array_equal(binding.panel.inspector.heatmap.matrix, trace["blocks.1.attn.hook_pattern"][0, 1])
    # The file keeps patterns only: a stage it lacks shows the pattern and says so, instead of failing.
    binding.panel.set_stage("masked")
    np.testing.assert_array_equal(binding.panel.inspector.heatmap.matrix, trace["blocks.1.attn.hook_pattern"][0, 1])
    assert "holds no “after the mask”" in binding.panel.inspector.stats.text()


HOSTILE = {
    "unknown stage": ({**WORKED, "stage": "attention"}, "stage is 'attention'"),
    "too many breakpoints": ({**WORKED, "breakpoints": ["L0 H0 z"] * 300}, "at most 256"),
    "NaN temperature": ({**WORKED, "generation": {**WORKED["generation"], "temperature": float("nan")}},
                        "not a finite number"),
    "nested where a flag goes": ({**WORKED, "log_scale": {"a": {"b": {"c": True}}}}, "should be true or false"),
}


@pytest.mark.parametrize(("tree", "says"), HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_attention_part_is_a_notice_while_the_others_restore(window, qtbot, tmp_path, tree, says):
    binding = window.bindings["attention"]
    binding.panel.set_stage("z")  # the user's view before opening: a refused state changes none of it
    before = binding.state()
    open_in(window, qtbot, golden_with_attention(tmp_path, tree))
    assert "not restored" in notice(window) and says in notice(window) and "\n" not in notice(window)
    assert window.bindings["histograms"].panel.site == "resid_post"  # the other panels restored
    assert window.document.selection.layer == 1 and window.docks["dock.histograms"].notice.text() == ""
    qtbot.wait(10)
    assert binding.state() == before  # left as it was, and usable:
    with qtbot.waitSignal(window.document.selectionChanged):
        binding.panel.model_view.grid.headClicked.emit(0, 1)
    trace = window.document.current_trace.trace
    np.testing.assert_array_equal(binding.panel.inspector.heatmap.matrix, trace["blocks.0.attn.hook_pattern"][0, 1])
    binding.apply_state(AttentionState.from_tree({**WORKED, "breakpoints": [], "ablated_heads": []}))
    assert binding.state().to_tree()["stage"] == "masked"


def test_unreadable_mask_and_breakpoints_are_left_out_with_a_notice(window, qtbot, tmp_path):
    tree = {**WORKED, "mask": "causal window=banana", "breakpoints": ["L0 H0 z", "L0 H0 nowhere", "Lx H1 *"],
            "ablated_heads": ["L1H0", "head one"]}
    open_in(window, qtbot, golden_with_attention(tmp_path, tree))
    qtbot.waitUntil(lambda: notice(window) != "")
    text = notice(window)
    assert text.startswith("Part of this panel's saved state was left out:")
    for part in ("window=banana", "plain causal mask", "'nowhere'", "'Lx H1 *'", "'head one'"):
        assert part in text, part
    state = window.bindings["attention"].state()
    assert state.to_tree() == {**WORKED, "mask": "causal", "breakpoints": ["L0 H0 z"], "ablated_heads": ["L1H0"]}
    assert window.bindings["histograms"].panel.site == "resid_post"


UNSHOWABLE_MASKS = (
    ("causal window=99999", "does not fit the Masks tab"),
    ("causal random=0.5@-1", "seed must be ≥ 0"),  # MaskSpec refuses it first (numpy takes no negative seed)
    ("causal global=-4", "does not fit the Masks tab"),
    ("causal custom=1:2:3", "does not fit the form custom:I:J"),  # MaskSpec.parse refuses a cell of three
    ("causal custom=-1:0", "not query:key position pairs"),
    ("causal dilated=4,0", "needs a dilation"),
    ("causal " + "x" * 5000, "Cannot read the mask"),
)


def test_a_mask_the_controls_cannot_show_is_a_notice(demo_window, qtbot):
    binding = demo_window.bindings["attention"]
    for mask, says in UNSHOWABLE_MASKS:
        binding.apply_state(AttentionState.from_tree({**WORKED, "mask": mask}))
        qtbot.waitUntil(lambda: notice(demo_window) != "")
        assert says in notice(demo_window) and len(notice(demo_window)) < 600, mask[:40]
        assert binding.state().to_tree() == {**WORKED, "mask": "causal"} and binding.painted == ()
        binding.apply_state(AttentionState.from_tree(WORKED))  # a good state clears the notice
        qtbot.waitUntil(lambda: notice(demo_window) == "")
        assert binding.state().to_tree() == WORKED


# --- the bindings ask the panel --------------------------------------------------------------------------------
ROOTS = {"self.panel": "", "binding.panel": "", "self.binding.panel": "", "self.view": "debugger",
         "self.ablation_view": "ablation", "self.generation_view": "generation"}
SUB_VIEWS = ("masks", "debugger", "ablation", "generation", "model_view")


def attribute_chains(module) -> set[str]:
    """Every outermost dotted name in ``module``'s source (``a.b.c`` of ``a.b.c.d()`` is not counted apart)."""
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    inner = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Attribute)}

    def dotted(node):
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.Attribute):
            base = dotted(node.value)
            return None if base is None else f"{base}.{node.attr}"
        return None

    return {name for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and id(node) not in inner and (name := dotted(node))}


def test_bindings_reach_no_control_inside_the_panel(demo_window):
    panel = demo_window.bindings["attention"].panel
    checked = 0
    for module in (attention_binding_module, attention_debug):
        for chain in sorted(attribute_chains(module)):
            root = next((r for r in ROOTS if chain == r or chain.startswith(r + ".")), None)
            if root is None or chain == root:
                continue
            names = ([ROOTS[root]] if ROOTS[root] else []) + chain[len(root) + 1:].split(".")
            target = panel
            for depth, name in enumerate(names):
                target = getattr(target, name)
                last = depth == len(names) - 1
                if isinstance(target, QObject):  # a widget: only the panel's own tabs, never a control in them
                    assert depth == 0 and name in SUB_VIEWS, f"{module.__name__}: {chain} reaches a control"
                elif isinstance(target, SignalInstance):  # an intent signal, connected to (or re-emitted)
                    assert last or names[depth + 1] in ("connect", "emit"), f"{module.__name__}: {chain}"
                    break
                else:  # a method or a plain value the panel offers
                    assert last, f"{module.__name__}: {chain} goes through {name}"
            checked += 1
    assert checked > 40  # the check saw the bindings' real traffic with the panel
