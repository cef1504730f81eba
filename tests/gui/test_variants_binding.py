"""The attention-variants dock in the real window on the demo: KV sizes and the measured live cache, positions on a
real head, a mask beside causal attention, refusals in the panel, and the session part."""
from __future__ import annotations

import numpy as np
import pytest

from lmscope.backend.attention.kvcache import WELL_KNOWN, kv_cache_bytes
from lmscope.backend.attention.masks import prefix_lm_mask
from lmscope.gui.docks import PLACES
from lmscope.widgets.variants.kvcache import CUSTOM, THIS_MODEL
from lmscope.widgets.variants.panel import VariantsState


@pytest.fixture
def binding(demo_window, qtbot):
    b = demo_window.bindings["variants"]
    demo_window.docks["dock.variants"].raise_()  # behind the inspector it queues no work
    qtbot.waitUntil(lambda: b.live is not None and not demo_window.runner.busy, timeout=60_000)
    return b


def test_hidden_behind_the_inspector_it_queues_no_work(demo_window, qtbot):
    b = demo_window.bindings["variants"]
    assert not b.shown() and b.stale and b.live is None
    with qtbot.waitSignal(demo_window.runner.queueChanged, timeout=10_000):
        demo_window.docks["dock.variants"].raise_()
    qtbot.waitUntil(lambda: b.live is not None and not b.stale, timeout=60_000)


def test_dock_is_placed_with_the_attention_inspector(demo_window):
    assert PLACES["variants"].tab_with == "attention"
    assert "dock.variants" in demo_window.docks
    tabbed = demo_window.tabifiedDockWidgets(demo_window.docks["dock.attention"])
    assert demo_window.docks["dock.variants"] in tabbed


def test_kv_cache_of_the_demo_and_the_live_cache_measured(demo_window, binding, qtbot):
    view = binding.panel.kvcache
    state = view.state()
    assert state.source == THIS_MODEL and (state.layers, state.heads, state.kv_heads, state.head_dim) == (4, 4, 4, 32)
    assert [r.kind for r in view.rows] == ["mha", "gqa", "mqa"] and view.rows[0].own
    assert view.rows[0].total == 2 * 4 * 4 * 32 * state.tokens * 2  # fp16 by default
    n = demo_window.document.current_trace.trace.n_pos
    assert binding.live is not None and binding.live.tokens == n
    assert binding.live.measured == binding.live.closed_form == 2 * 4 * 4 * 32 * n * 4  # fp32 weights
    assert "equal to the MHA closed form" in view.live.text()


def test_flipping_mha_gqa_mqa_mla_shrinks_the_cache_by_the_right_factor(binding, qtbot):
    view = binding.panel.kvcache
    view.source.setCurrentText("llama-3-8b")
    assert view.state().kv_heads == 8 and view.rows[1].own
    totals = {r.kind: r.total for r in view.rows}
    assert totals == kv_cache_bytes(WELL_KNOWN["llama-3-8b"], view.state().tokens, "fp16")
    assert totals["mha"] == 4 * totals["gqa"] == 32 * totals["mqa"]
    view.spins["kv_lora_rank"].setValue(512)
    view.spins["rope_head_dim"].setValue(64)
    assert view.state().source == CUSTOM and view.rows[-1].kind == "mla" and view.rows[-1].own
    assert view.rows[-1].per_token == 32 * (512 + 64) * 2
    view.spins["kv_heads"].setValue(5)  # does not divide 32: one sentence, the figures stay
    assert "evenly" in view.error.text() and view.rows[-1].kind == "mla"


def test_positions_on_the_demos_real_head(demo_window, binding, qtbot):
    view = binding.panel.positions
    assert "learned positions" in view.pairing.text()
    assert view.learned.matrix.shape == (512, 512)  # cosine similarity of the demo's 512 learned positions
    np.testing.assert_allclose(np.diag(view.learned.matrix), 1.0, atol=1e-6)
    with qtbot.waitSignal(demo_window.runner.queueChanged, timeout=10_000):
        view.spins["head"].setValue(3)
    qtbot.waitUntil(lambda: "head 3" in view.head_caption.text(), timeout=30_000)
    _, both = view.both_curve.getData()
    assert np.ptp(both) < 1e-9 * max(1.0, np.abs(both).max())  # both shifted: the score stays
    assert np.ptp(view.key_curve.getData()[1]) > 0


def test_prefix_and_lsh_beside_causal(demo_window, binding, qtbot):
    view = binding.panel.masks
    trace = demo_window.document.current_trace.trace
    view.spec.setText("prefix:6")
    view.run.click()
    qtbot.waitUntil(lambda: "keeps" in view.summary.text(), timeout=30_000)
    T = trace.n_pos
    np.testing.assert_allclose(view.plain.matrix, trace["blocks.0.attn.hook_pattern"][0, 0], atol=1e-6)
    assert np.all(view.masked.matrix[~prefix_lm_mask(T, 6)] == 0) and np.all(view.masked.matrix[:6, :6] > 0)
    assert "KL(causal ‖ masked)" in view.summary.text() and view.buckets is None
    assert view.prefix == 6 and view.prefix_box.isVisible()  # the prefix boundary drawn on the masked heatmap
    view.spec.setText("lsh:4:0")
    view.run.click()
    qtbot.waitUntil(lambda: "lsh:4:0: layer" in view.summary.text(), timeout=30_000)
    assert view.buckets is not None and view.buckets.shape == (T,) and "queries:" in view.strip.text()
    assert not view.prefix_box.isVisible()


def test_a_bad_mask_is_one_sentence_in_the_panel_not_a_failed_job(demo_window, binding, qtbot):
    view = binding.panel.masks
    view.spec.setText("lsh:3:0")
    view.run.click()
    assert "even" in view.summary.text() and "\n" not in view.summary.text()
    assert demo_window.error_dialog is None and not demo_window.runner.busy


def test_session_part_round_trip(demo_window, binding, qtbot):
    state = binding.state()
    changed = state.replace(tab=1, kvcache=state.kvcache.replace(source="deepseek-v2", tokens=777),
                            masks=state.masks.replace(spec="causal+window:4+topk:2"))
    binding.apply_state(VariantsState.from_tree(changed.to_tree()))
    qtbot.waitUntil(lambda: not demo_window.runner.busy, timeout=30_000)
    now = binding.state()
    assert now.tab == 1 and now.masks.spec == "causal+window:4+topk:2"
    assert now.kvcache.source == "deepseek-v2" and now.kvcache.kv_lora_rank == 512 and now.kvcache.tokens == 777
    assert binding.panel.kvcache.rows[-1].kind == "mla"


def test_train_dialog_offers_the_mla_preset_and_its_switches(qtbot):
    from lmscope.backend.models.config import PRESETS
    from lmscope.gui.dialogs import TrainDialog

    dialog = TrainDialog()
    qtbot.addWidget(dialog)
    dialog.preset.setCurrentText("mla")
    assert dialog.fields["attention"].currentText() == "mla" and dialog.fields["kv_lora_rank"].value() == 64
    dialog.fields["kv_lora_rank"].setValue(32)
    dialog.accept()
    assert dialog.config == PRESETS["mla"].replace(kv_lora_rank=32)
    dialog.fields["pos"].setCurrentText("learned")  # RoPE part without RoPE: refused in one sentence
    dialog.config = None
    dialog.accept()
    assert dialog.config is None and "rope_head_dim" in dialog.error.text()
