"""The lens, attribution, ablation and patching against a peer: a tiny seeded GPT-2 from transformers, with its
weights copied into a TinyGPT. The peer side is transformers' own forward pass, changed only by plain torch forward
hooks, one patch per pass — none of lmscope's lens code runs on it."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import GPT2Config, GPT2LMHeadModel

from lmscope.backend.attention.generate import AblationSpec
from lmscope.backend.lens import TinyGPTLens, direct_attribution, logit_lens, patching_job
from lmscope.backend.lens.attribution import ablation_effects
from lmscope.backend.lens.model import Component
from lmscope.backend.lens.patching import PatchingComputed
from lmscope.backend.models.config import TinyGPTConfig
from lmscope.backend.models.tinygpt import TinyGPT
from lmscope.backend.models.tokenizer import CharTokenizer

V, D, L, H, CTX = 40, 32, 3, 4, 16
DH = D // H
CLEAN = [5, 17, 3, 22, 9, 31, 12]
CORRUPT = [5, 17, 8, 22, 9, 14, 12]  # two positions differ
TARGET, DISTRACTOR = 11, 26


@pytest.fixture(scope="module")
def gpt2() -> GPT2LMHeadModel:
    torch.manual_seed(0)
    config = GPT2Config(vocab_size=V, n_positions=CTX, n_embd=D, n_layer=L, n_head=H, activation_function="gelu",
                        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, initializer_range=0.25,
                        layer_norm_epsilon=1e-5, tie_word_embeddings=True)
    model = GPT2LMHeadModel(config)
    model.config._attn_implementation = "eager"
    with torch.no_grad():  # non-trivial norms, so the LayerNorm affine parts matter
        for module in model.modules():
            if isinstance(module, torch.nn.LayerNorm):
                module.weight.uniform_(0.5, 1.5)
                module.bias.normal_(0.0, 0.3)
    return model.eval()


def to_tinygpt(hf: GPT2LMHeadModel) -> TinyGPT:
    """The same weights in TinyGPT's layout (GPT-2's Conv1D stores (in, out); nn.Linear stores (out, in))."""
    cfg = TinyGPTConfig(vocab_size=V, n_ctx=CTX, d_model=D, n_layer=L, n_head=H, n_kv_head=H, d_mlp=4 * D,
                        norm="layernorm", norm_eps=1e-5, pos="learned", act="gelu", tie_embeddings=True)
    model = TinyGPT(cfg).eval()
    t = hf.transformer
    with torch.no_grad():
        model.embed.weight.copy_(t.wte.weight)
        model.pos_embed.weight.copy_(t.wpe.weight)
        model.ln_final.weight.copy_(t.ln_f.weight)
        model.ln_final.bias.copy_(t.ln_f.bias)
        for block, h in zip(model.blocks, t.h):
            for ours, theirs in ((block.ln1, h.ln_1), (block.ln2, h.ln_2)):
                ours.weight.copy_(theirs.weight)
                ours.bias.copy_(theirs.bias)
            w, b = h.attn.c_attn.weight, h.attn.c_attn.bias
            for i, lin in enumerate((block.attn.W_Q, block.attn.W_K, block.attn.W_V)):
                lin.weight.copy_(w[:, i * D:(i + 1) * D].T)
                lin.bias.copy_(b[i * D:(i + 1) * D])
            for lin, conv in ((block.attn.W_O, h.attn.c_proj), (block.ffn.W_in, h.mlp.c_fc),
                              (block.ffn.W_out, h.mlp.c_proj)):
                lin.weight.copy_(conv.weight.T)
                lin.bias.copy_(conv.bias)
    return model


@pytest.fixture(scope="module")
def lm(gpt2) -> TinyGPTLens:
    tokenizer = CharTokenizer(tokens=("<unk>", *[chr(0x41 + i) for i in range(V - 1)]))
    return TinyGPTLens(to_tinygpt(gpt2), tokenizer)


def hf_logits(hf: GPT2LMHeadModel, ids: list[int], hooks: list[tuple[torch.nn.Module, str, object]] = ()) -> torch.Tensor:
    """GPT-2's logits (pos, vocab), with plain forward hooks ("pre" or "post") attached for this one pass."""
    handles = []
    try:
        for module, kind, fn in hooks:
            handles.append(module.register_forward_pre_hook(fn) if kind == "pre" else module.register_forward_hook(fn))
        with torch.no_grad():
            return hf(torch.tensor([ids])).logits[0]
    finally:
        for handle in handles:
            handle.remove()


def diff(logits: torch.Tensor, position: int = -1) -> float:
    return float(logits[position, TARGET].double() - logits[position, DISTRACTOR].double())


