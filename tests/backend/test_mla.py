"""Multi-head latent attention: against transformers' DeepseekV2Attention, its absorbed form, its cache, its preset."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import DeepseekV2Config
from transformers.models.deepseek_v2.modeling_deepseek_v2 import DeepseekV2Attention, DeepseekV2RotaryEmbedding

from lmscope.backend.attention.generate import GenerateSettings, generate
from lmscope.backend.capture import capture
from lmscope.backend.errors import ConfigError
from lmscope.backend.models.config import PRESETS, TinyGPTConfig
from lmscope.backend.models.layers import rope_angles
from lmscope.backend.models.mla import LatentAttention
from lmscope.backend.models.tinygpt import KVCache, TinyGPT
from lmscope.backend.models.tokenizer import CharTokenizer
from lmscope.backend.training.loop import TrainProgress, TrainSettings, train

H, D_H, D_R, D_C, D_MODEL = 4, 8, 4, 16, 32


def mla_config(**changes) -> TinyGPTConfig:
    cfg = TinyGPTConfig(vocab_size=40, n_ctx=32, d_model=D_MODEL, n_layer=2, n_head=H, n_kv_head=H, d_mlp=64,
                        pos="rope", norm="rmsnorm", norm_eps=1e-6, attention="mla", kv_lora_rank=D_C,
                        rope_head_dim=D_R)
    return cfg.replace(**changes)


def randomised(module: torch.nn.Module, seed: int) -> torch.nn.Module:
    """Every parameter drawn at a scale where softmax is far from uniform (so a wrong score would show)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.4 + (1.0 if p.dim() == 1 else 0.0))
    return module


@pytest.mark.parametrize("q_lora_rank", [0, 12])
def test_mla_equals_transformers_deepseek_v2_attention(q_lora_rank):
    hf_cfg = DeepseekV2Config(hidden_size=D_MODEL, num_attention_heads=H, num_key_value_heads=H,
                              q_lora_rank=q_lora_rank or None, kv_lora_rank=D_C, qk_rope_head_dim=D_R,
                              qk_nope_head_dim=D_H, v_head_dim=D_H, attention_bias=False,
                              rope_parameters={"rope_type": "default", "rope_theta": 10000.0})
    hf_cfg._attn_implementation = "eager"
    theirs = randomised(DeepseekV2Attention(hf_cfg, 0), 1).eval()
    ours = LatentAttention(mla_config(q_lora_rank=q_lora_rank)).eval()
    with torch.no_grad():
        q_weight = (theirs.q_b_proj if q_lora_rank else theirs.q_proj).weight.view(H, D_H + D_R, -1)
        ours.W_UQ.weight.copy_(q_weight[:, :D_H].reshape(H * D_H, -1))
        ours.W_QR.weight.copy_(q_weight[:, D_H:].reshape(H * D_R, -1))
        if q_lora_rank:
            ours.W_DQ.weight.copy_(theirs.q_a_proj.weight)
            ours.q_norm.weight.copy_(theirs.q_a_layernorm.weight)
        ours.W_DKV.weight.copy_(theirs.kv_a_proj_with_mqa.weight[:D_C])
        ours.W_KR.weight.copy_(theirs.kv_a_proj_with_mqa.weight[D_C:])
        ours.kv_norm.weight.copy_(theirs.kv_a_layernorm.weight)
        kv_weight = theirs.kv_b_proj.weight.view(H, 2 * D_H, D_C)
        ours.W_UK.weight.copy_(kv_weight[:, :D_H].reshape(H * D_H, D_C))
        ours.W_UV.weight.copy_(kv_weight[:, D_H:].reshape(H * D_H, D_C))
        ours.W_O.weight.copy_(theirs.o_proj.weight)
        ours.W_O.bias.zero_()
    T = 11
    x = torch.randn(2, T, D_MODEL, generator=torch.Generator().manual_seed(3))
    causal = torch.full((T, T), float("-inf")).triu(1)[None, None]
    freqs = DeepseekV2RotaryEmbedding(hf_cfg)(x, torch.arange(T)[None].expand(2, T))
    with torch.no_grad():
        expected, _ = theirs(x, attention_mask=causal, position_embeddings=freqs)
        got = ours(x, None, rope_angles(T, D_R, 10000.0))
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("q_lora_rank, rope_head_dim", [(0, D_R), (12, D_R), (12, 0)])
def test_absorbed_form_gives_the_same_output(q_lora_rank, rope_head_dim):
    cfg = mla_config(q_lora_rank=q_lora_rank, rope_head_dim=rope_head_dim, pos="rope" if rope_head_dim else "none")
    attn = randomised(LatentAttention(cfg), 5).double().eval()
    x = torch.randn(2, 13, D_MODEL, dtype=torch.float64, generator=torch.Generator().manual_seed(6))
    rope = rope_angles(13, D_R, 10000.0, dtype=torch.float64) if rope_head_dim else None
    with torch.no_grad():
        plain, absorbed = attn(x, None, rope), attn.absorbed(x, rope)
    torch.testing.assert_close(absorbed, plain, rtol=1e-10, atol=1e-10)
    q_query, w_out = attn.absorbed_weights()
    assert q_query.shape == (H, D_C, q_lora_rank or D_MODEL) and w_out.shape == (H, D_MODEL, D_C)


