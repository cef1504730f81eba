"""The lens, attribution, ablation and patching on real Hugging Face architectures (tiny seeded GPT-2, Llama, Qwen2,
Mixtral and Qwen2-MoE folders opened through lmscope's loader), checked against a second copy of each model loaded
by transformers itself: its ``output_hidden_states``, its logits, and patches and ablations done with plain torch
hooks on its modules, one per forward pass. No lmscope lens code runs on the peer side."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file
from transformers import AutoModelForCausalLM

from lmscope.backend.attention.generate import AblationSpec
from lmscope.backend.errors import BadInputError
from lmscope.backend.lens import direct_attribution, lens_model, logit_lens, parse_token
from lmscope.backend.lens.attribution import ablation_effects
from lmscope.backend.lens.model import Component
from lmscope.backend.lens.patching import Patch, patch_effects, prepare, sweep_patches
from lmscope.backend.models.checkpoint import load_model
from lmscope.backend.models.hf_tiny import make_tiny_checkpoint

FAMILIES = ("gpt2", "llama", "qwen2", "mixtral", "qwen2_moe")
TEXT = "The quick fox"
# Where the peer's hooks go, written here from transformers' module names (not from lmscope's layout table).
PEER = {"gpt2": ("transformer.h", "attn.c_proj", "mlp"), "llama": ("model.layers", "self_attn.o_proj", "mlp")}
for _family in ("qwen2", "mixtral", "qwen2_moe"):
    PEER[_family] = PEER["llama"]


class Case:
    def __init__(self, family: str, folder) -> None:  # noqa: ANN001
        self.family = family
        self.loaded = load_model(folder)
        self.lm = lens_model(self.loaded)
        self.peer = AutoModelForCausalLM.from_pretrained(folder, attn_implementation="eager").eval()
        layers, o, mlp = PEER[family]
        self.blocks = list(self.peer.get_submodule(layers))
        self.o = [b.get_submodule(o) for b in self.blocks]
        self.mlp = [b.get_submodule(mlp) for b in self.blocks]
        self.clean = self.lm.encode(TEXT)
        self.changed = len(self.clean) - 3  # the corrupted prompt differs at this one position
        clean = self.logits(self.clean)[-1]

        def corrupted(token: int) -> list[int]:
            return [*self.clean[:self.changed], token, *self.clean[self.changed + 1:]]

        # The replacement that moves the last position's logits most, and the two tokens it moves furthest apart:
        # a well-conditioned logit difference for the normalised effects.
        shifts = {t: clean - self.logits(corrupted(t))[-1] for t in range(5, 30) if t != self.clean[self.changed]}
        token = max(shifts, key=lambda t: float(shifts[t].max() - shifts[t].min()))
        self.corrupt = corrupted(token)
        self.target, self.distractor = int(shifts[token].argmax()), int(shifts[token].argmin())

    def logits(self, ids: list[int], hooks=()) -> torch.Tensor:  # noqa: ANN001
        """The peer's logits (pos, vocab) with plain hooks — (module, "pre"|"post", fn) — for this one pass."""
        handles = []
        try:
            for module, kind, fn in hooks:
                handles.append(module.register_forward_pre_hook(fn) if kind == "pre"
                               else module.register_forward_hook(fn))
            with torch.no_grad():
                return self.peer(torch.tensor([ids])).logits[0]
        finally:
            for handle in handles:
                handle.remove()

    def diff(self, ids: list[int], hooks=()) -> float:  # noqa: ANN001
        logits = self.logits(ids, hooks)[-1].double()
        return float(logits[self.target] - logits[self.distractor])


def checkpoint(folder: Path, family: str) -> Path:
    """A tiny seeded folder whose norms and biases are not their initial 1 and 0, so that the final norm's weight
    and shift, and the attention output bias, matter to every number checked."""
    make_tiny_checkpoint(folder, family, seed=5)
    generator = torch.Generator().manual_seed(7)
    path = folder / "model.safetensors"
    tensors = load_file(path)
    for name, t in tensors.items():
        if "norm" in name or ".ln_" in name or "ln_f" in name:
            t.copy_(torch.rand(t.shape, generator=generator) + 0.5 if name.endswith("weight")
                    else 0.3 * torch.randn(t.shape, generator=generator))
        elif name.endswith("bias"):
            t.copy_(0.1 * torch.randn(t.shape, generator=generator))
    save_file(tensors, path, metadata={"format": "pt"})
    return folder