def test_the_copy_is_gpt2(gpt2, lm):
    with torch.no_grad():
        ours = lm.model(torch.tensor([CLEAN]))[0]
    torch.testing.assert_close(ours, hf_logits(gpt2, CLEAN), atol=2e-5, rtol=1e-5)


def test_lens_matches_gpt2_hidden_states_through_ln_f_and_lm_head(gpt2, lm):
    result = logit_lens(lm, CLEAN, top_k=4, target=TARGET)
    with torch.no_grad():
        out = gpt2(torch.tensor([CLEAN]), output_hidden_states=True)
        # hidden_states[l] enters block l; the last entry is already through ln_f, so the last point is the logits.
        peers = [gpt2.lm_head(gpt2.transformer.ln_f(h))[0] for h in out.hidden_states[:L]] + [out.logits[0]]
    for i, logits in enumerate(peers):
        logp = torch.log_softmax(logits.double(), -1)
        values, ids = logp.topk(4, -1)
        np.testing.assert_array_equal(result.top_ids[i], ids.numpy(), err_msg=result.names[i])
        np.testing.assert_allclose(result.top_logprobs[i], values.numpy(), atol=5e-5)
        rank = (logp > logp[:, TARGET:TARGET + 1]).sum(-1) + 1
        np.testing.assert_array_equal(result.target_rank[i], rank.numpy())


def test_attributions_sum_to_gpt2s_logit_diff_and_a_head_matches_hooks(gpt2, lm):
    attribution = direct_attribution(lm, CLEAN, TARGET, DISTRACTOR, position=4)
    assert attribution.total == pytest.approx(diff(hf_logits(gpt2, CLEAN), 4), abs=1e-4)
    # Peer for one head: its output z_h·W_O[h] read from GPT-2's c_proj input, through ln_f with σ frozen at the
    # value GPT-2's ln_f divides its own input by.
    seen = {}
    hf_logits(gpt2, CLEAN, [(gpt2.transformer.h[2].attn.c_proj, "pre", lambda _m, a: seen.update(z=a[0][0, 4])),
                            (gpt2.transformer.ln_f, "pre", lambda _m, a: seen.update(r=a[0][0, 4]))])
    with torch.no_grad():
        head_out = (seen["z"][1 * DH:2 * DH] @ gpt2.transformer.h[2].attn.c_proj.weight[1 * DH:2 * DH]).double()
        r = seen["r"].double()
        sigma = torch.sqrt(((r - r.mean()) ** 2).mean() + 1e-5)
        ln = gpt2.transformer.ln_f
        dw = (gpt2.lm_head.weight[TARGET] - gpt2.lm_head.weight[DISTRACTOR]).double()
        expected = float(((head_out - head_out.mean()) / sigma * ln.weight.double()) @ dw)
        bias = float(ln.bias.double() @ dw)
    assert attribution.direct[attribution.labels.index("L2 H1")] == pytest.approx(expected, rel=1e-4, abs=1e-6)
    assert attribution.bias == pytest.approx(bias, abs=1e-6)
    assert attribution.scale == pytest.approx(float(sigma), rel=1e-5)


@pytest.mark.parametrize("mode", ["zero", "mean"])
def test_ablation_matches_hooks_on_gpt2(gpt2, lm, mode):
    reference = [[1, 2, 3, 4, 5], [30, 20, 10]]
    components = [Component("head", 1, 3), Component("mlp", 0), Component("head", 2, 0)]
    *_, effects = ablation_effects(lm, CLEAN, components, TARGET, DISTRACTOR, mode=mode, reference=reference)
    base = diff(hf_logits(gpt2, CLEAN))
    h = gpt2.transformer.h

    def mean_of(module: torch.nn.Module, pick) -> torch.Tensor:  # noqa: ANN001
        rows = []
        for ids in reference:
            hf_logits(gpt2, ids, [(module, "post", lambda _m, args, out: rows.append(pick(args, out)))])
        return torch.cat(rows).mean(0)

    z13 = mean_of(h[1].attn.c_proj, lambda args, _o: args[0][0, :, 3 * DH:4 * DH]) if mode == "mean" else 0.0
    z20 = mean_of(h[2].attn.c_proj, lambda args, _o: args[0][0, :, 0:DH]) if mode == "mean" else 0.0
    m0 = mean_of(h[0].mlp, lambda _a, out: out[0]) if mode == "mean" else 0.0

    def set_head(head: int, value) -> object:  # noqa: ANN001
        def pre(_m, args):  # noqa: ANN001, ANN202
            x = args[0].clone()
            x[..., head * DH:(head + 1) * DH] = value
            return (x,)
        return pre

    peers = [diff(hf_logits(gpt2, CLEAN, [(h[1].attn.c_proj, "pre", set_head(3, z13))])),
             diff(hf_logits(gpt2, CLEAN, [(h[0].mlp, "post", lambda _m, _a, out: torch.zeros_like(out) + m0)])),
             diff(hf_logits(gpt2, CLEAN, [(h[2].attn.c_proj, "pre", set_head(0, z20))]))]
    np.testing.assert_allclose(effects, np.asarray(peers) - base, atol=1e-4)
    assert AblationSpec(heads=((1, 3),), mlps=(0,)).to_text() == ["L1H3", "L0MLP"]


