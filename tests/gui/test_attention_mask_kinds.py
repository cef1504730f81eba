"""The inspector's Masks tab offers the newer mask kinds of ``lmscope capture --mask`` (prefix LM, top-k, LSH): a run
with each shows in the captured pattern, and the mask round-trips through the session state."""
from __future__ import annotations

import numpy as np

from lmscope.backend.attention.heads import hook
from lmscope.backend.attention.masks import MAX_LSH_BUCKETS, MaskSpec
from lmscope.gui.panels.attention import read_mask, spec_of
from lmscope.widgets.attention import state as attention_state
from lmscope.widgets.attention.state import AttentionState, MaskState
from lmscope.widgets.state import field_range


def test_the_masks_tab_reads_and_writes_prefix_topk_and_lsh():
    mask, painted = read_mask("causal prefix=5 topk=3 lsh=8@2 custom=1:0")
    assert mask == MaskState(prefix=5, top_k=3, lsh_buckets=8, lsh_seed=2) and painted == ((1, 0),)
    spec = spec_of(mask, painted)  # the dilation's d stays at the control's default while its w is off
    assert (spec.prefix, spec.top_k, spec.lsh_buckets, spec.lsh_seed, spec.custom_blocked) == (5, 3, 8, 2, ((1, 0),))
    assert spec.to_text() == MaskSpec.parse("causal prefix=5 topk=3 lsh=8@2 custom=1:0").to_text()
    assert spec_of(mask).to_text() == "causal prefix=5 topk=3 lsh=8@2"
    assert read_mask("causal+prefix:4")[0].prefix == 4  # the command line's form, as `lmscope capture --mask` takes
    assert attention_state.MAX_LSH_BUCKETS == MAX_LSH_BUCKETS == field_range(MaskState, "lsh_buckets")[1]


def test_a_prefix_mask_runs_and_shows_in_the_pattern(demo_window, qtbot):
    binding = demo_window.bindings["attention"]
    doc, masks = demo_window.document, binding.panel.masks
    assert (masks.prefix.minimum(), masks.prefix.maximum()) == field_range(MaskState, "prefix")
    masks.prefix.setValue(5)
    with qtbot.waitSignal(demo_window.runner.jobFinished, timeout=60_000):
        assert binding.apply_mask()
    trace = doc.current_trace.trace
    assert trace.meta["mask"] == "causal prefix=5"
    pattern = trace[hook(1, "pattern")][0]  # (head, query, key)
    T = trace.n_pos
    assert np.all(pattern[:, :5, :5] > 0)  # inside the prefix every position sees every other, the future too
    future = np.triu(np.ones((T, T), dtype=bool), 1)
    future[:5, :5] = False
    assert np.all(pattern[:, future] == 0.0)  # after it, plain causal
    np.testing.assert_allclose(pattern.sum(-1), 1.0, rtol=1e-5)
    doc.set_selection(layer=1, head=0, position=0)
    heat = binding.panel.inspector.heatmap
    np.testing.assert_array_equal(heat.matrix, pattern[0])
    assert not binding.masked(trace)[0, 4] and binding.masked(trace)[5, 6]  # the veil follows the prefix
    assert "exactly 0 ✓" in masks.proof.text() and "mask: causal prefix=5" in binding.panel.source_label.text()
    tree = binding.state().to_tree()
    assert tree["mask"] == "causal prefix=5"
    masks.set_state(MaskState())
    binding.apply_state(AttentionState.from_tree(tree))
    assert masks.state() == MaskState(prefix=5)


def test_a_topk_mask_keeps_k_keys_per_query(demo_window, qtbot):
    binding = demo_window.bindings["attention"]
    masks = binding.panel.masks
    masks.top_k.setValue(3)
    with qtbot.waitSignal(demo_window.runner.jobFinished, timeout=60_000):
        assert binding.apply_mask()
    trace = demo_window.document.current_trace.trace
    assert trace.meta["mask"] == "causal topk=3"
    kept = np.count_nonzero(trace[hook(2, "pattern")][0] > 0, axis=-1)  # (head, query)
    assert kept.max() <= 3 and np.all(kept[:, 3:] == 3)
    assert not demo_window.bindings["attention"].tools.actions["step"].isEnabled()  # the debugger re-runs fixed masks
