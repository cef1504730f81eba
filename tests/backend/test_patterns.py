"""Patterns on demand: a head's pattern recomputed from the stored q and k equals the one the model computed — with
every mask the inspector offers, padding, GQA/MQA, RoPE, and Hugging Face GPT-2, Llama, BERT and Qwen2 (checked
against transformers' own ``output_attentions``); the model view's blockwise thumbnails and summaries equal the ones
made from the full pattern; the cache stays bounded; captures keep patterns only while they are cheap."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from lmscope.backend.attention import patterns as P
from lmscope.backend.attention.heads import (
    allowed_of, head_summary, head_view, model_view_job, stage_matrix, thumbnails, HeadThumbnail,
)
from lmscope.backend.attention.masks import MaskSpec, pad_batch
from lmscope.backend.capture import capture, keeps_patterns
from lmscope.backend.models.config import TinyGPTConfig
from lmscope.backend.models.tinygpt import TinyGPT

ATOL = 2e-6  # float32 round-off of a softmax over ≤ 64 keys

# Every kind the Masks tab composes (window, dilated, global, random, block, painted cells), alone and combined,
# causal and bidirectional.
SPECS = [
    MaskSpec(),
    MaskSpec(causal=False),
    MaskSpec(window=4),
    MaskSpec(dilated=(3, 2)),
    MaskSpec(global_positions=(0, 7)),
    MaskSpec(random_p=0.3, random_seed=5),
    MaskSpec(block=6),
    MaskSpec(custom_blocked=((5, 2), (9, 0), (9, 9))),
    MaskSpec(causal=False, window=3, global_positions=(2,), custom_blocked=((0, 1),)),
    MaskSpec(causal=False, block=5, random_p=0.2, random_seed=1),
]


def tiny(seed: int = 0, **overrides) -> TinyGPT:
    torch.manual_seed(seed)
    cfg = dict(vocab_size=60, n_ctx=64, d_model=32, n_layer=2, n_head=4, n_kv_head=4, d_mlp=64)
    return TinyGPT(TinyGPTConfig(**{**cfg, **overrides})).eval()


def masked_pair(model, tokens: torch.Tensor, spec: MaskSpec, key_valid=None, meta=None):
    """The same input captured twice: patterns stored, and q/k only (patterns to recompute)."""
    allowed = torch.as_tensor(spec.allowed(tokens.shape[-1], key_valid))
    full = capture(model, tokens, allowed=allowed, store_patterns=True)
    lean = capture(model, tokens, allowed=allowed, store_patterns=False)
    for trace in (full, lean):
        trace.meta.update({"mask": spec.to_text(), **(meta or {})})
    return full, lean


def assert_same_attention(full, lean, atol: float = ATOL) -> None:
    assert P.pattern_source(full) == "stored" and P.pattern_source(lean) == "recomputed"
    assert not any(name.endswith(P.PATTERN_HOOKS) for name in lean)
    n_head = full.model_config["n_head"]
    for batch in range(full.tokens.shape[0]):
        for layer in range(full.n_layer):
            stored_p = full[P.hook(layer, "pattern")][batch]
            stored_s = full[P.hook(layer, "attn_scores")][batch]
            for head in range(n_head):
                recomputed = P.head_attention(lean, layer, head, batch)
                assert recomputed.source == "recomputed"
                np.testing.assert_allclose(recomputed.pattern, stored_p[head], rtol=0, atol=atol)
                finite = np.isfinite(stored_s[head])
                np.testing.assert_array_equal(np.isfinite(recomputed.scores), finite)  # −∞ exactly where masked
                np.testing.assert_allclose(recomputed.scores[finite], stored_s[head][finite], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.to_text())
def test_every_inspector_mask_recomputes_the_models_pattern(spec):
    model = tiny()
    tokens = torch.randint(0, 60, (1, 24), generator=torch.Generator().manual_seed(2))
    assert_same_attention(*masked_pair(model, tokens, spec))


@pytest.mark.parametrize("side", ["right", "left"])
def test_padded_batches_and_rows_that_see_nothing(side):
    """Left padding with a causal mask leaves pad query rows with no key at all: TinyGPT shows them as zeros."""
    model = tiny(1)
    batch = pad_batch([list(range(3, 23)), list(range(5, 13))], pad_id=0, side=side)
    spec = MaskSpec(window=5)
    full, lean = masked_pair(model, torch.as_tensor(batch.tokens), spec, batch.key_valid,
                             {"pad_side": side, "lengths": list(batch.lengths)})
    assert_same_attention(full, lean)
    if side == "left":
        assert np.all(P.pattern(lean, 0, 0, batch=1)[0] == 0.0)  # the first pad row of the short sequence


@pytest.mark.parametrize("kv_heads,pos", [(2, "rope"), (1, "rope"), (2, "learned")], ids=["gqa-rope", "mqa-rope",
                                                                                        "gqa"])
def test_gqa_mqa_and_rope_read_the_right_kv_head_after_rotation(kv_heads, pos):
    model = tiny(3, n_kv_head=kv_heads, pos=pos)
    tokens = torch.randint(0, 60, (1, 30), generator=torch.Generator().manual_seed(4))
    full, lean = masked_pair(model, tokens, MaskSpec())
    assert_same_attention(full, lean)
    if pos == "rope":  # the recomputation uses the rotated q and k, as the model does
        assert P.qk_names(lean, 0) == (P.hook(0, "rot_q"), P.hook(0, "rot_k"))


def test_model_view_blocks_equal_thumbnails_and_summaries_of_the_full_pattern():
    """Blocks of rows (here 7 rows each, aligned on thumbnail bins) give what pooling the full pattern gives."""
    model = tiny(5, n_ctx=128, n_kv_head=2, pos="rope")
    tokens = torch.randint(0, 60, (1, 100), generator=torch.Generator().manual_seed(6))
    for spec in (MaskSpec(), MaskSpec(causal=False, window=9, global_positions=(3,)), MaskSpec(block=13)):
        full, lean = masked_pair(model, tokens, spec)
        for layer, head in ((0, 0), (1, 3)):
            pattern = full[P.hook(layer, "pattern")][0, head][None, None]
            allowed = allowed_of(full, 0, layer)
            expected_summary = head_summary(pattern, allowed)
            for size in (48, 100, 7):
                thumb, summary = head_view(lean, layer, head, size=size)
                np.testing.assert_allclose(thumb, thumbnails(pattern, size)[0, 0], atol=1e-6)
                for metric, value in summary.items():
                    assert value == pytest.approx(float(expected_summary[metric][0, 0]), abs=1e-5), metric
        blocks = list(P.head_blocks(lean, 1, 1, 0, allowed_of(lean, 0, 1), np.arange(0, 101, 5), rows_per_block=7))
        assert len(blocks) == 10 and all(b.stop - b.start == 10 for b in blocks)
        if spec.causal and not spec.block:  # a causal block reads only the keys its rows can see
            assert [b.pattern.shape[1] for b in blocks] == [b.stop for b in blocks]


def test_model_view_job_streams_every_head_once_and_resumes():
    model = tiny(7)
    lean = capture(model, torch.arange(40), store_patterns=False)
    events = list(model_view_job(lean, size=16))
    heads = [(e.layer, e.head) for e in events if isinstance(e, HeadThumbnail)]
    assert heads == [(layer, head) for layer in range(2) for head in range(4)]
    rest = [(e.layer, e.head) for e in model_view_job(lean, skip={(0, 0), (0, 1), (1, 2)})
            if isinstance(e, HeadThumbnail)]
    assert rest == [(0, 2), (0, 3), (1, 0), (1, 1), (1, 3)]


def test_cache_is_bounded_and_reused(monkeypatch):
    model = tiny(8)
    lean = capture(model, torch.arange(50), store_patterns=False)
    cache = P._HeadCache(max_bytes=3 * 2 * 50 * 50 * 4, max_heads=64)  # three heads of scores + pattern
    monkeypatch.setattr(P, "CACHE", cache)
    first = P.pattern(lean, 0, 1)
    assert P.pattern(lean, 0, 1) is first and cache.computed == 1  # the second read is the cached array
    for head in range(4):
        P.pattern(lean, 1, head)
    assert len(cache._items) == 3 and not P.is_cached(lean, 0, 1) and P.is_cached(lean, 1, 3)
    other = capture(model, torch.arange(50), store_patterns=False)  # another trace never reads this one's heads
    assert not P.is_cached(other, 1, 3)


def test_stage_matrix_reads_through_the_accessor():
    model = tiny(9)
    full, lean = masked_pair(model, torch.arange(20)[None], MaskSpec(window=3))
    for stage in ("scores", "scaled", "masked", "pattern", "z"):
        expected = stage_matrix(full, 1, 2, stage)
        got = stage_matrix(lean, 1, 2, stage)
        np.testing.assert_allclose(np.nan_to_num(got, neginf=-1e9), np.nan_to_num(expected, neginf=-1e9), atol=1e-5)


def test_captures_keep_patterns_only_while_cheap():
    # scores + patterns of 2 layers × 4 heads: 2·8·T²·4 B ≤ 64 MiB while T ≤ 1,024; the demo's 16 heads: T ≤ 724
    assert P.store_patterns_by_default(2, 4, 1024) and not P.store_patterns_by_default(2, 4, 1025)
    assert P.store_patterns_by_default(4, 4, 724) and not P.store_patterns_by_default(4, 4, 725)
    assert P.store_patterns_by_default(12, 12, 241) and not P.store_patterns_by_default(12, 12, 242)  # GPT-2 small
    assert keeps_patterns(None, None, 12, 12, (1, 200)) and not keeps_patterns(None, None, 12, 12, (1, 2048))
    assert keeps_patterns(None, "blocks.*.attn.hook_pattern", 12, 12, (1, 2048))  # named: kept
    assert keeps_patterns(True, None, 12, 12, (1, 2048)) and not keeps_patterns(False, None, 12, 12, (1, 8))
    model = tiny(10)
    short = capture(model, torch.arange(16))
    assert P.hook(0, "pattern") in short and P.pattern_source(short) == "stored"
    named = capture(model, torch.arange(16), ["*hook_resid_post"], store_patterns=False)
    assert P.pattern_source(named) == "none" and not P.has_attention(named)


def test_exports_list_recomputed_patterns_where_a_full_capture_has_them():
    model = tiny(11)
    full = capture(model, torch.arange(20), store_patterns=True)
    lean = capture(model, torch.arange(20), store_patterns=False)
    view = P.TensorsWithAttention(lean)
    assert list(view) == list(full)  # same names, same order as a capture that stored them
    assert set(view.virtual) == {P.hook(layer, n) for layer in range(2) for n in ("attn_scores", "pattern")}
    np.testing.assert_allclose(view[P.hook(1, "pattern")], full[P.hook(1, "pattern")], atol=ATOL)
    scores = view[P.hook(0, "attn_scores")]
    assert scores.shape == full[P.hook(0, "attn_scores")].shape and np.isneginf(scores[0, 0, 0, 1])
    assert not P.TensorsWithAttention(full).virtual  # stored ones are listed as they are


# --- Hugging Face models: the recomputation against transformers' own attentions ---------------------------------
@pytest.fixture(scope="module")
def hf_folders(tmp_path_factory):
    from lmscope.backend.models.hf_tiny import make_tiny_checkpoint

    root = tmp_path_factory.mktemp("hf-patterns")
    return {
        "gpt2": make_tiny_checkpoint(root / "gpt2", "gpt2"),
        # GPT-2's optional per-layer scale 1/(layer + 1): the scale is the module's own, not 1/√d
        "gpt2-layer-scaled": make_tiny_checkpoint(root / "gpt2s", "gpt2", scale_attn_by_inverse_layer_idx=True),
        "llama": make_tiny_checkpoint(root / "llama", "llama"),  # GQA 4/2 and RoPE (rotate_half)
        "bert": make_tiny_checkpoint(root / "bert", "bert"),  # bidirectional
        # Qwen2 with a sliding window on layer 1 only: the model's own mask differs per layer
        "qwen2-sliding": make_tiny_checkpoint(root / "qwen2", "qwen2", use_sliding_window=True, sliding_window=5,
                                              max_window_layers=1, layer_types=["full_attention",
                                                                                "sliding_attention"]),
    }


@pytest.mark.parametrize("name", ["gpt2", "gpt2-layer-scaled", "llama", "bert", "qwen2-sliding"])
def test_hf_recomputed_patterns_equal_transformers_attentions(hf_folders, name):
    from transformers import AutoModel, AutoModelForCausalLM, AutoModelForMaskedLM

    from lmscope.backend.models.checkpoint import load_model

    folder = hf_folders[name]
    loaded = load_model(str(folder))
    ids = loaded.tokenizer.encode("The quick brown fox jumps over the lazy dog. A language model predicts the next")
    lean = capture(loaded.model, ids, store_patterns=False)
    assert P.pattern_source(lean) == "recomputed"
    auto = AutoModelForMaskedLM if name == "bert" else AutoModelForCausalLM
    peer = auto.from_pretrained(folder, attn_implementation="eager").eval()
    with torch.no_grad():
        attentions = peer(torch.tensor([ids]), output_attentions=True).attentions
    assert AutoModel is not None and len(attentions) == lean.n_layer
    for layer, expected in enumerate(attentions):
        for head in range(expected.shape[1]):
            np.testing.assert_allclose(P.pattern(lean, layer, head), expected[0, head].numpy(), rtol=0, atol=1e-6)
    if name == "qwen2-sliding":
        assert lean.meta["sliding_window"] == [0, 5]
        assert np.count_nonzero(P.pattern(lean, 1, 0)[-1]) == 5 and np.count_nonzero(P.pattern(lean, 0, 0)[-1]) > 5
    if name == "gpt2-layer-scaled":
        assert lean.meta["attn_scale"][1] == pytest.approx(lean.meta["attn_scale"][0] / 2)


def test_hf_masked_batch_rows_that_see_nothing_are_uniform(hf_folders):
    """HF eager masks by adding the dtype's minimum, so a row with no allowed key is uniform, not zero."""
    from lmscope.backend.attention.jobs import masked_input
    from lmscope.backend.models.checkpoint import load_model

    loaded = load_model(str(hf_folders["llama"]))
    inp = masked_input(loaded, ["A language model predicts the next token", "the lazy dog"], MaskSpec(window=4),
                       pad_side="left")
    full = capture(loaded.model, inp.tokens, allowed=inp.allowed, store_patterns=True)
    lean = capture(loaded.model, inp.tokens, allowed=inp.allowed, store_patterns=False)
    for trace in (full, lean):
        trace.meta.update(inp.meta)
    assert lean.meta["empty_rows"] == "uniform" and "sliding_window" not in lean.meta
    assert_same_attention(full, lean, atol=1e-6)
    T = lean.n_pos
    np.testing.assert_allclose(P.pattern(lean, 0, 0, batch=1)[0], np.full(T, 1 / T, np.float32), atol=1e-7)
