"""The attention panel in the real window: selection shared through the document, stage switching, the debugger's
buttons through the "Done when" scenario (breakpoint → head → ablation → changed prediction), masks, generation,
and the session part."""
from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import Qt

from lmscope.backend.attention.heads import hook, stage_matrix
from lmscope.backend.jobs import JobProgress
from lmscope.widgets.attention.state import AttentionState


@pytest.fixture
def binding(demo_window):
    return demo_window.bindings["attention"]


def test_the_panel_follows_the_document_selection(demo_window, binding, qtbot):
    doc, panel = demo_window.document, binding.panel
    trace = doc.current_trace.trace
    heat = panel.inspector.heatmap
    np.testing.assert_array_equal(heat.matrix, trace[hook(0, "pattern")][0, 0])
    assert panel.model_view.grid.image.image is not None and panel.layer_box.count() == 4
    with qtbot.waitSignal(doc.selectionChanged):
        panel.model_view.grid.headClicked.emit(2, 3)  # a click on a thumbnail
    assert (doc.selection.layer, doc.selection.head) == (2, 3)
    assert (panel.layer_box.currentIndex(), panel.head_box.currentIndex()) == (2, 3)
    np.testing.assert_array_equal(heat.matrix, trace[hook(2, "pattern")][0, 3])
    with qtbot.waitSignal(doc.selectionChanged):
        panel.inspector.strip.itemClicked.emit(panel.inspector.strip.item(5))
    assert doc.selection.position == 5
    assert heat.row_band.isVisible() and heat.row_band.getRegion() == (5, 6)
    assert "query 5 “学”" in panel.inspector.stats.text() and "exactly 0 ✓" in panel.inspector.stats.text()
    doc.set_selection(layer=1, head=0, position=9)  # another panel selects: the inspector follows
    assert panel.layer_box.currentIndex() == 1 and panel.inspector.strip.currentRow() == 9
    heat.cellClicked.emit(12, 3)  # clicking a cell selects its query row
    assert doc.selection.position == 12


def test_stage_switching_draws_each_stage(demo_window, binding):
    panel = binding.panel
    trace = demo_window.document.current_trace.trace
    demo_window.document.set_selection(layer=1, head=2)
    for stage in ("scores", "scaled", "masked", "pattern", "z"):
        panel.set_stage(stage)
        expected = stage_matrix(trace, 1, 2, stage)
        np.testing.assert_array_equal(panel.inspector.heatmap.matrix, expected)
    assert panel.inspector.heatmap.matrix.shape == (trace.n_pos, 32)  # z: positions × d_head
    assert not panel.inspector.heatmap.overlay.isVisible()
    panel.set_stage("pattern")
    assert panel.inspector.heatmap.overlay.isVisible()


def test_breakpoint_lands_on_a_head_and_ablating_it_changes_the_prediction(demo_window, binding, qtbot):
    doc, panel = demo_window.document, binding.panel
    view = panel.debugger
    qtbot.mouseClick(view.buttons["step"], Qt.MouseButton.LeftButton)
    assert view.where.position == (0, 0, 0) and "stop 1 of 80" in view.status.text()
    view.buttons["layer"].click()
    assert view.where.position[0] == 1
    view.editor.choose("row entropy <", 0.5, "pattern")
    view.editor.add_button.click()
    assert view.editor.list.count() == 1
    with qtbot.waitSignal(demo_window.runner.jobFinished, timeout=30_000):
        view.buttons["restart"].click()
        view.buttons["continue"].click()
        assert not view.buttons["step"].isEnabled()  # no stepping while the worker owns the debugger
    assert view.buttons["step"].isEnabled()
    assert "fired" in view.status.text()
    stop = binding.tools.last_pause.stop
    entropy = stop.env(-1)["entropy"]
    assert np.nanmin(entropy) < 0.5 and doc.selection.position == int(np.nanargmin(entropy))
    assert (doc.selection.layer, doc.selection.head) == (stop.layer, stop.head) and panel.stage == "pattern"
    # ablate the head that fired and watch the prediction at that row change
    ablation = panel.interventions.ablation
    ablation.add_button.click()
    with qtbot.waitSignal(demo_window.runner.jobFinished, timeout=60_000):
        ablation.run_button.click()
    assert "KL(before‖after) =" in ablation.result.text()
    kl = float(ablation.result.text().split("= ")[1].split(" nats")[0])
    assert kl > 1e-4
    after = doc.current_trace.trace
    assert after.label.startswith(f"ablate L{stop.layer}H{stop.head}")
    assert np.all(after[hook(stop.layer, "z")][0, :, stop.head] == 0.0)
    # the debugger still runs to the end from there
    with qtbot.waitSignal(demo_window.runner.jobFinished, timeout=30_000):
        view.buttons["continue"].click()
    while "Finished" not in view.status.text():
        with qtbot.waitSignal(demo_window.runner.jobFinished, timeout=30_000):
            view.buttons["continue"].click()
    assert view.where.finished


