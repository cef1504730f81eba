"""The logit lens and direct logit attribution on TinyGPT (the demo, RMSNorm, MoE), checked against the model's own
forward pass and against the maths written out in numpy; refusals for what does not apply."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from lmscope.backend.attention.generate import AblationSpec, ablated, head_ablations, mlp_ablations
from lmscope.backend.capture import capture
from lmscope.backend.demo import load_demo
from lmscope.backend.errors import BadInputError
from lmscope.backend.lens import (
    TinyGPTLens, attribution_job, direct_attribution, lens_job, lens_model, logit_lens, parse_token,
)
from lmscope.backend.lens.attribution import AttributionComputed
from lmscope.backend.lens.logit_lens import LensComputed
from lmscope.backend.models.config import TinyGPTConfig
from lmscope.backend.models.tinygpt import TinyGPT
from lmscope.backend.models.tokenizer import CharTokenizer

PROMPT = "我们一起来学习大语言模型。The model predicts"


@pytest.fixture(scope="module")
def demo():
    return lens_model(load_demo())


def tiny(**changes) -> TinyGPTLens:  # noqa: ANN003
    torch.manual_seed(3)
    cfg = TinyGPTConfig(vocab_size=27, n_ctx=32, d_model=32, n_layer=3, n_head=4, n_kv_head=4, d_mlp=64)
    model = TinyGPT(cfg.replace(**changes))
    with torch.no_grad():  # larger weights than the 0.02 init, so the predictions are decisive
        for p in model.parameters():
            p.mul_(8.0 if p.dim() > 1 else 1.0)
    return TinyGPTLens(model.eval(), CharTokenizer(tokens=("<unk>", *"abcdefghijklmnopqrstuvwxyz")))


def numpy_layernorm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    x = x.astype(np.float64)
    centred = x - x.mean(-1, keepdims=True)
    return centred / np.sqrt((centred ** 2).mean(-1, keepdims=True) + eps) * weight + bias


def numpy_log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def test_lens_at_the_last_point_is_the_models_own_log_softmax(demo):
    ids = demo.encode(PROMPT)
    result = logit_lens(demo, ids, top_k=7)
    with torch.no_grad():
        logp = torch.log_softmax(demo.model(torch.tensor([ids]))[0].double(), -1).numpy()
    assert result.names[-1] == "blocks.3.hook_resid_post" and len(result.names) == 5
    expected = np.argsort(-logp, axis=-1, kind="stable")[:, :7]
    np.testing.assert_array_equal(result.top_ids[-1], expected)
    np.testing.assert_allclose(result.top_logprobs[-1], np.take_along_axis(logp, expected, -1), atol=2e-5)
    np.testing.assert_allclose(result.entropy[-1], -(np.exp(logp) * logp).sum(-1), atol=1e-4)
    assert result.top_strings[-1][3] == tuple(demo.token_strings(expected[3]))


def test_lens_at_every_point_is_unembed_of_final_norm_computed_independently(demo):
    ids = demo.encode(PROMPT)
    target = demo.encode("的")[0]
    result = logit_lens(demo, ids, top_k=5, target=target)
    trace = capture(demo.model, ids, names="blocks.*.hook_resid_*")
    model = demo.model
    w, b = model.ln_final.weight.detach().numpy(), model.ln_final.bias.detach().numpy()
    W_U = model.embed.weight.detach().numpy().astype(np.float64)  # tied: the unembedding is the embedding
    previous = None
    for i, name in enumerate(result.names):
        logp = numpy_log_softmax(numpy_layernorm(trace[name][0], w, b, model.cfg.norm_eps) @ W_U.T)
        top = np.argsort(-logp, axis=-1, kind="stable")[:, :5]
        np.testing.assert_array_equal(result.top_ids[i], top, err_msg=name)
        np.testing.assert_allclose(result.top_logprobs[i], np.take_along_axis(logp, top, -1), atol=5e-5)
        np.testing.assert_allclose(result.entropy[i], -(np.exp(logp) * logp).sum(-1), atol=2e-4)
        rank = (logp > logp[:, target:target + 1]).sum(-1) + 1
        np.testing.assert_array_equal(result.target_rank[i], rank)
        np.testing.assert_allclose(result.target_logprob[i], logp[:, target], atol=5e-5)
        if previous is not None:  # what block i−1 promoted and suppressed
            delta = logp - previous
            np.testing.assert_array_equal(result.promoted_ids[i - 1][:, 0], delta.argmax(-1))
            np.testing.assert_array_equal(result.suppressed_ids[i - 1][:, 0], delta.argmin(-1))
            np.testing.assert_allclose(result.promoted_delta[i - 1][:, 0], delta.max(-1), atol=1e-4)
            np.testing.assert_allclose(result.suppressed_delta[i - 1][:, 0], delta.min(-1), atol=1e-4)
        previous = logp
    assert result.promoted_ids.shape == (4, len(ids), 5)


def test_lens_json_shape_and_job(demo):
    events = list(lens_job(demo, "模型", top_k=2))
    done = [e for e in events if isinstance(e, LensComputed)]
    assert len(done) == 1 and done[0].text == "模型"
    tree = done[0].result.to_json()
    assert list(tree) == ["tokens", "layers"] and tree["tokens"] == ["模", "型"]
    assert [layer["name"] for layer in tree["layers"]] == [f"blocks.{i}.hook_resid_pre" for i in range(4)] + [
        "blocks.3.hook_resid_post"]
    first = tree["layers"][0]
    assert list(first) == ["name", "top_ids", "top_logprobs", "top_tokens"]
    assert np.asarray(first["top_ids"]).shape == (2, 2) and isinstance(first["top_tokens"][1][0], str)


def test_lens_of_a_post_norm_model_has_no_final_norm():
    lm = tiny(norm_placement="post")
    ids = lm.encode("abcab")
    result = logit_lens(lm, ids, top_k=3)
    with torch.no_grad():
        logp = torch.log_softmax(lm.model(torch.tensor([ids]))[0], -1)
    np.testing.assert_allclose(result.top_logprobs[-1], logp.topk(3).values.numpy(), atol=1e-5)


@pytest.mark.parametrize("changes", [{}, {"norm": "rmsnorm", "pos": "rope", "act": "swiglu", "n_kv_head": 2},
                                     {"pos": "sinusoidal", "tie_embeddings": False},
                                     {"attention": "mla", "kv_lora_rank": 16, "q_lora_rank": 8, "pos": "rope",
                                      "rope_head_dim": 4, "norm": "rmsnorm"}])
def test_direct_attributions_sum_to_the_logit_diff_with_the_scale_frozen(changes):
    lm = tiny(**changes)
    ids = lm.encode("thequickbrownfox")
    attribution = direct_attribution(lm, ids, target=5, distractor=9, position=-1)
    with torch.no_grad():
        logits = lm.model(torch.tensor([ids]))[0, -1].double()
    assert attribution.logit_diff == pytest.approx(float(logits[5] - logits[9]), abs=1e-5)
    assert attribution.total == pytest.approx(attribution.logit_diff, abs=1e-4)
    heads = [c for c in attribution.components if c.kind == "head"]
    assert len(heads) == 12 and attribution.components[0].kind == "embed"
    # The frozen-scale convention, written out for one head: its output through LN with σ fixed, times Δw.
    trace = capture(lm.model, ids, names=["blocks.1.attn.hook_z", "blocks.2.hook_resid_post", "ln_final.hook_scale"])
    z = trace["blocks.1.attn.hook_z"][0, -1, 2]  # head 2 of layer 1, last position
    W_O = lm.model.blocks[1].attn.W_O.weight.detach().numpy()[:, 2 * 8:3 * 8]
    out = W_O @ z
    sigma = trace["ln_final.hook_scale"][0, -1, 0]
    ln = lm.model.ln_final
    normed = (out - out.mean()) if changes.get("norm", "layernorm") == "layernorm" else out
    W_U = lm.model.unembed.weight.detach().numpy()
    expected = float(normed / sigma * ln.weight.detach().numpy() @ (W_U[5] - W_U[9]))
    index = attribution.components.index(heads[4 + 2])
    assert attribution.labels[index] == "L1 H2"
    assert attribution.direct[index] == pytest.approx(expected, rel=1e-4, abs=1e-6)


def test_moe_attribution_splits_the_ffn_by_expert():
    lm = tiny(ffn="moe", n_experts=4, top_k=2, n_shared=1, d_mlp=32)
    ids = lm.encode("mixtureofexperts")
    attribution = direct_attribution(lm, ids, target=1, distractor=2)
    kinds = [c.kind for c in attribution.components]
    assert kinds.count("expert") == 12 and kinds.count("shared_expert") == 3 and "mlp" not in kinds
    assert attribution.total == pytest.approx(attribution.logit_diff, abs=1e-4)
    # An expert no token at the last position routed to contributes nothing there.
    trace = capture(lm.model, ids, names="blocks.0.moe.hook_topk_indices")
    unused = sorted(set(range(4)) - set(trace["blocks.0.moe.hook_topk_indices"][0, -1].tolist()))
    for e in unused:
        assert attribution.direct[attribution.labels.index(f"L0 expert {e}")] == 0.0


def test_post_norm_attribution_is_refused_in_one_sentence():
    lm = tiny(norm_placement="post")
    with pytest.raises(BadInputError, match="not the sum of its heads") as err:
        direct_attribution(lm, lm.encode("abc"), 1, 2)
    assert str(err.value).count(". ") == 0 and "\n" not in str(err.value)


def test_attribution_job_adds_zero_and_mean_ablation_from_the_attention_tools(demo):
    text = "大语言模型"
    ids = demo.encode(text)
    target, distractor = demo.encode("的")[0], demo.encode("。")[0]
    events = list(attribution_job(demo, text, target, distractor, reference_texts=["我们一起来学习"]))
    result = next(e for e in events if isinstance(e, AttributionComputed)).attribution
    labels = list(result.labels)
    tokens = torch.tensor([ids])
    reference = [torch.tensor([demo.encode("我们一起来学习")])]
    with torch.no_grad():
        base = demo.model(tokens)[0, -1]
        for spec, label, column in ((AblationSpec(heads=((2, 1),)), "L2 H1", result.zero_ablation),
                                    (AblationSpec(mlps=(0,)), "L0 MLP", result.zero_ablation),
                                    (AblationSpec(heads=((3, 0),), mode="mean"), "L3 H0", result.mean_ablation),
                                    (AblationSpec(mlps=(1,), mode="mean"), "L1 MLP", result.mean_ablation)):
            with ablated(demo.model, head_ablations(demo.model, spec, tokens, reference),
                         mlp_ablations(demo.model, spec, tokens, reference)):
                after = demo.model(tokens)[0, -1]
            expected = float((after[target] - after[distractor]) - (base[target] - base[distractor]))
            assert column[labels.index(label)] == pytest.approx(expected, abs=1e-4)
    assert np.isnan(result.zero_ablation[labels.index("token embedding")])
    assert np.isnan(result.mean_ablation[labels.index("L0 attn bias")])


def test_parse_token_takes_one_token_or_an_id(demo):
    assert parse_token(demo, "的") == demo.encode("的")[0]
    assert parse_token(demo, "#5") == 5
    for bad, match in (("的是", "2 tokens"), ("", "0 tokens"), ("#x1", "whole number"), ("#99999", "not a token id"),
                       ("\u2603", "not in this model's vocabulary")):
        with pytest.raises(BadInputError, match=match):
            parse_token(demo, bad, "target")


def test_refusals(demo):
    with pytest.raises(BadInputError, match="same token"):
        direct_attribution(demo, demo.encode("模型"), 3, 3)
    with pytest.raises(BadInputError, match="empty"):
        logit_lens(demo, [])
    with pytest.raises(BadInputError, match="at most 512"):  # the demo's context
        logit_lens(demo, [1] * 513)
    with pytest.raises(BadInputError, match="Top-k"):
        logit_lens(demo, [1, 2], top_k=0)


def test_hugging_face_decoders_get_their_adapter_and_other_models_are_refused(tmp_path):
    from types import SimpleNamespace

    from lmscope.backend.lens.hf import HFLens
    from lmscope.backend.models.checkpoint import load_model
    from lmscope.backend.models.hf_tiny import make_tiny_checkpoint

    loaded = load_model(make_tiny_checkpoint(tmp_path / "gpt2", "gpt2"))
    assert isinstance(lens_model(loaded), HFLens)  # checked against transformers in test_lens_hf.py
    with pytest.raises(BadInputError, match="does not know how to run a Linear") as err:
        lens_model(SimpleNamespace(model=torch.nn.Linear(2, 2), tokenizer=None))
    assert "\n" not in str(err.value)