@pytest.fixture(scope="module", params=FAMILIES)
def case(request, tmp_path_factory) -> Case:
    return Case(request.param, checkpoint(tmp_path_factory.mktemp(request.param) / "model", request.param))


def test_residual_points_are_transformers_hidden_states_and_the_lens_is_its_logits(case):
    lm, L = case.lm, case.lm.n_layer
    with torch.no_grad():
        out = case.peer(torch.tensor([case.clean]), output_hidden_states=True)
    hidden = out.hidden_states
    assert len(hidden) == L + 1
    _, cap = lm.run(lm.tokens(case.clean), capture=lm.residual_names())
    for layer in range(L):
        torch.testing.assert_close(cap[f"blocks.{layer}.hook_resid_pre"], hidden[layer], atol=0, rtol=0)
    # transformers' last hidden state is after the final norm (GPT-2's ln_f, the decoders' norm): ours is before it.
    final = cap[f"blocks.{L - 1}.hook_resid_post"]
    assert not torch.allclose(final, hidden[L], atol=1e-3)
    torch.testing.assert_close(lm.final_norm(final), hidden[L], atol=1e-6, rtol=1e-5)

    result = logit_lens(lm, case.clean, top_k=5, target=case.target)
    head, norm = case.peer.get_output_embeddings(), case.peer.base_model.get_submodule(
        "ln_f" if case.family == "gpt2" else "norm")
    with torch.no_grad():
        peers = [head(norm(h))[0] for h in hidden[:L]] + [out.logits[0]]
    for i, logits in enumerate(peers):
        logp = torch.log_softmax(logits.double(), -1)
        values, ids = logp.topk(5, -1)
        np.testing.assert_array_equal(result.top_ids[i], ids.numpy(), err_msg=result.names[i])
        np.testing.assert_allclose(result.top_logprobs[i], values.numpy(), atol=2e-5)
        entropy = -(logp.exp() * logp).sum(-1)
        np.testing.assert_allclose(result.entropy[i], entropy.numpy(), atol=2e-5)
        np.testing.assert_array_equal(result.target_rank[i], ((logp > logp[:, [case.target]]).sum(-1) + 1).numpy())


def test_direct_attributions_sum_to_transformers_logit_diff(case):
    for position in (-1, 3):
        a = direct_attribution(case.lm, case.clean, case.target, case.distractor, position)
        logits = case.logits(case.clean)[position].double()
        expected = float(logits[case.target] - logits[case.distractor])
        assert a.logit_diff == pytest.approx(expected, abs=1e-5)
        assert a.total == pytest.approx(expected, abs=1e-4)
    kinds = {c.kind for c in a.components}
    if case.family == "gpt2":
        assert {"embed", "pos_embed", "head", "attn_bias", "mlp"} == kinds
        assert a.bias != 0.0  # ln_f's β through the unembedding
    else:
        assert "pos_embed" not in kinds and "attn_bias" not in kinds and a.bias == 0.0  # RMSNorm, no o_proj bias
    if case.family == "mixtral":
        assert "expert" in kinds and "mlp" not in kinds
    if case.family == "qwen2_moe":  # experts and a shared expert; its layer 1 is a dense MLP
        assert {"expert", "shared_expert", "mlp"} <= kinds


@pytest.mark.parametrize("family_moe", ["mixtral", "qwen2_moe"])
def test_expert_components_are_the_moe_blocks_output_split_by_routing(family_moe, tmp_path):
    case = Case(family_moe, checkpoint(tmp_path / family_moe, family_moe))
    with torch.no_grad():
        parts, outputs, _ = case.lm.component_outputs(case.lm.tokens(case.clean))
    seen: dict[int, torch.Tensor] = {}
    routed: dict[int, torch.Tensor] = {}
    hooks = []
    for layer, mlp in enumerate(case.mlp):
        hooks.append((mlp, "post", lambda _m, _a, out, k=layer: seen.update({k: out[0]})))
        if hasattr(mlp, "gate"):  # the router returns (logits, top-k weights, top-k indices)
            hooks.append((mlp.gate, "post", lambda _m, _a, out, k=layer: routed.update({k: out[2]})))
    case.logits(case.clean, hooks)
    assert routed
    for layer, chosen in routed.items():
        mine = [i for i, c in enumerate(parts) if c.layer == layer and c.kind in ("expert", "shared_expert")]
        torch.testing.assert_close(outputs[mine].sum(0), seen[layer], atol=1e-6, rtol=1e-5)
        for i in mine:
            c = parts[i]
            if c.kind == "expert":  # zero exactly where the peer's router did not pick the expert
                picked = (chosen == c.index).any(-1)
                assert torch.all(outputs[i][~picked] == 0) and torch.all(outputs[i][picked].norm(dim=-1) > 0)


