"""Histogram sites in the model's own words: an RMSNorm model's norm sites say RMSNorm, a mixture-of-experts model's
MLP sites say why they are empty, and each expert's activations are captured — checked against the expert's
weights applied by hand to the tokens the router sent it."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from lmscope.backend.capture import capture
from lmscope.backend.demo import DEFAULT_PROMPT
from lmscope.backend.models.checkpoint import load_model
from lmscope.backend.models.config import TinyGPTConfig
from lmscope.backend.models.tinygpt import TinyGPT
from lmscope.backend.moe.demo import NAME
from lmscope.backend.stats import model_sites, site_hook, site_hook_names, trace_histograms


def test_rmsnorm_model_sites_say_rmsnorm_and_are_captured():
    torch.manual_seed(0)
    model = TinyGPT(TinyGPTConfig(vocab_size=32, n_layer=2, d_model=16, n_head=2, n_kv_head=2, d_mlp=32,
                                  norm="rmsnorm"))
    trace = capture(model, [1, 2, 3, 4, 5])
    labels, notes = model_sites(trace.model_config)
    assert labels["ln1"] == "RMSNorm 1 normalized" and labels["ln2"] == "RMSNorm 2 normalized"
    assert not any("LN" in label for label in labels.values()) and notes == {}
    histograms = trace_histograms(trace.tensors, trace.n_layer)
    assert site_hook("ln1", 1) in histograms and site_hook("mlp_post", 1) in histograms
    x = trace.tensors[site_hook("resid_pre", 0)].astype(np.float64)  # RMSNorm: no centring (1910.07467)
    rms = np.sqrt((x ** 2).mean(-1, keepdims=True) + model.cfg.norm_eps)
    np.testing.assert_allclose(trace.tensors[site_hook("ln1", 0)], x / rms, rtol=1e-5, atol=1e-6)
    layer_labels, _ = model_sites(TinyGPTConfig().to_dict())
    assert layer_labels["ln1"] == "LayerNorm 1 normalized"


def test_hf_moe_names_say_the_ffn_is_per_expert_without_offering_expert_sites():
    labels, notes = model_sites({"kind": "hf", "norm": "rmsnorm", "ffn": "moe", "n_experts": 8, "n_shared": 1})
    assert labels["ln2"] == "RMSNorm 2 normalized"
    assert "per expert" in labels["mlp_post"] and "Hugging Face" in notes["mlp_post"]
    assert not any(key.startswith("expert") for key in labels)


def test_demo_moe_offers_each_experts_activations_and_they_are_right():
    loaded = load_model(NAME)
    model, cfg = loaded.model, loaded.model.cfg
    ids = loaded.tokenizer.encode(DEFAULT_PROMPT)
    trace = capture(model, ids)
    labels, notes = model_sites(trace.model_config)
    assert "per expert" in labels["mlp_pre"] and "mixture of experts" in notes["mlp_pre"]
    assert labels["expert3_post"] == "expert 3 post-activation"
    assert labels["shared0_pre"] == "shared expert 0 pre-activation"
    assert site_hook("mlp_post", 0) not in trace.tensors  # the empty site really is empty

    histograms = trace_histograms(trace.tensors, trace.n_layer)
    layer = 1
    block = model.blocks[layer]
    ln2 = block.ln2
    x = torch.as_tensor(trace.tensors[site_hook("ln2", layer)][0])  # normalized, before the affine part
    x = (x * ln2.weight + (ln2.bias if getattr(ln2, "bias", None) is not None else 0)).detach()
    chosen = trace.tensors[f"blocks.{layer}.moe.hook_topk_indices"][0]
    dropped = trace.tensors[f"blocks.{layer}.moe.hook_dropped"][0]
    seen = 0
    for e in range(cfg.n_experts):
        tokens = np.nonzero(((chosen == e) & ~dropped).any(-1))[0]
        hook = site_hook(f"expert{e}_post", layer)
        if tokens.size == 0:
            assert hook not in trace.tensors
            continue
        expert = block.ffn.experts[e]
        pre = F.linear(x[tokens], expert.W_in.weight, expert.W_in.bias)
        post = F.gelu(pre) if cfg.act == "gelu" else F.relu(pre)
        got_pre = trace.tensors[site_hook(f"expert{e}_pre", layer)]
        assert got_pre.shape == (tokens.size, cfg.d_mlp)
        np.testing.assert_allclose(got_pre, pre.detach().numpy(), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(trace.tensors[hook], post.detach().numpy(), rtol=1e-4, atol=1e-5)
        assert histograms[hook].n == tokens.size * cfg.d_mlp
        seen += 1
    assert seen >= 2
    shared = trace.tensors[site_hook("shared0_post", layer)]
    assert shared.shape == (len(ids), cfg.d_mlp)  # a shared expert sees every token
    assert set(site_hook_names(cfg.n_layer, cfg.n_experts, cfg.n_shared)) >= {
        site_hook(f"expert{e}_{w}", layer) for e in range(cfg.n_experts) for w in ("pre", "post")}