def test_capture_hooks_and_scores():
    torch.manual_seed(0)
    model = TinyGPT(mla_config()).eval()
    trace = capture(model, list(range(10)))
    assert trace["blocks.0.attn.hook_kv_latent"].shape == (1, 10, D_C)
    assert trace["blocks.0.attn.hook_k_rope"].shape == (1, 10, D_R)
    assert trace["blocks.1.attn.hook_q"].shape == (1, 10, H, D_H + D_R)
    assert trace["blocks.1.attn.hook_k"].shape == (1, 10, H, D_H + D_R)
    assert trace["blocks.1.attn.hook_v"].shape == (1, 10, H, D_H)
    assert trace["blocks.1.attn.hook_pattern"].shape == (1, H, 10, 10)
    q, k = trace["blocks.0.attn.hook_rot_q"][0], trace["blocks.0.attn.hook_rot_k"][0]
    scores = trace["blocks.0.attn.hook_attn_scores"][0]
    tril = np.tril_indices(10)
    for h in range(H):
        expected = q[:, h].astype(np.float64) @ k[:, h].T.astype(np.float64) / np.sqrt(D_H + D_R)
        np.testing.assert_allclose(scores[h][tril], expected[tril], rtol=1e-4, atol=1e-5)
        # every head's RoPE key part is the one shared k^R
        np.testing.assert_array_equal(k[:, h, D_H:], trace["blocks.0.attn.hook_k_rope"][0])
    np.testing.assert_allclose(trace["blocks.0.attn.hook_pattern"][0].sum(-1), 1.0, rtol=1e-5)


def test_sdpa_and_explicit_paths_agree_and_the_cache_holds_only_the_latent():
    torch.manual_seed(1)
    model = TinyGPT(mla_config(q_lora_rank=12)).eval()
    ids = torch.randint(0, 40, (1, 9))
    with torch.no_grad():
        fast = model(ids)
        model.set_explicit_attention(True)
        slow = model(ids)
        model.set_explicit_attention(False)
        cache = KVCache(2)
        stepped = torch.cat([model(ids[:, :5], cache=cache)] + [model(ids[:, t:t + 1], cache=cache)
                                                                for t in range(5, 9)], dim=1)
    torch.testing.assert_close(fast, slow, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(stepped, fast, rtol=1e-5, atol=1e-5)
    # L·(d_c + d_h^R)·N·4 bytes, where MHA would hold 2·L·H·d_h·N·4
    assert cache.nbytes == 2 * (D_C + D_R) * 9 * 4
    assert cache.length == 9 and cache.layers[0].v is None


def test_generation_runs_with_mla():
    torch.manual_seed(2)
    model = TinyGPT(mla_config()).eval()
    steps = list(generate(model, [1, 2, 3], GenerateSettings(steps=4)))
    assert [s.cache_length for s in steps] == [3, 4, 5, 6]
    assert steps[0].new_keys.shape == (2, 3, H, D_C + D_R)  # the latent rows the cache gained


@pytest.mark.parametrize("changes, words", [
    ({"kv_lora_rank": 0}, "kv_lora_rank"),
    ({"n_kv_head": 2}, "n_kv_head"),
    ({"rope_head_dim": 0}, "rope_head_dim > 0"),
    ({"rope_head_dim": 3}, "even"),
    ({"pos": "learned"}, "needs pos=rope"),
])
def test_impossible_mla_configs_are_one_sentence(changes, words):
    with pytest.raises(ConfigError, match=words):
        mla_config(**changes)
    assert mla_config(pos="learned", rope_head_dim=0).attention_kind == "MLA"


@pytest.fixture
def one_thread():
    """Training is ~20× slower when torch's threads fight other processes for two cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_mla_preset_trains_on_the_demo_corpus(one_thread):
    from lmscope.backend.demo import demo_corpus

    text = demo_corpus()
    tok = CharTokenizer.train(text)
    cfg = PRESETS["mla"]
    assert cfg.attention == "mla" and "MLA" in cfg.summary()
    settings = TrainSettings(steps=40, batch_size=8, seq_len=32, lr=1e-2, warmup=5, snapshot_every=40, seed=0)
    losses = [e.loss for e in train(cfg, tok, text, settings) if isinstance(e, TrainProgress)]
    assert len(losses) == 40
    assert np.mean(losses[-5:]) < np.mean(losses[:5]) - 1.0, losses