def peer_patching(hf: GPT2LMHeadModel) -> dict[str, np.ndarray]:
    """Activation patching the plain way: capture the clean run, then one hooked corrupted pass per patch."""
    h = hf.transformer.h
    T = len(CLEAN)
    clean: dict[tuple[str, int], torch.Tensor] = {}
    capture = []
    for layer in range(L):
        capture += [(h[layer], "pre", lambda _m, args, k=("resid_pre", layer): clean.update({k: args[0].clone()})),
                    (h[layer].attn, "post", lambda _m, _a, out, k=("attn_out", layer): clean.update({k: out[0].clone()})),
                    (h[layer].mlp, "post", lambda _m, _a, out, k=("mlp_out", layer): clean.update({k: out.clone()})),
                    (h[layer].attn.c_proj, "pre",
                     lambda _m, args, k=("z", layer): clean.update({k: args[0].clone()}))]
    clean_diff = diff(hf_logits(hf, CLEAN, capture))
    corrupt_diff = diff(hf_logits(hf, CORRUPT))

    def effect(hook: tuple) -> float:
        return (diff(hf_logits(hf, CORRUPT, [hook])) - corrupt_diff) / (clean_diff - corrupt_diff)

    def at(value: torch.Tensor, pos: int):  # noqa: ANN202
        def swap(x: torch.Tensor) -> torch.Tensor:
            x = x.clone()
            x[:, pos] = value[:, pos]
            return x
        return swap

    out = {k: np.zeros((L, T)) for k in ("resid_pre", "attn_out", "mlp_out")}
    out["heads"] = np.zeros((L, H))
    for layer in range(L):
        for pos in range(T):
            swap = at(clean[("resid_pre", layer)], pos)
            out["resid_pre"][layer, pos] = effect((h[layer], "pre", lambda _m, args, s=swap: (s(args[0]), *args[1:])))
            swap = at(clean[("attn_out", layer)], pos)
            out["attn_out"][layer, pos] = effect((h[layer].attn, "post", lambda _m, _a, o, s=swap: (s(o[0]), *o[1:])))
            swap = at(clean[("mlp_out", layer)], pos)
            out["mlp_out"][layer, pos] = effect((h[layer].mlp, "post", lambda _m, _a, o, s=swap: s(o)))
        for head in range(H):
            def pre(_m, args, head=head, z=clean[("z", layer)]):  # noqa: ANN001, ANN202
                x = args[0].clone()
                x[..., head * DH:(head + 1) * DH] = z[..., head * DH:(head + 1) * DH]
                return (x,)
            out["heads"][layer, head] = effect((h[layer].attn.c_proj, "pre", pre))
    out["clean_diff"], out["corrupt_diff"] = np.asarray(clean_diff), np.asarray(corrupt_diff)
    return out


@pytest.mark.parametrize("rows", [None, 5])  # the default batch (everything in one or two passes) and small ones
def test_patching_matches_plain_forward_hooks_on_gpt2(gpt2, lm, rows):
    text = lambda ids: lm.tokenizer.decode(ids)  # noqa: E731
    events = list(patching_job(lm, text(CLEAN), text(CORRUPT), TARGET, DISTRACTOR, rows=rows))
    result = events[-1].result
    assert isinstance(events[-1], PatchingComputed) and result.complete
    peer = peer_patching(gpt2)
    assert result.clean_diff == pytest.approx(float(peer["clean_diff"]), abs=1e-5)
    assert result.corrupt_diff == pytest.approx(float(peer["corrupt_diff"]), abs=1e-5)
    assert abs(result.clean_diff - result.corrupt_diff) > 0.5  # the effects below are well conditioned
    for kind in ("resid_pre", "attn_out", "mlp_out", "heads"):
        np.testing.assert_allclose(getattr(result, kind), peer[kind], atol=2e-4, err_msg=kind)
    # Positions before the first difference carry nothing; the last position's stream at layer 0 is the token.
    np.testing.assert_allclose(result.resid_pre[:, :2], 0.0, atol=1e-4)
    assert np.abs(peer["heads"]).max() > 0.05 and np.abs(peer["mlp_out"]).max() > 0.05
