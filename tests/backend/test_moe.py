"""The MoE router against CONCEPTS.md: balance loss, z-loss, capacity and dropped tokens."""
from __future__ import annotations

import math

import pytest
import torch

from lmscope.backend.models.config import TinyGPTConfig
from lmscope.backend.models.moe import MoE, expert_capacity, router_z_loss, switch_balance_loss
from lmscope.backend.models.recorder import Recorder


def test_switch_balance_loss_is_one_when_routing_is_uniform():
    n_experts, tokens = 4, 8
    probs = torch.full((tokens, n_experts), 1 / n_experts)
    top1 = torch.arange(tokens) % n_experts
    assert switch_balance_loss(probs, top1, n_experts).item() == pytest.approx(1.0)
    # everything to one expert with all the probability: N·1·1 = N
    probs = torch.zeros(tokens, n_experts)
    probs[:, 0] = 1
    assert switch_balance_loss(probs, torch.zeros(tokens, dtype=torch.long), n_experts).item() == pytest.approx(4.0)


def test_router_z_loss_formula():
    logits = torch.tensor([[0.0, 0.0], [math.log(3.0), 0.0]])
    expected = (math.log(2.0) ** 2 + math.log(4.0) ** 2) / 2
    assert router_z_loss(logits).item() == pytest.approx(expected)


def test_capacity_drops_overflow_in_token_order():
    cfg = TinyGPTConfig(d_model=8, n_head=2, n_kv_head=2, d_mlp=8, ffn="moe", n_experts=2, top_k=1,
                        capacity_factor=1.0)
    assert expert_capacity(6, cfg) == 3
    moe = MoE(cfg).eval()
    with torch.no_grad():
        moe.W_gate.weight.zero_()
        moe.W_gate.weight[0, 0] = 10.0  # feature 0 > 0 sends a token to expert 0
    x = torch.zeros(1, 6, 8)
    x[0, :, 0] = 1.0  # all six tokens want expert 0; capacity is 3
    rec = Recorder()
    with torch.no_grad():
        out = moe(x, rec, "moe.")
    dropped = rec.tensors["moe.hook_dropped"][0, :, 0]
    assert dropped.tolist() == [False, False, False, True, True, True]
    # a dropped token gets no expert output: it passes through the residual unchanged
    assert torch.all(out[0, 3:] == 0)
    assert torch.any(out[0, :3] != 0)