def test_masks_run_for_real_and_generation_streams(demo_window, binding, qtbot):
    doc, panel = demo_window.document, binding.panel
    panel.masks.window.setValue(3)
    panel.masks.global_positions.setText("0")
    panel.masks.second_prompt.setText("注意力")
    with qtbot.waitSignal(demo_window.runner.jobFinished, timeout=60_000):
        assert binding.apply_mask()
    trace = doc.current_trace.trace
    assert trace.meta["mask"] == "causal window=3 global=0" and trace.tokens.shape[0] == 2
    pattern = trace[hook(2, "pattern")]
    allowed = np.tri(trace.n_pos, dtype=bool) & ((np.abs(np.subtract.outer(*[np.arange(trace.n_pos)] * 2)) < 3)
                                                 | (np.arange(trace.n_pos)[:, None] == 0)
                                                 | (np.arange(trace.n_pos)[None, :] == 0))
    assert np.all(pattern[0][:, ~allowed] == 0.0)
    assert np.all(pattern[1][:, :, 3:] == 0.0)  # the padded sequence never attends to its pad keys
    assert "exactly 0 ✓" in panel.masks.proof.text() and panel.masks.effect.rowCount() == 10
    panel.batch_box.setCurrentIndex(1)
    assert panel.inspector.heatmap.rows[3] == "<pad>"
    panel.batch_box.setCurrentIndex(0)
    gen = panel.interventions.generation
    gen.steps.setValue(5)
    with qtbot.waitSignal(demo_window.runner.jobFinished, timeout=60_000):
        assert binding.tools.generate()
    assert len(binding.tools.steps) == 5 and gen.query_image.image.shape[0] == 5
    assert gen.cache_image.image.shape[0] == binding.tools.steps[-1].cache_length  # prompt rows + one per step


def _endless():
    while True:
        time.sleep(0.005)
        yield JobProgress(-1, "busy")


def test_busy_worker_and_session_state_round_trip(demo_window, binding, qtbot):
    panel = binding.panel
    endless = demo_window.start_job("Endless", _endless)
    panel.debugger.buttons["continue"].click()  # queued behind the busy worker, not refused
    (queued,) = demo_window.runner.waiting
    assert queued.kind == "debugger" and queued is binding.tools._job
    with qtbot.waitSignal(queued.finished, timeout=30_000):
        endless.cancel()
    assert panel.debugger.buttons["continue"].isEnabled() and binding.tools._job is None
    panel.set_stage("masked")
    panel.colormap_box.setCurrentText("magma")
    panel.log_box.setChecked(True)
    panel.masks.window.setValue(5)
    binding.tools.add_breakpoint(-1, 2, "pattern", "max(weight) > 0.9")
    binding.tools.add_breakpoint(1, -1, "", "")
    assert not binding.tools.add_breakpoint(0, 0, "", "pattern.__class__")
    demo_window.document.set_selection(layer=3, head=1)
    binding.tools.add_selected_head()
    state = binding.state().to_tree()
    assert state["breakpoints"] == ["L* H2 pattern if max(weight) > 0.9", "L1 H* *"]
    assert state["mask"] == "causal window=5" and state["ablated_heads"] == ["L3H1"]
    assert all(isinstance(v, (str, int, float, bool, list, dict)) for v in state.values())
    binding.apply_state(AttentionState.from_tree({**state, "stage": "z", "breakpoints": ["L0 H0 z"],
                                                  "mask": "causal block=4"}))
    assert panel.stage == "z" and binding.tools.breakpoints[0].stage == "z"
    assert panel.masks.block.value() == 4 and panel.masks.window.value() == 0
    binding.apply_state(AttentionState.from_tree(state))
    assert binding.state().to_tree() == state
