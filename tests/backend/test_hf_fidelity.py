"""Captures of Hugging Face models against transformers itself, for every supported family.

Each family gets a tiny seeded checkpoint (transformers' own config class + a trained `tokenizers` tokenizer, saved
with save_pretrained). The peer is a separately loaded transformers model in eager attention: its
``output_attentions`` must equal our patterns, its ``output_hidden_states`` our residual stream, its
``output_router_logits`` our router logits, and its logits ours — with and without a capture attached.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from transformers import AutoModel, AutoModelForCausalLM, AutoModelForMaskedLM  # noqa: E402

from lmscope.backend.capture import capture  # noqa: E402
from lmscope.backend.models.checkpoint import load_model  # noqa: E402
from lmscope.backend.models.hf_tiny import FAMILIES, make_tiny_checkpoint  # noqa: E402

TEXT = "The model predicts the next token. 我们一起来学习大语言模型。"
# float32 round-off: both sides run the same eager kernels, so most tensors agree exactly; the recomputed
# normalisations and scores agree to a few ulps.
TOL = dict(rtol=1e-5, atol=1e-6)


_RUNS: dict[str, tuple] = {}


def run_family(family: str, tmp_path_factory) -> tuple:
    """One capture and one peer run per family, shared by every test of this module."""
    if family not in _RUNS:
        _RUNS[family] = _run(family, tmp_path_factory)
    return _RUNS[family]


@pytest.fixture(scope="module", params=FAMILIES)
def family_run(request, tmp_path_factory):
    return run_family(request.param, tmp_path_factory)


@pytest.fixture(scope="module", params=("mixtral", "qwen2_moe"))
def moe_run(request, tmp_path_factory):
    return run_family(request.param, tmp_path_factory)


def _run(family: str, tmp_path_factory) -> tuple:
    folder = make_tiny_checkpoint(tmp_path_factory.mktemp(family), family, seed=3)
    loaded = load_model(folder)
    ids = loaded.tokenizer.encode(TEXT)
    trace = capture(loaded.model, ids, token_strings=loaded.tokenizer.token_strings(ids), text=TEXT)
    auto = AutoModelForMaskedLM if family == "bert" else AutoModelForCausalLM
    peer = auto.from_pretrained(folder, attn_implementation="eager").eval()
    extra = {"output_router_logits": True} if family in ("mixtral", "qwen2_moe") else {}
    with torch.no_grad():
        ref = peer(torch.tensor([ids]), output_attentions=True, output_hidden_states=True, **extra)
    return family, folder, loaded, ids, trace, peer, ref


def t(array: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.asarray(array))


def test_patterns_equal_output_attentions(family_run):
    family, _, loaded, _, trace, _, ref = family_run
    assert len(ref.attentions) == loaded.model.cfg.n_layer
    for layer, attention in enumerate(ref.attentions):
        torch.testing.assert_close(t(trace[f"blocks.{layer}.attn.hook_pattern"]), attention, **TOL)


def test_residual_stream_equals_output_hidden_states(family_run):
    family, _, loaded, _, trace, peer, ref = family_run
    hidden = ref.hidden_states
    n_layer = loaded.model.cfg.n_layer
    assert len(hidden) == n_layer + 1
    for layer in range(n_layer):
        torch.testing.assert_close(t(trace[f"blocks.{layer}.hook_resid_pre"]), hidden[layer], **TOL)
    last = t(trace[f"blocks.{n_layer - 1}.hook_resid_post"])
    if family == "bert":  # post-norm, no final norm: the last hidden state is the last block's output
        torch.testing.assert_close(last, hidden[-1], **TOL)
    else:  # transformers' last entry is after the final norm: our normalised stream times its weight
        final = loaded.model.hf.base_model.get_submodule("ln_f" if family == "gpt2" else "norm")
        normed = t(trace["ln_final.hook_normalized"]) * final.weight.detach()
        if getattr(final, "bias", None) is not None:
            normed = normed + final.bias.detach()
        torch.testing.assert_close(normed, hidden[-1], **TOL)
        torch.testing.assert_close(final(last), hidden[-1], **TOL)


def test_logits_equal_and_capture_changes_nothing(family_run):
    _, _, loaded, ids, trace, _, ref = family_run
    tokens = torch.tensor([ids])
    hooks_before = sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in loaded.model.modules())
    with torch.no_grad():
        plain = loaded.model(tokens)
    torch.testing.assert_close(t(trace["logits"]), plain, rtol=0, atol=0)
    torch.testing.assert_close(plain, ref.logits, rtol=0, atol=0)
    hooks_after = sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in loaded.model.modules())
    assert hooks_after == hooks_before == 0  # the capture's hooks are gone with its forward pass


def test_router_logits_equal_output_router_logits(moe_run):
    family, _, loaded, ids, trace, peer, ref = moe_run
    moe_layers = loaded.model.cfg.moe_layers
    assert moe_layers == ((0, 1) if family == "mixtral" else (0, 2))  # Qwen2-MoE's layer 1 is dense (mlp_only)
    assert len(ref.router_logits) == len(moe_layers)
    k = loaded.model.cfg.top_k
    for layer, router_logits in zip(moe_layers, ref.router_logits):
        ours = t(trace[f"blocks.{layer}.moe.hook_router_logits"])
        assert ours.shape == (1, len(ids), loaded.model.cfg.n_experts)
        torch.testing.assert_close(ours.reshape(-1, ours.shape[-1]), router_logits, **TOL)
        probs = torch.softmax(router_logits.float(), dim=-1)
        top, index = probs.topk(k, dim=-1)
        if family == "mixtral":  # Mixtral renormalises the top-k; this Qwen2-MoE config (norm_topk_prob=False) not
            top = top / top.sum(-1, keepdim=True)
        assert torch.equal(t(trace[f"blocks.{layer}.moe.hook_topk_indices"]).reshape(-1, k), index)
        torch.testing.assert_close(t(trace[f"blocks.{layer}.moe.hook_topk_weights"]).reshape(-1, k), top, **TOL)
    assert "blocks.1.mlp.hook_pre" in trace if family == "qwen2_moe" else True


def test_qwen2_moe_shared_expert_gate(tmp_path_factory):
    family, _, loaded, _, trace, peer, _ = run_family("qwen2_moe", tmp_path_factory)
    gate = peer.model.layers[0].mlp.shared_expert_gate.weight.detach()
    ln2 = peer.model.layers[0].post_attention_layernorm
    x = ln2(t(trace["blocks.0.hook_resid_mid"]))
    torch.testing.assert_close(t(trace["blocks.0.moe.hook_shared_gate"]), torch.sigmoid(x @ gate.T), **TOL)


def test_norms_match_their_formula(family_run):
    """normalized·γ (+β) is what the model's norm put out, and normalized is the textbook formula of its input."""
    family, _, loaded, _, trace, peer, _ = family_run
    block = peer.base_model.get_submodule("encoder.layer" if family == "bert" else
                                          ("h" if family == "gpt2" else "layers"))[0]
    names = {"gpt2": "ln_1", "bert": "attention.output.LayerNorm"}
    norm = block.get_submodule(names.get(family, "input_layernorm"))
    normalized = t(trace["blocks.0.ln1.hook_normalized"])
    if family == "bert":
        x = t(trace["blocks.0.hook_resid_pre"]) + t(trace["blocks.0.hook_attn_out"])
    else:
        x = t(trace["blocks.0.hook_resid_pre"])
    if family in ("gpt2", "bert"):
        expected = (x - x.mean(-1, keepdim=True)) / torch.sqrt(x.var(-1, unbiased=False, keepdim=True) + norm.eps)
        out = normalized * norm.weight.detach() + norm.bias.detach()
    else:
        expected = x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + norm.variance_epsilon)
        out = normalized * norm.weight.detach()
    torch.testing.assert_close(normalized, expected, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(out, norm(x), rtol=1e-5, atol=1e-5)


def rotate_half_rope(x: torch.Tensor, base: float) -> torch.Tensor:
    """Hugging Face's RoPE written out: dimension i pairs with i + d/2, angle pos·base^(−2i/d)."""
    d = x.shape[-1]
    theta = base ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    angle = torch.arange(x.shape[1], dtype=torch.float64)[:, None] * theta[None]
    cos = torch.cat([angle.cos(), angle.cos()], -1).float()[None, :, None, :]
    sin = torch.cat([angle.sin(), angle.sin()], -1).float()[None, :, None, :]
    half = torch.cat([-x[..., d // 2:], x[..., : d // 2]], -1)
    return x * cos + half * sin


def test_attention_maths_from_captured_q_k_v(family_run):
    """Scores from the captured (rotated) q and per-KV-head k, pattern = softmax(scores), z = pattern·v with
    query head h reading KV head h // (n_head / n_kv_head); RoPE checked against the formula."""
    family, _, loaded, _, trace, _, _ = family_run
    cfg = loaded.model.cfg
    q, k, v = (t(trace[f"blocks.1.attn.hook_{n}"]) for n in "qkv")
    assert q.shape[2] == cfg.n_head and k.shape[2] == v.shape[2] == cfg.n_kv_head
    if cfg.pos == "rope":
        torch.testing.assert_close(t(trace["blocks.1.attn.hook_rot_q"]), rotate_half_rope(q, cfg.rope_base), **TOL)
        torch.testing.assert_close(t(trace["blocks.1.attn.hook_rot_k"]), rotate_half_rope(k, cfg.rope_base), **TOL)
        q, k = t(trace["blocks.1.attn.hook_rot_q"]), t(trace["blocks.1.attn.hook_rot_k"])
    group = cfg.n_head // cfg.n_kv_head
    kh = k.repeat_interleave(group, dim=2).transpose(1, 2)
    vh = v.repeat_interleave(group, dim=2).transpose(1, 2)
    scores = q.transpose(1, 2) @ kh.transpose(-1, -2) / math.sqrt(cfg.d_head)
    T = q.shape[1]
    if cfg.causal:
        scores = scores.masked_fill(~torch.ones(T, T, dtype=torch.bool).tril(), float("-inf"))
    torch.testing.assert_close(t(trace["blocks.1.attn.hook_attn_scores"]), scores, rtol=1e-5, atol=1e-5)
    pattern = t(trace["blocks.1.attn.hook_pattern"])
    torch.testing.assert_close(pattern, torch.softmax(scores, -1), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(t(trace["blocks.1.attn.hook_z"]), (pattern @ vh).transpose(1, 2), **TOL)


def test_block_sums(family_run):
    """resid_mid = resid_pre + attn_out and resid_post = resid_mid + mlp_out (pre-norm); LN of them (post-norm)."""
    family, _, loaded, _, trace, _, _ = family_run
    for layer in range(loaded.model.cfg.n_layer):
        pre, mid, post = (t(trace[f"blocks.{layer}.hook_resid_{s}"]) for s in ("pre", "mid", "post"))
        attn_out, mlp_out = t(trace[f"blocks.{layer}.hook_attn_out"]), t(trace[f"blocks.{layer}.hook_mlp_out"])
        if family == "bert":
            ln2 = t(trace[f"blocks.{layer}.ln2.hook_normalized"])
            x = mid + mlp_out
            torch.testing.assert_close(ln2, (x - x.mean(-1, keepdim=True)) / x.std(-1, unbiased=False,
                                                                                    keepdim=True), atol=1e-4, rtol=1e-4)
        else:
            torch.testing.assert_close(mid, pre + attn_out, **TOL)
            torch.testing.assert_close(post, mid + mlp_out, **TOL)


def test_trace_describes_the_model(family_run):
    family, folder, loaded, ids, trace, peer, _ = family_run
    cfg = loaded.model.cfg
    assert trace.meta["n_kv_head"] == cfg.n_kv_head and trace.meta["model_dtype"] == "float32"
    assert trace.model_config["architecture"] == type(peer).__name__ and trace.n_layer == peer.config.num_hidden_layers
    assert trace.model_config["source"]["name"] == folder.name
    assert (trace.meta.get("mask") == "bidirectional") == (family == "bert")
    assert cfg.n_params == sum(p.numel() for p in peer.parameters())
    expected = {"gpt2": ("layernorm", "learned", "MHA"), "llama": ("rmsnorm", "rope", "GQA"),
                "qwen2": ("rmsnorm", "rope", "MQA"), "bert": ("layernorm", "learned", "MHA"),
                "mixtral": ("rmsnorm", "rope", "GQA"), "qwen2_moe": ("rmsnorm", "rope", "GQA")}[family]
    assert (cfg.norm, cfg.pos, cfg.attention_kind) == expected
    assert cfg.causal == (family != "bert") and cfg.ffn == ("moe" if family in ("mixtral", "qwen2_moe") else "dense")


def test_name_filter_keeps_only_what_was_asked(family_run):
    _, _, loaded, ids, _, _, _ = family_run
    trace = capture(loaded.model, ids, ["blocks.*.attn.hook_pattern", "logits"])
    layers = loaded.model.cfg.n_layer
    assert list(trace) == [*(f"blocks.{i}.attn.hook_pattern" for i in range(layers)), "logits"]
    half = capture(loaded.model, ids, "blocks.0.attn.hook_pattern", float16=True)
    assert half["blocks.0.attn.hook_pattern"].dtype == np.float16


def test_bert_padding_mask_matches_transformers(tmp_path):
    """Two texts padded to one length: patterns equal transformers' with the same attention_mask, pad keys get
    exactly 0, and the real tokens' residual stream equals the unpadded run's."""
    folder = make_tiny_checkpoint(tmp_path, "bert", seed=5)
    loaded = load_model(folder)
    tok = loaded.tokenizer
    a, b = tok.encode("the model sees both sides"), tok.encode("attention")
    pad = [tok.pad_id] * (len(a) - len(b))
    tokens = torch.tensor([a, b + pad])
    mask = torch.tensor([[1] * len(a), [1] * len(b) + [0] * len(pad)])
    from lmscope.backend.models.recorder import Recorder

    rec = Recorder(["blocks.*.attn.hook_pattern", "blocks.*.hook_resid_post", "blocks.*.attn.hook_attn_scores"])
    with torch.no_grad():
        loaded.model(tokens, rec=rec, padding_mask=mask)
        peer = AutoModel.from_pretrained(folder, attn_implementation="eager").eval()
        ref = peer(tokens, attention_mask=mask, output_attentions=True, output_hidden_states=True)
        alone = peer(torch.tensor([b]), output_hidden_states=True)
    for layer in range(2):
        pattern = rec.tensors[f"blocks.{layer}.attn.hook_pattern"]
        torch.testing.assert_close(pattern, ref.attentions[layer], **TOL)
        assert torch.all(pattern[1, :, :, len(b):] == 0)
        assert torch.all(torch.isinf(rec.tensors[f"blocks.{layer}.attn.hook_attn_scores"][1, :, :, len(b):]))
        torch.testing.assert_close(rec.tensors[f"blocks.{layer}.hook_resid_post"][1, : len(b)],
                                   alone.hidden_states[layer + 1][0], rtol=1e-4, atol=1e-5)


def test_custom_allowed_mask_is_applied(tmp_path):
    """TinyGPT's boolean ``allowed`` mask works on an HF decoder: a window of 2 leaves exactly two keys per row."""
    folder = make_tiny_checkpoint(tmp_path, "llama", seed=2)
    loaded = load_model(folder)
    ids = loaded.tokenizer.encode(TEXT)
    T = len(ids)
    allowed = torch.ones(T, T, dtype=torch.bool).tril() & ~torch.ones(T, T, dtype=torch.bool).tril(-2)
    trace = capture(loaded.model, ids, "blocks.0.attn.hook_pattern", allowed=allowed)
    pattern = trace["blocks.0.attn.hook_pattern"][0]
    assert np.all((pattern > 0).sum(-1)[:, 1:] == 2) and np.all(pattern[:, ~allowed.numpy()] == 0)
    np.testing.assert_allclose(pattern.sum(-1), 1.0, rtol=1e-6)
