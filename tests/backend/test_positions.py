"""Positional encodings: the sinusoidal closed forms, RoPE against transformers' rotate_half, the relative-position
property on captured q/k (the model's own rotation and ours), learned tables, and the pairing each model uses."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig
from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding, apply_rotary_pos_emb

from lmscope.backend.attention.positions import (
    PositionsComputed, head_rope, learned_positions, positions_job, rope_angle_table, rope_pairing, rotate,
    shifted_scores, similarity, sinusoid_dot_by_offset, sinusoidal_table,
)
from lmscope.backend.capture import capture
from lmscope.backend.demo import load_demo
from lmscope.backend.models import layers
from lmscope.backend.models.config import TinyGPTConfig
from lmscope.backend.models.tinygpt import TinyGPT


def rope_model(**changes) -> TinyGPT:
    torch.manual_seed(0)
    cfg = TinyGPTConfig(vocab_size=40, n_ctx=64, d_model=32, n_layer=2, n_head=4, n_kv_head=2, d_mlp=64, pos="rope")
    return TinyGPT(cfg.replace(**changes)).eval()


def test_sinusoidal_table_is_the_models_and_its_dot_product_depends_on_the_offset_only():
    table = sinusoidal_table(50, 16)
    np.testing.assert_allclose(table, layers.sinusoidal_table(50, 16).numpy(), atol=1e-7)
    assert table[7, 4] == pytest.approx(np.sin(7 / 10000 ** (4 / 16)))
    assert table[7, 5] == pytest.approx(np.cos(7 / 10000 ** (4 / 16)))
    omega = 10000.0 ** (-np.arange(0, 16, 2) / 16)
    for reference in (0, 17):
        offsets, dots = sinusoid_dot_by_offset(table, reference)
        # sin a sin b + cos a cos b = cos(a − b): Σᵢ cos(k·ωᵢ), the same from every starting position
        np.testing.assert_allclose(dots, np.cos(offsets[:, None] * omega).sum(-1), atol=1e-12)
    assert dots[0] == pytest.approx(8.0)  # d/2 pairs of sin² + cos²


def test_our_interleaved_rope_is_transformers_rotate_half_on_permuted_dimensions():
    d, T = 16, 9
    x = np.random.default_rng(0).normal(size=(T, d))
    ours = rotate(x, np.arange(T))
    config = LlamaConfig(hidden_size=4 * d, num_attention_heads=4, head_dim=d)
    cos, sin = LlamaRotaryEmbedding(config)(torch.zeros(1), torch.arange(T)[None])
    perm = np.concatenate([np.arange(0, d, 2), np.arange(1, d, 2)])  # (2i, 2i+1) → (i, i + d/2)
    permuted = torch.tensor(x[:, perm], dtype=torch.float32)[None, None]  # (batch, head, pos, d)
    theirs, _ = apply_rotary_pos_emb(permuted, permuted, cos, sin)
    np.testing.assert_allclose(ours[:, perm], theirs[0, 0].numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(rotate(x[:, perm], np.arange(T), pairing="rotate_half"), ours[:, perm], atol=1e-12)
    angles = rope_angle_table(T, d)
    assert angles.shape == (T, d // 2) and angles[3, 1] == pytest.approx(3 * 10000 ** (-2 / d))


def test_rotate_reproduces_the_models_captured_rotation():
    trace = capture(rope_model(), list(range(12)))
    for name in ("q", "k"):
        raw = trace[f"blocks.1.attn.hook_{name}"][0]  # (pos, head, d)
        np.testing.assert_allclose(rotate(raw, np.arange(12)[:, None]), trace[f"blocks.1.attn.hook_rot_{name}"][0],
                                   rtol=1e-4, atol=1e-5)


def test_the_models_own_scores_stay_when_both_positions_shift():
    # Layer 0 of a RoPE model has no absolute positions: q and k of a token are the same wherever it stands, so the
    # captured scores of tokens at (m + s, n + s) equal those at (m, n).
    model = rope_model()
    ids = [5, 9, 2, 30, 17, 8, 11]
    plain = capture(model, ids, "blocks.0.attn.hook_attn_scores")["blocks.0.attn.hook_attn_scores"][0]
    for s in (1, 6, 40):
        moved = capture(model, [1] * s + ids, "blocks.0.attn.hook_attn_scores")["blocks.0.attn.hook_attn_scores"][0]
        tril = np.tril_indices(len(ids))
        np.testing.assert_allclose(moved[:, s:, s:][:, tril[0], tril[1]], plain[:, tril[0], tril[1]],
                                   rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("changes", [{}, {"attention": "mla", "n_kv_head": 4, "kv_lora_rank": 16,
                                          "rope_head_dim": 4}])
def test_relative_property_on_a_captured_head(changes):
    trace = capture(rope_model(**changes), list(range(20)))
    demo = head_rope(trace, layer=1, head=3, m=4, n=9, n_shifts=50)
    assert demo.rope_dim == (4 if changes else 8) and demo.uses_rope
    assert demo.max_deviation < 1e-10 * max(1.0, np.abs(demo.both).max())
    assert np.ptp(demo.key_only) > 1e-3  # moving only the key changes n − m, and the score with it
    # at s = 0 both equal the model's own captured score of that pair (times √d, unscaled)
    rot_q, rot_k = trace["blocks.1.attn.hook_rot_q"][0, 4, 3], trace["blocks.1.attn.hook_rot_k"][0, 9]
    kv = 3 // (4 // rot_k.shape[0])
    if not changes:
        assert demo.both[0] == pytest.approx(float(rot_q @ rot_k[kv]), rel=1e-4)
    else:  # MLA: the RoPE part is the last d_h^R dims of q and of the shared key
        assert demo.both[0] == pytest.approx(float(rot_q[-4:] @ rot_k[kv][-4:]), rel=1e-4)


def test_shifted_scores_by_hand():
    q, k = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    both, key_only = shifted_scores(q, k, 0, 1, np.arange(3))
    # RoPE(q, s)·RoPE(k, 1 + s) = q·R(1)k = −sin(1) for d = 2 (θ₀ = 1)
    np.testing.assert_allclose(both, -np.sin(1.0) * np.ones(3), atol=1e-15)
    np.testing.assert_allclose(key_only, -np.sin(1.0 + np.arange(3)), atol=1e-15)


def test_learned_positions_and_their_similarity():
    demo = load_demo()
    table = learned_positions(demo.model)
    assert table.shape == (512, 128)  # the demo's context × d_model
    np.testing.assert_array_equal(table, demo.model.pos_embed.weight.detach().double().numpy())
    sim = similarity(table)
    np.testing.assert_allclose(np.diag(sim), 1.0, atol=1e-12)
    np.testing.assert_allclose(sim, sim.T, atol=1e-12)
    i, j = 3, 70
    assert sim[i, j] == pytest.approx(table[i] @ table[j] / np.linalg.norm(table[i]) / np.linalg.norm(table[j]))
    gpt2 = GPT2LMHeadModel(GPT2Config(n_layer=1, n_head=2, n_embd=16, n_positions=24, vocab_size=50))
    np.testing.assert_array_equal(learned_positions(gpt2), gpt2.transformer.wpe.weight.detach().double().numpy())
    assert learned_positions(rope_model()) is None


def test_which_pairing_each_model_uses():
    assert rope_pairing(TinyGPTConfig(pos="rope").to_dict())[0] == "interleaved"
    assert rope_pairing(TinyGPTConfig(pos="learned").to_dict())[0] == "none"
    mla = TinyGPTConfig(pos="rope", attention="mla", kv_lora_rank=8, rope_head_dim=4).to_dict()
    assert "decoupled" in rope_pairing(mla)[1]
    assert rope_pairing(LlamaConfig().to_dict())[0] == "rotate_half"
    assert rope_pairing(GPT2Config().to_dict())[0] == "none"
    assert rope_pairing({"model_type": "deepseek_v2"})[0] == "interleaved"  # the complex view, as the MLA test uses
    assert rope_pairing({"model_type": "mystery"})[0] == "unknown"


def test_positions_job_on_a_capture():
    model = rope_model()
    trace = capture(model, list(range(15)))
    events = list(positions_job(trace, model, 1, 2, 3, 8, n_pos=40))
    (done,) = [e for e in events if isinstance(e, PositionsComputed)]
    assert done.sinusoidal.shape == (40, 32) and done.rope_angles.shape == (40, 4)
    assert done.pairing == "interleaved" and done.head.m == 3 and done.learned_similarity is None
    nothing = [e for e in positions_job(None, None, 0, 0, 0, 0) if isinstance(e, PositionsComputed)][0]
    assert nothing.head is None and nothing.pairing == "unknown"


def test_a_hugging_face_llama_head_in_its_own_pairing(tmp_path):
    from lmscope.backend.models.checkpoint import load_model
    from lmscope.backend.models.hf_tiny import make_tiny_checkpoint

    make_tiny_checkpoint(tmp_path / "llama", "llama")
    loaded = load_model(tmp_path / "llama", "cpu")
    trace = capture(loaded.model, loaded.tokenizer.encode("The model predicts the next token"))
    assert rope_pairing(trace.model_config)[0] == "rotate_half"
    # the captured rotation is transformers' own: our rotate_half of the captured q reproduces it
    q = trace["blocks.0.attn.hook_q"][0]
    np.testing.assert_allclose(rotate(q, np.arange(q.shape[0])[:, None], trace.model_config["rope_base"],
                                      "rotate_half"), trace["blocks.0.attn.hook_rot_q"][0], rtol=1e-4, atol=1e-5)
    demo = head_rope(trace, 0, 1, 2, 5)
    assert demo.uses_rope and demo.max_deviation < 1e-10 * max(1.0, np.abs(demo.both).max())
    events = [e for e in positions_job(trace, loaded.model, 0, 1, 2, 5) if isinstance(e, PositionsComputed)]
    assert events[0].learned_similarity is None and events[0].pairing == "rotate_half"


@pytest.mark.parametrize("rope_base", [0, None, float("nan")])
def test_a_model_without_rope_gets_the_textbook_angles(rope_base):
    """GPT-2 has no RoPE (its config says rope_base 0 or nothing): the view shows base 10,000, not 0^−x = ∞."""
    model = rope_model()
    trace = capture(model, list(range(6)))
    trace.model_config = {**trace.model_config, "rope_base": rope_base}
    (done,) = [e for e in positions_job(trace, model, 0, 0, 1, 2, n_pos=16) if isinstance(e, PositionsComputed)]
    assert np.isfinite(done.rope_angles).all()
    d = done.rope_angles.shape[1] * 2
    np.testing.assert_allclose(done.rope_angles, rope_angle_table(16, d, 10000.0))
