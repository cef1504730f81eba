"""Generation with a KV cache against full re-computation, the sampling strategies, and next-token comparisons."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from lmscope.backend.errors import BadInputError
from lmscope.backend.attention.generate import (
    GenerateSettings, compare_next_token, generate, kl_divergence, sampling_distribution, softmax, top_tokens,
)
from lmscope.backend.models.config import TinyGPTConfig
from lmscope.backend.models.recorder import Recorder
from lmscope.backend.models.tinygpt import KVCache, TinyGPT

PROMPT = [3, 7, 1, 9, 4]


def _model(**changes) -> TinyGPT:  # noqa: ANN003
    torch.manual_seed(0)
    cfg = TinyGPTConfig(vocab_size=30, n_ctx=24, d_model=32, n_layer=2, n_head=4, n_kv_head=2, d_mlp=64)
    return TinyGPT(cfg.replace(**changes)).eval()


@pytest.mark.parametrize("changes", [{}, {"pos": "rope"}, {"pos": "sinusoidal", "n_kv_head": 1}])
def test_cached_decoding_equals_full_recomputation(changes):
    model = _model(**changes)
    steps = list(generate(model, PROMPT, GenerateSettings(steps=6)))
    ids = PROMPT + [s.token_id for s in steps]
    with torch.no_grad():
        rec = Recorder("*hook_pattern")
        full = model(torch.tensor([ids]), rec=rec)[0]
    for s in steps:
        position = len(PROMPT) + s.step - 2  # the position whose logits chose this token
        assert s.token_id == int(full[position].argmax())
        np.testing.assert_allclose(s.top_probs[0], torch.softmax(full[position].double(), -1).max().item(),
                                   rtol=1e-4)
        assert s.cache_length == position + 1
        for layer in range(2):  # the new query row's attention is the full pattern's row
            expected = rec.tensors[f"blocks.{layer}.attn.hook_pattern"][0, :, position, :position + 1]
            np.testing.assert_allclose(s.query_attention[layer], expected.numpy(), rtol=1e-4, atol=1e-6)
    assert steps[0].new_keys.shape == (2, len(PROMPT), model.cfg.n_kv_head, model.cfg.d_head)
    assert steps[-1].new_keys.shape == (2, 1, model.cfg.n_kv_head, model.cfg.d_head)


def test_cache_grows_one_row_per_token():
    model = _model()
    cache = KVCache(2)
    with torch.no_grad():
        model(torch.tensor([PROMPT]), cache=cache)
        assert cache.length == 5
        model(torch.tensor([[2]]), cache=cache)
    assert cache.length == 6 and cache.layers[1].k.shape == (1, 6, 2, 8)


def test_sampling_is_seeded_and_top_k_restricts():
    model = _model()
    settings = GenerateSettings(strategy="top-k", top_k=3, temperature=1.5, steps=8, seed=4)
    a = [s.token_id for s in generate(model, PROMPT, settings)]
    assert a == [s.token_id for s in generate(model, PROMPT, settings)]
    for s in generate(model, PROMPT, settings):
        assert np.count_nonzero(s.top_probs) <= 3 and s.token_id in s.top_ids[:3]
    logits = torch.tensor([0.0, 1.0, 2.0, 3.0])
    hot = sampling_distribution(logits, GenerateSettings(strategy="temperature", temperature=2.0))
    torch.testing.assert_close(hot, torch.softmax(logits.double() / 2.0, -1))


def test_generation_stops_at_the_learned_context():
    steps = list(generate(_model(), PROMPT, GenerateSettings(steps=100)))
    assert len(steps) == 24 - len(PROMPT) + 1 and steps[-1].cache_length == 24


def test_next_token_comparison_and_kl():
    p = np.array([0.5, 0.25, 0.25])
    q = np.array([0.25, 0.5, 0.25])
    assert kl_divergence(p, q) == pytest.approx(0.5 * np.log(2) + 0.25 * np.log(0.5))
    assert kl_divergence(p, p) == 0.0
    before = np.log(np.array([[0.1, 0.6, 0.3]]))
    after = np.log(np.array([[0.7, 0.2, 0.1]]))
    change = compare_next_token(before, after, 0, k=2)
    np.testing.assert_array_equal(change.before_ids, [1, 2])
    np.testing.assert_allclose(change.after_probs, [0.7, 0.2])
    assert change.argmax_changed and change.kl == pytest.approx(kl_divergence(softmax(before[0]), softmax(after[0])))
    np.testing.assert_array_equal(top_tokens(np.array([0.2, 0.4, 0.4]), 2)[0], [1, 2])  # ties: lower id first


def test_bad_settings():
    with pytest.raises(BadInputError):
        GenerateSettings(strategy="beam")
    with pytest.raises(BadInputError):
        list(generate(_model(), [], GenerateSettings()))