def test_patching_a_run_into_itself_and_the_clean_stream_everywhere(case):
    lm, L, T = case.lm, case.lm.n_layer, len(case.clean)
    hooks = [f"blocks.{layer}.{p}" for layer in range(L)
             for p in ("hook_resid_pre", "hook_attn_out", "hook_mlp_out", "attn.hook_z")]
    clean_tokens, corrupt_tokens = lm.tokens(case.clean), lm.tokens(case.corrupt)
    _, cache = lm.run(clean_tokens, capture=hooks)
    same = {h: (lambda _x, v=cache[h]: v.clone()) for h in hooks}
    logits, _ = lm.run(clean_tokens, edits=same)
    torch.testing.assert_close(logits[0], case.logits(case.clean), atol=1e-5, rtol=1e-5)
    # The clean residual entering any block (every position) in the corrupted run is the clean run, whether the
    # pass edits it in a full forward or starts at that block.
    for layer in range(L):
        name = f"blocks.{layer}.hook_resid_pre"
        logits, _ = lm.run(corrupt_tokens, edits={name: same[name]})
        torch.testing.assert_close(logits[0], case.logits(case.clean), atol=1e-5, rtol=1e-5)
        logits = lm.run_from(layer, cache[name], corrupt_tokens, position=T - 1)
        torch.testing.assert_close(logits[0], case.logits(case.clean)[-1], atol=1e-5, rtol=1e-5)
    # The prompts agree before the changed position, so in a causal model the clean stream from the changed
    # position on, entering any block, is enough; from one position later it is not.
    c = case.changed
    for layer in range(L):
        name = f"blocks.{layer}.hook_resid_pre"
        tail = lambda x, v=cache[name], start=c: torch.cat([x[:, :start], v[:, start:]], 1)  # noqa: E731
        logits, _ = lm.run(corrupt_tokens, edits={name: tail})
        torch.testing.assert_close(logits[0], case.logits(case.clean), atol=1e-5, rtol=1e-5)
    later = lambda x, v=cache["blocks.0.hook_resid_pre"]: torch.cat([x[:, :c + 1], v[:, c + 1:]], 1)  # noqa: E731
    logits, _ = lm.run(corrupt_tokens, edits={"blocks.0.hook_resid_pre": later})
    assert not torch.allclose(logits[0, -1], case.logits(case.clean)[-1], atol=1e-3)
    setup = prepare(lm, case.clean, case.corrupt, case.target, case.distractor, -1, hooks)
    assert abs(setup.clean_diff - setup.corrupt_diff) > 0.1
    patches = [Patch("blocks.0.hook_resid_pre"), Patch(f"blocks.{L - 1}.hook_resid_pre"),
               Patch("blocks.0.hook_resid_pre", positions=())]
    *_, (done, effects) = patch_effects(lm, setup, patches)
    assert done == 3
    np.testing.assert_allclose(effects, [1.0, 1.0, 0.0], atol=1e-4)
    assert T == len(case.corrupt)


