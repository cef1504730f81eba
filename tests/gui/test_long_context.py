"""Long contexts in the window: at 1,024 tokens the model view fills head by head from the worker (the first
thumbnails are drawn while the last head is still to be computed), every drawn head can be opened while it fills,
and what it finally shows equals the thumbnails of the model's own patterns."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import torch

from lmscope.backend.attention import heads as heads_module
from lmscope.backend.attention.heads import head_summary, thumbnails
from lmscope.backend.attention.patterns import hook, pattern_source
from lmscope.backend.capture import capture
from lmscope.backend.models.config import TinyGPTConfig
from lmscope.backend.models.tinygpt import TinyGPT
from lmscope.gui.document import TraceEntry
from lmscope.gui.panels.attention import MODEL_VIEW_SYNC_CELLS, SYNC_POSITIONS


def long_traces(n_pos: int):
    torch.manual_seed(0)
    model = TinyGPT(TinyGPTConfig(vocab_size=64, n_ctx=n_pos, d_model=32, n_layer=2, n_head=4, n_kv_head=2,
                                  d_mlp=64, pos="rope")).eval()
    ids = torch.randint(0, 64, (n_pos,), generator=torch.Generator().manual_seed(1))
    strings = [f"t{int(i)}" for i in ids]
    lean = capture(model, ids, token_strings=strings, store_patterns=False, label="long")
    full = capture(model, ids, token_strings=strings, store_patterns=True)
    return lean, full


@pytest.fixture(scope="module")
def traces_1024():
    return long_traces(1024)


def drawn(view) -> np.ndarray:
    """(layer, head) True where the model view has drawn a head (its summary value is no longer NaN)."""
    return ~np.isnan(view.summary_values())


def test_model_view_fills_progressively_and_ends_exact(window, qtbot, monkeypatch, traces_1024):
    lean, full = traces_1024
    assert pattern_source(lean) == "recomputed" and 2 * 4 * 1024 ** 2 > MODEL_VIEW_SYNC_CELLS  # the worker's path
    last = (1, 3)
    release, computed = threading.Event(), []
    real = heads_module.head_view

    def gated(trace, layer, head, *args, **kwargs):  # the worker computes heads in order; hold the last one
        if (layer, head) == last:
            assert release.wait(60), "the test never released the last head"
        result = real(trace, layer, head, *args, **kwargs)
        computed.append((layer, head))
        return result

    monkeypatch.setattr(heads_module, "head_view", gated)
    binding = window.bindings["attention"]
    view = binding.panel.model_view
    window.document.add_trace(TraceEntry(lean))
    qtbot.waitUntil(lambda: drawn(view).sum() >= 7, timeout=60_000)
    # The first seven heads are on screen while the eighth has not been computed: they were streamed in.
    assert last not in computed and not drawn(view)[last]
    assert not view.progress_label.isHidden() and "7 of 8 heads" in view.progress_label.text()
    window.document.set_selection(layer=0, head=2, position=700)  # usable while it fills: a drawn head opens
    expected = full[hook(0, "pattern")][0, 2]
    np.testing.assert_allclose(binding.panel.inspector.heatmap.matrix, expected, atol=2e-6)
    release.set()
    qtbot.waitUntil(lambda: drawn(view).all() and not window.runner.busy, timeout=60_000)
    assert view.progress_label.isHidden()
    patterns = np.stack([full[hook(layer, "pattern")][0] for layer in range(2)])
    thumbs = thumbnails(patterns, 48)
    peak = thumbs.max(axis=(2, 3), keepdims=True)
    image = view.grid.image.image
    cell = 48 + round(48 * 0.12)
    for layer in range(2):
        for head in range(4):
            got = image[layer * cell:layer * cell + 48, head * cell:head * cell + 48]
            np.testing.assert_allclose(got, thumbs[layer, head] / peak[layer, head, 0, 0], atol=1e-5)
    entropy = head_summary(patterns)["entropy"]
    view.set_metric("entropy")
    np.testing.assert_allclose(view.summary_values(), entropy, atol=1e-4)


def test_a_long_head_is_computed_first_while_the_view_waits(window, qtbot, monkeypatch):
    """Past SYNC_POSITIONS a clicked head is computed in the worker: the filling view steps aside (cancelled at
    its next head) and resumes with the heads it still lacks, each computed once."""
    lean, full = long_traces(SYNC_POSITIONS + 76)
    real, computed = heads_module.head_view, []

    def slow(trace, layer, head, *args, **kwargs):
        time.sleep(0.25)  # slow enough that the click lands while the view fills
        computed.append((layer, head))
        return real(trace, layer, head, *args, **kwargs)

    monkeypatch.setattr(heads_module, "head_view", slow)
    binding = window.bindings["attention"]
    view, heat = binding.panel.model_view, binding.panel.inspector.heatmap
    window.document.add_trace(TraceEntry(lean))
    qtbot.waitUntil(lambda: drawn(view).sum() >= 2, timeout=60_000)
    window.document.set_selection(layer=1, head=1, position=10)
    expected = full[hook(1, "pattern")][0, 1]
    qtbot.waitUntil(lambda: heat.matrix is not None and heat.matrix.shape == expected.shape
                    and np.allclose(heat.matrix, expected, atol=2e-6), timeout=60_000)
    assert not drawn(view).all()  # the head came first
    qtbot.waitUntil(lambda: drawn(view).all() and not window.runner.busy, timeout=60_000)
    assert sorted(set(computed)) == [(layer, head) for layer in range(2) for head in range(4)]
    assert len(computed) <= 8 + 1  # at most the head in flight when it stepped aside is computed twice
    assert "row sum 1.000000" in binding.panel.inspector.stats.text()
