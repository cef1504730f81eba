"""TinyGPT's pieces against independent formulas (CONCEPTS.md), and the two attention paths against each other."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lmscope.backend.errors import ConfigError
from lmscope.backend.models.config import PRESETS, TinyGPTConfig
from lmscope.backend.models.layers import LayerNorm, RMSNorm, apply_rope, rope_angles, sinusoidal_table
from lmscope.backend.models.recorder import Recorder
from lmscope.backend.models.tinygpt import TinyGPT


def test_layernorm_matches_formula_with_biased_variance():
    torch.manual_seed(0)
    ln = LayerNorm(16, eps=1e-5)
    with torch.no_grad():
        ln.weight.uniform_(0.5, 1.5)
        ln.bias.uniform_(-1, 1)
    x = torch.randn(3, 5, 16, dtype=torch.float64).float() * 3 + 2
    xd = x.double().numpy()
    mean = xd.mean(-1, keepdims=True)
    var = ((xd - mean) ** 2).mean(-1, keepdims=True)  # biased: divide by n
    expected = (xd - mean) / np.sqrt(var + 1e-5) * ln.weight.detach().double().numpy() + ln.bias.detach().double().numpy()
    np.testing.assert_allclose(ln(x).detach().numpy(), expected, rtol=1e-5, atol=1e-5)
    # torch's own LayerNorm agrees (it also uses the biased variance)
    ref = F.layer_norm(x, (16,), ln.weight, ln.bias, 1e-5)
    torch.testing.assert_close(ln(x), ref, rtol=1e-5, atol=1e-5)


def test_rmsnorm_matches_formula_and_does_not_centre():
    torch.manual_seed(1)
    rms = RMSNorm(8, eps=1e-6)
    with torch.no_grad():
        rms.weight.uniform_(0.5, 1.5)
    x = torch.randn(4, 8) + 5.0
    xd = x.double().numpy()
    expected = xd / np.sqrt((xd ** 2).mean(-1, keepdims=True) + 1e-6) * rms.weight.detach().double().numpy()
    np.testing.assert_allclose(rms(x).detach().numpy(), expected, rtol=1e-5)
    rec = Recorder()
    rms(x, rec, "ln.")
    normalized = rec.tensors["ln.hook_normalized"]
    assert normalized.mean().item() > 0.5  # not centred: the +5 offset survives
    np.testing.assert_allclose(normalized.pow(2).mean(-1).numpy(), 1.0, rtol=1e-4)


def test_sinusoidal_table_matches_formula():
    table = sinusoidal_table(50, 16).numpy()
    for pos in (0, 1, 7, 49):
        for i in range(8):
            angle = pos / 10000 ** (2 * i / 16)
            assert table[pos, 2 * i] == pytest.approx(math.sin(angle), abs=1e-6)
            assert table[pos, 2 * i + 1] == pytest.approx(math.cos(angle), abs=1e-6)


def test_rope_dot_product_depends_only_on_offset():
    torch.manual_seed(2)
    d = 16
    q = torch.randn(d, dtype=torch.float64)
    k = torch.randn(d, dtype=torch.float64)
    cos, sin = rope_angles(64, d, 10000.0, dtype=torch.float64)

    def rotated(vec: torch.Tensor, pos: int) -> torch.Tensor:
        return apply_rope(vec.view(1, 1, 1, d), cos[pos:pos + 1], sin[pos:pos + 1]).view(d)

    for offset in (0, 1, 5, 17):
        dots = [float(rotated(q, m) @ rotated(k, m + offset)) for m in (0, 3, 20, 40)]
        assert max(dots) - min(dots) < 1e-9, (offset, dots)
    # …and RoPE really rotates: different offsets give different products
    assert abs(float(rotated(q, 0) @ rotated(k, 1)) - float(rotated(q, 0) @ rotated(k, 9))) > 1e-3
    # rotation keeps the norm
    assert float(rotated(q, 13).norm()) == pytest.approx(float(q.norm()), rel=1e-12)


def test_rope_pairs_neighbouring_dimensions():
    d = 4
    cos, sin = rope_angles(2, d, 10000.0)
    x = torch.tensor([1.0, 0.0, 0.0, 0.0]).view(1, 1, 1, d)
    out = apply_rope(x, cos[1:2], sin[1:2]).view(d)
    # dimension 0 rotates into dimension 1 (its neighbour) by angle 1·θ₀ = 1 rad, not into dimension 2
    assert out[0].item() == pytest.approx(math.cos(1.0), abs=1e-6)
    assert out[1].item() == pytest.approx(math.sin(1.0), abs=1e-6)
    assert out[2].item() == 0.0


def test_swiglu_matches_formula():
    cfg = TinyGPTConfig(vocab_size=10, d_model=8, n_head=2, n_kv_head=2, d_mlp=12, act="swiglu", n_layer=1)
    torch.manual_seed(3)
    mlp = TinyGPT(cfg).blocks[0].ffn
    x = torch.randn(2, 3, 8)
    W, V, W2 = mlp.W_gate, mlp.W_in, mlp.W_out
    a = x @ W.weight.T + W.bias
    expected = ((a * torch.sigmoid(a)) * (x @ V.weight.T + V.bias)) @ W2.weight.T + W2.bias
    torch.testing.assert_close(mlp(x), expected, rtol=1e-5, atol=1e-6)


def _model(**changes) -> TinyGPT:
    cfg = TinyGPTConfig(vocab_size=50, n_ctx=32, d_model=32, n_layer=2, n_head=4, n_kv_head=4, d_mlp=64)
    torch.manual_seed(4)
    return TinyGPT(cfg.replace(**changes)).eval()


@pytest.mark.parametrize("changes", [
    {}, {"n_kv_head": 2}, {"n_kv_head": 1}, {"pos": "rope"}, {"pos": "sinusoidal"}, {"pos": "none"},
    {"norm": "rmsnorm", "norm_placement": "post"}, {"act": "swiglu"}, {"act": "relu"},
    {"ffn": "moe", "n_experts": 4, "top_k": 2, "n_shared": 1, "noisy_gating": True, "capacity_factor": 1.0},
])
def test_explicit_attention_equals_sdpa(changes):
    model = _model(**changes)
    tokens = torch.randint(0, 50, (2, 20), generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        fast = model(tokens)
        model.set_explicit_attention(True)
        slow = model(tokens)
    torch.testing.assert_close(fast, slow, rtol=1e-4, atol=1e-5)


def test_mha_output_equals_sdpa_formula_per_head():
    model = _model()
    attn = model.blocks[0].attn
    x = torch.randn(1, 6, 32)
    rec = Recorder()
    with torch.no_grad():
        out = attn(x, None, None, rec, "")
    q, k, v = rec.tensors["hook_q"], rec.tensors["hook_k"], rec.tensors["hook_v"]
    heads = []
    for h in range(4):
        scores = q[0, :, h] @ k[0, :, h].T / math.sqrt(8)
        scores = scores.masked_fill(torch.ones(6, 6, dtype=torch.bool).triu(1), float("-inf"))
        heads.append(torch.softmax(scores, -1) @ v[0, :, h])
    expected = attn.W_O(torch.cat(heads, dim=-1))
    torch.testing.assert_close(out[0], expected, rtol=1e-5, atol=1e-6)


def test_gqa_with_as_many_kv_heads_as_query_heads_is_mha():
    mha = _model()
    gqa_cfg = mha.cfg.replace(n_kv_head=mha.cfg.n_head)
    gqa = TinyGPT(gqa_cfg).eval()
    gqa.load_state_dict(mha.state_dict())
    tokens = torch.randint(0, 50, (1, 12))
    torch.testing.assert_close(gqa(tokens), mha(tokens))


def test_gqa_query_heads_share_kv_heads_in_groups():
    model = _model(n_kv_head=2)
    rec = Recorder("blocks.0.attn.*")
    with torch.no_grad():
        model(torch.randint(0, 50, (1, 10)), rec=rec)
    q = rec.tensors["blocks.0.attn.hook_q"][0]
    k = rec.tensors["blocks.0.attn.hook_k"][0]
    scores = rec.tensors["blocks.0.attn.hook_attn_scores"][0]
    assert k.shape == (10, 2, 8)
    for h, kv in [(0, 0), (1, 0), (2, 1), (3, 1)]:
        expected = (q[:, h] @ k[:, kv].T) / math.sqrt(8)
        torch.testing.assert_close(scores[h].tril(), expected.tril())


def test_pattern_rows_sum_to_one_and_causal_cells_are_zero():
    model = _model()
    rec = Recorder("*hook_pattern")
    with torch.no_grad():
        model(torch.randint(0, 50, (1, 9)), rec=rec)
    pattern = rec.tensors["blocks.1.attn.hook_pattern"][0]
    torch.testing.assert_close(pattern.sum(-1), torch.ones(4, 9))
    assert (pattern.triu(1) == 0).all()


def test_config_json_round_trip_and_validation():
    for cfg in PRESETS.values():
        assert TinyGPTConfig.from_json(cfg.to_json()) == cfg
    with pytest.raises(ConfigError, match="n_head"):
        TinyGPTConfig(d_model=30, n_head=4)
    with pytest.raises(ConfigError, match="n_kv_head"):
        TinyGPTConfig(n_head=4, n_kv_head=3)
    with pytest.raises(ConfigError, match="norm"):
        TinyGPTConfig(norm="batchnorm")
    with pytest.raises(ConfigError, match="Unknown"):
        TinyGPTConfig.from_json('{"d_model": 64, "bogus": 1}')
    assert TinyGPTConfig(n_head=4, n_kv_head=1).attention_kind == "MQA"
    assert TinyGPTConfig(n_head=4, n_kv_head=2).attention_kind == "GQA"


def test_post_norm_has_no_final_norm_and_normalises_the_residual():
    model = _model(norm_placement="post")
    assert model.ln_final is None
    rec = Recorder()
    with torch.no_grad():
        model(torch.randint(0, 50, (1, 7)), rec=rec)
    assert "ln_final.hook_normalized" not in rec.tensors
    # post-norm: the residual leaving a block is a LayerNorm output (mean ≈ β, here 0 at init)
    resid = rec.tensors["blocks.0.hook_resid_post"]
    assert resid.mean(-1).abs().max().item() < 1e-5
