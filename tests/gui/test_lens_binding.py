"""The Prediction dock in the real window on the demo: the lens grid shows the demo model's own top tokens, a head
clicked in the attribution table becomes the document's selection, patching fills its maps through the worker, and
what cannot run is one sentence in the panel."""
from __future__ import annotations

import numpy as np
import torch

from lmscope.backend.demo import DEFAULT_PROMPT
from lmscope.gui.docks import PLACES
from lmscope.widgets.attention.heatmap import display_token
from lmscope.widgets.lens.state import LensState


def binding_of(window):
    return window.bindings["lens"]


def wait_idle(qtbot, window) -> None:
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=120_000)


def test_the_lens_grid_shows_the_demo_models_top_tokens(demo_window, qtbot):
    binding = binding_of(demo_window)
    grid = binding.panel.grid
    qtbot.waitUntil(lambda: grid.grid_model.rowCount() == 5, timeout=120_000)
    loaded = demo_window.document.loaded
    ids = loaded.tokenizer.encode(DEFAULT_PROMPT)
    assert binding.panel.prompt.text() == DEFAULT_PROMPT and grid.grid_model.columnCount() == len(ids)
    with torch.no_grad():
        top = loaded.model(torch.tensor([ids]))[0].argmax(-1).tolist()
    assert [grid.cell_text(4, col) for col in range(len(ids))] == [display_token(loaded.tokenizer.tokens[i])
                                                                  for i in top]
    assert "dock.lens" in demo_window.docks and PLACES["lens"].area is not None


def test_attribution_click_selects_the_head_and_patching_fills_the_maps(demo_window, qtbot):
    binding = binding_of(demo_window)
    panel = binding.panel
    wait_idle(qtbot, demo_window)
    panel.set_state(LensState(prompt="我们一起来学习", target="的", distractor="。", corrupt="你们一起来学习"))
    panel.run_attribution.click()
    qtbot.waitUntil(lambda: panel.attribution.items.rowCount() > 0, timeout=120_000)
    labels = panel.attribution.row_labels()
    assert len(labels) == 2 + 4 * (4 + 1 + 1)  # embeddings; per layer 4 heads, attn bias, MLP
    row = next(r for r, label in enumerate(labels) if label == "L2 H3")
    panel.attribution.click_row(row)
    assert (demo_window.document.selection.layer, demo_window.document.selection.head) == (2, 3)
    wait_idle(qtbot, demo_window)
    panel.run_patching.click()
    qtbot.waitUntil(lambda: "(patching…)" not in panel.patching.note.text()
                    and panel.patching.prompts.rowCount() == 7, timeout=120_000)
    resid = panel.patching.maps["resid_pre"].values
    # The two logit diffs are 0.01 apart on the demo, so float32 rounding shows up as ~1e-4 in the effects.
    assert resid.shape == (4, 7) and abs(resid[0, 0] - 1) < 1e-3
    np.testing.assert_allclose(resid[0, 1:], 0.0, atol=1e-3)
    assert panel.patching.prompts.item(0, 1).text() == "≠"


def test_refusals_are_one_sentence_in_the_panel(demo_window, qtbot):
    panel = binding_of(demo_window).panel
    wait_idle(qtbot, demo_window)
    panel.set_state(LensState(prompt="我们一起来学习", target="的是", distractor="。", corrupt="你们学习"))
    panel.run_attribution.click()
    assert "is 2 tokens" in panel.message.text()
    panel.target.setText("的")
    panel.run_patching.click()
    assert "same token length" in panel.message.text()
    assert not demo_window.runner.busy  # nothing was started


def test_session_state_restores_and_reruns_the_lens(demo_window, qtbot):
    binding = binding_of(demo_window)
    wait_idle(qtbot, demo_window)
    state = LensState(tab="target", prompt="大语言模型", target="的", top_k=3)
    binding.apply_state(LensState.from_tree(state.to_tree()))
    assert binding.state() == state.replace(selected=-1)
    qtbot.waitUntil(lambda: binding.panel.grid.grid_model.columnCount() == 5, timeout=120_000)
    assert "“的”" in binding.panel.target_view.caption.text()