def peer_effects(case: Case) -> dict[str, np.ndarray]:
    """Activation patching the plain way on transformers' model: capture the clean run, then one hooked corrupted
    pass per patch."""
    L, T, H = len(case.blocks), len(case.clean), case.peer.config.num_attention_heads
    dh = case.o[0].weight.shape[0 if case.family == "gpt2" else 1] // H
    clean: dict[tuple[str, int], torch.Tensor] = {}
    capture, handles = [], []
    for layer in range(L):
        def resid(_m, args, kwargs, k=("resid_pre", layer)):  # noqa: ANN001, ANN202
            clean[k] = (args[0] if args else kwargs["hidden_states"]).clone()
        handles.append(case.blocks[layer].register_forward_pre_hook(resid, with_kwargs=True))
        capture += [(case.o[layer], "post", lambda _m, _a, out, k=("attn_out", layer): clean.update({k: out.clone()})),
                    (case.mlp[layer], "post", lambda _m, _a, out, k=("mlp_out", layer): clean.update({k: out.clone()})),
                    (case.o[layer], "pre", lambda _m, args, k=("z", layer): clean.update({k: args[0].clone()}))]
    try:
        clean_diff = case.diff(case.clean, capture)
    finally:
        for handle in handles:
            handle.remove()
    corrupt_diff = case.diff(case.corrupt)

    def effect(hooks: list) -> float:
        return (case.diff(case.corrupt, hooks) - corrupt_diff) / (clean_diff - corrupt_diff)

    def swap(value: torch.Tensor, pos: int):  # noqa: ANN202
        def fn(x: torch.Tensor) -> torch.Tensor:
            x = x.clone()
            x[:, pos] = value[:, pos]
            return x
        return fn

    out = {k: np.zeros((L, T)) for k in ("resid_pre", "attn_out", "mlp_out")}
    out["heads"] = np.zeros((L, H))
    for layer in range(L):
        for pos in range(T):
            s = swap(clean[("resid_pre", layer)], pos)
            block = case.blocks[layer]
            handle = block.register_forward_pre_hook(
                lambda _m, args, kwargs, s=s: ((s(args[0]), *args[1:]), kwargs) if args
                else (args, {**kwargs, "hidden_states": s(kwargs["hidden_states"])}), with_kwargs=True)
            try:
                out["resid_pre"][layer, pos] = effect([])
            finally:
                handle.remove()
            s = swap(clean[("attn_out", layer)], pos)
            out["attn_out"][layer, pos] = effect([(case.o[layer], "post", lambda _m, _a, o, s=s: s(o))])
            s = swap(clean[("mlp_out", layer)], pos)
            out["mlp_out"][layer, pos] = effect([(case.mlp[layer], "post", lambda _m, _a, o, s=s: s(o))])
        for head in range(H):
            def pre(_m, args, head=head, z=clean[("z", layer)]):  # noqa: ANN001, ANN202
                x = args[0].clone()
                x[..., head * dh:(head + 1) * dh] = z[..., head * dh:(head + 1) * dh]
                return (x,)
            out["heads"][layer, head] = effect([(case.o[layer], "pre", pre)])
    out["clean_diff"], out["corrupt_diff"] = np.asarray(clean_diff), np.asarray(corrupt_diff)
    return out


def test_patching_sweeps_match_plain_hooks_on_transformers(case):
    lm = case.lm
    L, T, H = lm.n_layer, len(case.clean), lm.n_head
    kinds = ("resid_pre", "attn_out", "mlp_out", "heads")
    plan = {k: sweep_patches(k, L, T, H) for k in kinds}
    hooks = sorted({p.hook for ps in plan.values() for p in ps})
    setup = prepare(lm, case.clean, case.corrupt, case.target, case.distractor, -1, hooks)
    peer = peer_effects(case)
    assert setup.clean_diff == pytest.approx(float(peer["clean_diff"]), abs=1e-5)
    assert setup.corrupt_diff == pytest.approx(float(peer["corrupt_diff"]), abs=1e-5)
    scale = 1e-5 / abs(setup.clean_diff - setup.corrupt_diff)  # float32 logits, normalised by the difference
    for kind in kinds:
        # Everything batched, and (for two sweeps) small batches that start at later blocks.
        for rows in (None, 3) if kind in ("resid_pre", "heads") else (None,):
            *_, (_, effects) = patch_effects(lm, setup, plan[kind], rows=rows)
            shape = (L, H) if kind == "heads" else (L, T)
            np.testing.assert_allclose(effects.reshape(shape), peer[kind], atol=max(2e-4, 20 * scale),
                                       err_msg=f"{case.family} {kind} rows={rows}")
    np.testing.assert_allclose(peer["resid_pre"][:, :case.changed], 0.0, atol=1e-4)  # before the change: nothing
    assert np.abs(peer["resid_pre"]).max() > 0.5


