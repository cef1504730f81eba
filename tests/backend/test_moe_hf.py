"""The router view on real Hugging Face MoE architectures (tiny seeded Mixtral and Qwen2-MoE folders loaded through
lmscope's adapter): every layer's routing read from the capture, and hf_aux equal to transformers' own
``load_balancing_loss_func`` on the same model's router logits from a plain transformers forward."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import AutoModelForCausalLM

from lmscope.backend.capture import capture
from lmscope.backend.models.checkpoint import load_model
from lmscope.backend.models.hf_tiny import make_tiny_checkpoint
from lmscope.backend.moe.routing import trace_routing
from lmscope.backend.moe.stats import layer_stats

TEXT = "The model predicts the next token. 我们一起来学习。"


@pytest.mark.parametrize("family, layers, shared", [("mixtral", [0, 1], 0), ("qwen2_moe", [0, 2], 1)])
def test_hf_moe_capture_matches_transformers(tmp_path, family, layers, shared):
    if family == "mixtral":
        from transformers.models.mixtral.modeling_mixtral import load_balancing_loss_func
    else:
        from transformers.models.qwen2_moe.modeling_qwen2_moe import load_balancing_loss_func
    folder = make_tiny_checkpoint(tmp_path / family, family, seed=3)
    loaded = load_model(folder)
    ids = loaded.tokenizer.encode(TEXT)
    trace = capture(loaded.model, ids, token_strings=loaded.tokenizer.token_strings(ids))
    routing = trace_routing(trace.tensors, trace.model_config, trace.token_strings)
    assert routing.layer_ids == layers and routing.n_experts == 4 and routing.top_k == 2
    assert routing.n_shared == shared
    if shared:
        gate = routing.layers[0].shared_gate
        assert gate.shape == (len(ids), 1) and ((gate > 0) & (gate < 1)).all()  # Qwen2-MoE's sigmoid gate

    reference = AutoModelForCausalLM.from_pretrained(folder, attn_implementation="eager").eval()
    with torch.no_grad():
        out = reference(torch.tensor([ids]), output_router_logits=True)
    theirs = [r for r in out.router_logits if r is not None]
    assert len(theirs) == len(layers)
    for ours, logits in zip(routing.layers, theirs):
        assert ours.router_logits == pytest.approx(logits.float().numpy(), abs=1e-5)
        # top-k as the model chose it: the k largest router probabilities
        chosen = torch.topk(torch.softmax(logits.float(), -1), 2, dim=-1).indices.numpy()
        assert np.array_equal(np.sort(ours.topk_indices, 1), np.sort(chosen, 1))
        stats = layer_stats(ours.router_logits, ours.topk_indices, ours.dropped, ours.layer)
        assert stats.dropped_fraction == 0.0 and stats.load.sum() == pytest.approx(1.0)
    expected = float(load_balancing_loss_func(tuple(theirs), 4, 2))
    assert routing.hf_aux() == pytest.approx(expected, rel=1e-5)
