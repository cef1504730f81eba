"""float16 means float16: a float16 session stores every float tensor, patterns and scores included, at half size,
within float16's documented precision (docs/session-format.md), with masked cells still exactly 0 and −∞."""
from __future__ import annotations

import json

import h5py
import numpy as np
import torch

from lmscope.backend.capture import capture
from lmscope.backend.models.config import TinyGPTConfig
from lmscope.backend.models.tinygpt import TinyGPT
from lmscope.sessions import SavedTrace, Session, open_session, save_session


def test_float16_session_stores_patterns_as_float16(tmp_path):
    torch.manual_seed(0)
    model = TinyGPT(TinyGPTConfig(vocab_size=50, n_ctx=64, d_model=32, n_layer=2, n_head=4, n_kv_head=2,
                                  d_mlp=64)).eval()
    trace = capture(model, torch.arange(40) % 50, store_patterns=True)
    half, full = tmp_path / "half.h5", tmp_path / "full.h5"
    save_session(Session(traces=[SavedTrace(trace)], current_trace=0), half, float16=True)
    save_session(Session(traces=[SavedTrace(trace)], current_trace=0), full)
    with h5py.File(half, "r") as f:
        tensors = f["traces/0/tensors"]
        floats = [n for n in tensors if tensors[n].attrs.get("stored-dtype") is not None]
        assert {tensors[n].dtype for n in floats} == {np.dtype(np.float16)}
        aliases = set(json.loads(f["traces/0/derived"][()].decode()))  # resid_post = the next resid_pre, not stored
        assert {n for n in trace if trace[n].dtype == np.float32} == set(floats) | aliases  # every float tensor
        assert "blocks.1.attn.hook_pattern" in floats and "blocks.1.attn.hook_attn_scores" in floats
    assert half.stat().st_size < 0.6 * full.stat().st_size
    session = open_session(half)
    try:
        read = session.traces[0].trace
        pattern, stored = read["blocks.1.attn.hook_pattern"], trace["blocks.1.attn.hook_pattern"]
        assert pattern.dtype == np.float32  # returned as captured, with float16's precision
        normal = stored >= 6.2e-5  # float16's normal range: relative error ≤ 2⁻¹¹
        assert np.all(np.abs(pattern - stored)[normal] <= 2 ** -11 * stored[normal])
        assert np.all(np.abs(pattern - stored)[~normal] <= 6e-8)  # subnormals: absolute precision
        assert np.all(pattern[stored == 0] == 0)  # masked cells stay exactly 0
        np.testing.assert_allclose(pattern.sum(-1), 1, atol=5e-4)
        scores = read["blocks.1.attn.hook_attn_scores"]
        assert np.array_equal(np.isneginf(scores), np.isneginf(trace["blocks.1.attn.hook_attn_scores"]))
    finally:
        session.close()