# The ablation hooks are the same code for every decoder: GPT-2, Llama and an MoE model cover them.
@pytest.mark.parametrize("case", ["gpt2", "llama", "qwen2_moe"], indirect=True)
@pytest.mark.parametrize("mode", ["zero", "mean"])
def test_ablation_matches_plain_hooks_on_transformers(case, mode):
    H = case.peer.config.num_attention_heads
    dh = case.o[0].weight.shape[0 if case.family == "gpt2" else 1] // H
    reference = [case.corrupt, case.clean[:4]]
    components = [Component("head", 1, 2), Component("mlp", 0), Component("head", 0, 0)]
    *_, effects = ablation_effects(case.lm, case.clean, components, case.target, case.distractor, mode=mode,
                                   reference=[list(r) for r in reference])

    def mean_of(module: torch.nn.Module, kind: str, pick) -> torch.Tensor:  # noqa: ANN001
        rows: list[torch.Tensor] = []
        hook = (lambda _m, args: rows.append(pick(args[0]))) if kind == "pre" else (
            lambda _m, _a, out: rows.append(pick(out)))
        for ids in reference:
            case.logits(ids, [(module, kind, hook)])
        return torch.cat(rows).mean(0)

    def set_head(head: int, value) -> object:  # noqa: ANN001
        def pre(_m, args):  # noqa: ANN001, ANN202
            x = args[0].clone()
            x[..., head * dh:(head + 1) * dh] = value
            return (x,)
        return pre

    mean = mode == "mean"
    z12 = mean_of(case.o[1], "pre", lambda z: z[0, :, 2 * dh:3 * dh]) if mean else 0.0
    z00 = mean_of(case.o[0], "pre", lambda z: z[0, :, 0:dh]) if mean else 0.0
    m0 = mean_of(case.mlp[0], "post", lambda out: out[0]) if mean else 0.0
    base = case.diff(case.clean)
    peers = [case.diff(case.clean, [(case.o[1], "pre", set_head(2, z12))]) - base,
             case.diff(case.clean, [(case.mlp[0], "post", lambda _m, _a, out: torch.zeros_like(out) + m0)]) - base,
             case.diff(case.clean, [(case.o[0], "pre", set_head(0, z00))]) - base]
    np.testing.assert_allclose(effects, peers, atol=1e-4)
    assert np.abs(peers).max() > 1e-3 and AblationSpec(heads=((1, 2),)).to_text() == ["L1H2"]


def test_tokens_are_typed_without_the_prompts_special_tokens(tmp_path):
    loaded = load_model(make_tiny_checkpoint(tmp_path / "llama", "llama", seed=5))
    lm = lens_model(loaded)
    assert lm.encode("fox")[0] == loaded.tokenizer.fast.bos_token_id  # a prompt starts with <s> …
    token = parse_token(lm, "fox", "target")  # … a target does not
    assert loaded.tokenizer.fast.convert_ids_to_tokens(token) == "▁fox"
    with pytest.raises(BadInputError, match="2 tokens"):
        parse_token(lm, "fox jumps", "target")


@pytest.mark.parametrize("head", [True, False])
def test_encoders_are_refused_in_one_sentence(tmp_path, head):
    loaded = load_model(make_tiny_checkpoint(tmp_path / "bert", "bert", seed=5, head=head))
    with pytest.raises(BadInputError) as info:
        lens_model(loaded)
    message = str(info.value)
    assert "encoder" in message and "\n" not in message and message.count(". ") == 0


@pytest.mark.parametrize("family", ["gpt2", "mixtral"])
def test_half_precision_models_are_attributed(family, tmp_path):
    """bfloat16 rounds every residual addition: the parts sum to the stream within its rounding, not float32's."""
    folder = checkpoint(tmp_path / family, family)
    lm = lens_model(load_model(folder, dtype="bfloat16"))
    peer = AutoModelForCausalLM.from_pretrained(folder, attn_implementation="eager", dtype=torch.bfloat16).eval()
    ids = lm.encode(TEXT)
    with torch.no_grad():
        logits = peer(torch.tensor([ids])).logits[0, -1].double()
    target, distractor = int(logits.argmax()), int(logits.argmin())
    a = direct_attribution(lm, ids, target, distractor)
    expected = float(logits[target] - logits[distractor])
    assert a.logit_diff == pytest.approx(expected, abs=1e-6)  # the same bfloat16 pass
    assert a.total == pytest.approx(expected, rel=0.03)
    result = logit_lens(lm, ids, top_k=1)
    assert result.top_ids[-1, -1, 0] == target
