"""Each mask kind against a matrix built by hand, their combination, padding, and the model running with them."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from lmscope.backend.capture import capture
from lmscope.backend.errors import BadInputError
from lmscope.backend.attention.masks import (
    MaskSpec, allowed_from_scores, block_mask, causal_mask, custom_mask, dilated_mask, global_mask, pad_batch,
    padding_mask, prefix_lm_mask, random_mask, window_mask,
)
from lmscope.backend.models.selection import KeySelection, lsh_rotations
from lmscope.backend.models.config import TinyGPTConfig
from lmscope.backend.models.tinygpt import TinyGPT


def by_hand(T: int, rule) -> np.ndarray:  # noqa: ANN001
    return np.array([[bool(rule(i, j)) for j in range(T)] for i in range(T)])


def test_causal_is_the_lower_triangle():
    np.testing.assert_array_equal(causal_mask(5), by_hand(5, lambda i, j: j <= i))


def test_window_band():
    expected = np.array([
        [1, 1, 0, 0, 0],
        [1, 1, 1, 0, 0],
        [0, 1, 1, 1, 0],
        [0, 0, 1, 1, 1],
        [0, 0, 0, 1, 1]], dtype=bool)
    np.testing.assert_array_equal(window_mask(5, 2), expected)
    np.testing.assert_array_equal(window_mask(5, 1), np.eye(5, dtype=bool))


def test_dilated_window_skips_d_minus_one():
    # w = 2 keys each side (k = 0, 1), dilation 2: offsets 0 and ±2 only
    np.testing.assert_array_equal(dilated_mask(6, 2, 2), by_hand(6, lambda i, j: abs(i - j) in (0, 2)))
    np.testing.assert_array_equal(dilated_mask(6, 3, 1), window_mask(6, 3))


def test_global_tokens_have_full_rows_and_columns():
    m = global_mask(4, [1])
    expected = np.array([[0, 1, 0, 0], [1, 1, 1, 1], [0, 1, 0, 0], [0, 1, 0, 0]], dtype=bool)
    np.testing.assert_array_equal(m, expected)


def test_random_is_seeded_bernoulli():
    m = random_mask(30, 0.3, seed=7)
    np.testing.assert_array_equal(m, np.random.default_rng(7).random((30, 30)) < 0.3)
    assert not np.array_equal(m, random_mask(30, 0.3, seed=8))
    assert 0.15 < m.mean() < 0.45


def test_block_local():
    expected = np.zeros((5, 5), dtype=bool)
    expected[:2, :2] = expected[2:4, 2:4] = expected[4:, 4:] = True
    np.testing.assert_array_equal(block_mask(5, 2), expected)


def test_custom_and_padding():
    m = custom_mask(3, [(2, 0), (1, 1)])
    assert m.sum() == 7 and not m[2, 0] and not m[1, 1]
    pad = padding_mask(np.array([[True, True, False]]))
    np.testing.assert_array_equal(pad[0], np.array([[1, 1, 0]] * 3, dtype=bool))


def test_spec_ors_sparse_parts_and_ands_restrictions():
    spec = MaskSpec(causal=True, window=2, global_positions=(0,), custom_blocked=((3, 0),))
    expected = by_hand(5, lambda i, j: j <= i and (abs(i - j) < 2 or i == 0 or j == 0) and (i, j) != (3, 0))
    np.testing.assert_array_equal(spec.matrix(5), expected)
    assert MaskSpec().is_plain_causal
    np.testing.assert_array_equal(MaskSpec().matrix(4), causal_mask(4))
    np.testing.assert_array_equal(MaskSpec(causal=False).matrix(3), np.ones((3, 3), dtype=bool))


@pytest.mark.parametrize("spec", [
    MaskSpec(), MaskSpec(causal=False, block=4), MaskSpec(window=3, dilated=(2, 3), global_positions=(0, 5),
                                                          random_p=0.25, random_seed=3, custom_blocked=((4, 1),)),
])
def test_spec_text_round_trip(spec):
    assert MaskSpec.parse(spec.to_text()) == spec


def test_spec_rejects_nonsense():
    with pytest.raises(BadInputError, match="mask word"):
        MaskSpec.parse("causal sideways=3")
    with pytest.raises(BadInputError):
        MaskSpec(random_p=2.0)


def test_toggle_paints_and_unpaints():
    spec = MaskSpec().toggled(3, 1)
    assert spec.custom_blocked == ((3, 1),) and spec.toggled(3, 1) == MaskSpec()


def test_pad_batch_both_sides():
    right = pad_batch([[5, 6, 7], [8]], pad_id=0)
    np.testing.assert_array_equal(right.tokens, [[5, 6, 7], [8, 0, 0]])
    np.testing.assert_array_equal(right.key_valid, [[1, 1, 1], [1, 0, 0]])
    left = pad_batch([[5, 6, 7], [8]], pad_id=0, side="left")
    np.testing.assert_array_equal(left.tokens, [[5, 6, 7], [0, 0, 8]])
    allowed = MaskSpec().allowed(3, left.key_valid)
    assert allowed.shape == (2, 1, 3, 3)
    np.testing.assert_array_equal(allowed[1, 0], [[0, 0, 0], [0, 0, 0], [0, 0, 1]])


def _model() -> TinyGPT:
    torch.manual_seed(0)
    cfg = TinyGPTConfig(vocab_size=40, n_ctx=32, d_model=32, n_layer=2, n_head=4, n_kv_head=2, d_mlp=64)
    return TinyGPT(cfg).eval()


@pytest.mark.parametrize("spec", [MaskSpec(window=3), MaskSpec(block=4, global_positions=(0,)),
                                  MaskSpec(dilated=(3, 2), random_p=0.3, random_seed=1)])
def test_masked_cells_are_exactly_zero_and_rows_sum_to_one(spec):
    model = _model()
    T = 16
    allowed = spec.allowed(T)
    trace = capture(model, torch.randint(0, 40, (T,)), "*hook_pattern", allowed=torch.as_tensor(allowed))
    for layer in range(2):
        pattern = trace[f"blocks.{layer}.attn.hook_pattern"][0]
        assert np.all(pattern[:, ~allowed[0, 0]] == 0.0)  # exactly zero, not merely small
        sums = pattern.sum(-1)
        can_attend = allowed[0, 0].any(-1)
        np.testing.assert_allclose(sums[:, can_attend], 1.0, rtol=1e-5)
        assert np.all(sums[:, ~can_attend] == 0.0)


def test_the_mask_changes_the_model_and_padding_keeps_real_tokens_intact():
    model = _model()
    ids = torch.randint(0, 40, (1, 12), generator=torch.Generator().manual_seed(2))
    plain = model(ids)
    banded = model(ids, allowed=torch.as_tensor(MaskSpec(window=2).allowed(12)))
    assert not torch.allclose(plain, banded)
    # right padding + padding mask: the real positions of the short sequence see exactly what they saw alone
    batch = pad_batch([ids[0].tolist(), ids[0, :7].tolist()], pad_id=0)
    allowed = torch.as_tensor(MaskSpec().allowed(12, batch.key_valid))
    padded = model(torch.as_tensor(batch.tokens), allowed=allowed)
    torch.testing.assert_close(padded[1, :7], model(ids[:, :7])[0], rtol=1e-5, atol=1e-5)


# --- prefix LM, bidirectional, and the command line's syntax ------------------------------------------------------
def test_prefix_lm_is_a_bidirectional_block_then_causal():
    expected = by_hand(6, lambda i, j: j <= i or (i < 3 and j < 3))
    np.testing.assert_array_equal(prefix_lm_mask(6, 3), expected)
    np.testing.assert_array_equal(MaskSpec(prefix=3).matrix(6), expected)
    np.testing.assert_array_equal(MaskSpec(prefix=1).matrix(6), causal_mask(6))  # a one-token prefix is causal
    np.testing.assert_array_equal(MaskSpec(prefix=6).matrix(6), np.ones((6, 6), dtype=bool))
    # with a window: the sparse part is OR-ed, then the prefix-LM restriction AND-ed
    np.testing.assert_array_equal(MaskSpec(prefix=3, window=2).matrix(6),
                                  by_hand(6, lambda i, j: abs(i - j) < 2 and (j <= i or (i < 3 and j < 3))))


@pytest.mark.parametrize("text, spec", [
    ("causal", MaskSpec()),
    ("bidirectional", MaskSpec(causal=False)),
    ("prefix:5", MaskSpec(prefix=5)),
    ("causal+window:8", MaskSpec(window=8)),
    ("bidirectional+window:3", MaskSpec(causal=False, window=3)),
    ("dilated:3:2", MaskSpec(dilated=(3, 2))),
    ("global:0,5", MaskSpec(global_positions=(0, 5))),
    ("block:4", MaskSpec(block=4)),
    ("random:0.25:7", MaskSpec(random_p=0.25, random_seed=7)),
    ("topk:3", MaskSpec(top_k=3)),
    ("lsh:8:2", MaskSpec(lsh_buckets=8, lsh_seed=2)),
    ("causal+window:4+topk:2+lsh:4:1", MaskSpec(window=4, top_k=2, lsh_buckets=4, lsh_seed=1)),
    ("causal window=8 global=0,5 random=0.1@3", MaskSpec(window=8, global_positions=(0, 5), random_p=0.1,
                                                         random_seed=3)),  # a session written before these kinds
])
def test_command_line_and_session_forms_parse_and_round_trip(text, spec):
    assert MaskSpec.parse(text) == spec
    assert MaskSpec.parse(spec.to_text()) == spec
    assert MaskSpec.parse(spec.to_spec()) == spec


def test_new_kinds_keep_the_old_session_words():
    assert MaskSpec(window=3, global_positions=(0,)).to_text() == "causal window=3 global=0"
    assert MaskSpec(prefix=4, top_k=2, lsh_buckets=8, lsh_seed=1).to_text() == "causal prefix=4 topk=2 lsh=8@1"
    assert MaskSpec(prefix=4, top_k=2).to_spec() == "causal+prefix:4+topk:2"


@pytest.mark.parametrize("text, words", [
    ("", "empty"),
    ("sideways:3", "not a mask word"),
    ("window:x", "does not fit the form window:W"),
    ("lsh:3:0", "must be even"),
    ("bidirectional+prefix:4", "causal mask"),
    ("causal+bidirectional", "pick one"),
    ("random:1.5:0", r"\[0, 1\]"),
    ("topk:-2", "≥ 0"),
    ("lsh:100000:0", "At most"),
])
def test_bad_specs_are_one_sentence(text, words):
    with pytest.raises(BadInputError, match=words) as info:
        MaskSpec.parse(text)
    message = str(info.value)
    assert "\n" not in message and message.endswith(".")


def test_content_based_specs_have_no_fixed_matrix():
    spec = MaskSpec(window=4, top_k=2)
    assert spec.is_content_based and not MaskSpec(window=4).is_content_based
    with pytest.raises(BadInputError, match="model_mask"):
        spec.allowed(5)
    selection = spec.model_mask(5)
    assert isinstance(selection, KeySelection) and selection.top_k == 2
    np.testing.assert_array_equal(selection.allowed.numpy()[0, 0], MaskSpec(window=4).matrix(5))
    assert MaskSpec().model_mask(5) is None
    assert MaskSpec(block=2).model_mask(5).dtype == torch.bool


@pytest.mark.parametrize("spec", [MaskSpec(prefix=6), MaskSpec(causal=False), MaskSpec(causal=False, window=2)])
def test_prefix_and_bidirectional_give_exact_zeros_and_rows_of_one(spec):
    test_masked_cells_are_exactly_zero_and_rows_sum_to_one(spec)


def test_bidirectional_lets_early_tokens_see_later_ones_and_prefix_changes_only_the_prefix():
    model = _model()
    ids = torch.randint(0, 40, (1, 12), generator=torch.Generator().manual_seed(4))
    causal = capture(model, ids, "*hook_pattern")
    prefix = capture(model, ids, "*hook_pattern", allowed=MaskSpec(prefix=5).model_mask(12))
    full = capture(model, ids, "*hook_pattern", allowed=MaskSpec(causal=False).model_mask(12))
    p_causal, p_prefix = causal["blocks.0.attn.hook_pattern"][0], prefix["blocks.0.attn.hook_pattern"][0]
    assert np.all(full["blocks.0.attn.hook_pattern"][0][:, 0, 1:] > 0)  # the first token sees every later one
    assert np.all(p_prefix[:, :5, :5] > 0) and np.all(p_prefix[:, :5, 5:] == 0)  # the prefix sees itself, whole
    # layer 0 rows after the prefix attend causally to the same keys: their patterns are identical
    np.testing.assert_allclose(p_prefix[:, 5:], p_causal[:, 5:], rtol=1e-6, atol=1e-7)


# --- content-based: top-k and LSH on the real q/k of each head -------------------------------------------------------
def _head_scores(trace, layer: int) -> np.ndarray:
    """(head, query, key) scaled scores recomputed in float64 from the captured q and k (GQA groups repeated)."""
    q = trace[f"blocks.{layer}.attn.hook_q"][0].astype(np.float64)
    k = trace[f"blocks.{layer}.attn.hook_k"][0].astype(np.float64)
    k = np.repeat(k, q.shape[1] // k.shape[1], axis=1)
    return np.einsum("qhd,khd->hqk", q, k) / np.sqrt(q.shape[-1])


@pytest.mark.parametrize("spec", [MaskSpec(top_k=3), MaskSpec(window=5, top_k=2), MaskSpec(causal=False, top_k=4)])
def test_top_k_keeps_exactly_the_k_highest_scoring_allowed_keys(spec):
    model = _model()
    T = 14
    ids = torch.randint(0, 40, (1, T), generator=torch.Generator().manual_seed(5))
    trace = capture(model, ids, allowed=spec.model_mask(T))
    base = spec.matrix(T)
    for layer in range(2):
        scores = _head_scores(trace, layer)
        pattern = trace[f"blocks.{layer}.attn.hook_pattern"][0]
        kept = allowed_from_scores(trace[f"blocks.{layer}.attn.hook_attn_scores"][0])
        for h in range(4):
            for i in range(T):
                allowed = np.nonzero(base[i])[0]
                chosen = np.nonzero(kept[h, i])[0]
                assert len(chosen) == min(spec.top_k, len(allowed))
                assert set(chosen) <= set(allowed)
                dropped = np.setdiff1d(allowed, chosen)
                if len(dropped):  # the kept ones are the highest-scoring (a hair of float32 rounding allowed)
                    assert scores[h, i, chosen].min() >= scores[h, i, dropped].max() - 1e-5
                assert np.all(pattern[h, i, ~kept[h, i]] == 0.0)
                assert pattern[h, i].sum() == pytest.approx(1.0, abs=1e-5)


def _buckets(x: np.ndarray, rotations: np.ndarray) -> np.ndarray:
    """Reformer's h(x) = argmax([xR; −xR]) for x (pos, head, d) with per-head R (head, d, b/2) → (head, pos)."""
    projected = np.einsum("thd,hdr->htr", x.astype(np.float64), rotations)
    return np.concatenate([projected, -projected], axis=-1).argmax(-1)


def test_lsh_buckets_are_seeded_and_every_kept_pair_shares_a_bucket():
    model = _model()
    T = 16
    ids = torch.randint(0, 40, (1, T), generator=torch.Generator().manual_seed(6))
    spec = MaskSpec(lsh_buckets=4, lsh_seed=3)
    trace = capture(model, ids, allowed=spec.model_mask(T))
    again = capture(model, ids, allowed=spec.model_mask(T))
    other = capture(model, ids, allowed=MaskSpec(lsh_buckets=4, lsh_seed=4).model_mask(T))
    rotations = lsh_rotations(4, 8, 4, seed=3).numpy()
    np.testing.assert_array_equal(rotations, lsh_rotations(4, 8, 4, seed=3).numpy())
    assert not np.array_equal(rotations, lsh_rotations(4, 8, 4, seed=4).numpy())
    for layer in range(2):
        q_bucket = trace[f"blocks.{layer}.attn.hook_q_bucket"][0]
        k_bucket = trace[f"blocks.{layer}.attn.hook_k_bucket"][0]
        np.testing.assert_array_equal(q_bucket, again[f"blocks.{layer}.attn.hook_q_bucket"][0])
        np.testing.assert_array_equal(trace[f"blocks.{layer}.attn.hook_pattern"],
                                      again[f"blocks.{layer}.attn.hook_pattern"])
        # the buckets are Reformer's hash of this head's own q and k, recomputed here from the captured vectors
        q = trace[f"blocks.{layer}.attn.hook_q"][0]
        k = np.repeat(trace[f"blocks.{layer}.attn.hook_k"][0], 2, axis=1)
        np.testing.assert_array_equal(q_bucket, _buckets(q, rotations))
        np.testing.assert_array_equal(k_bucket, _buckets(k, rotations))
        assert set(np.unique(q_bucket)) <= set(range(4))
        kept = allowed_from_scores(trace[f"blocks.{layer}.attn.hook_attn_scores"][0])
        same = q_bucket[:, :, None] == k_bucket[:, None, :]
        # kept ⇔ same bucket and not in the future: exactly the LSH-causal mask
        np.testing.assert_array_equal(kept, same & causal_mask(T)[None])
        pattern = trace[f"blocks.{layer}.attn.hook_pattern"][0]
        assert np.all(pattern[~kept] == 0.0)
        rows = kept.any(-1)
        np.testing.assert_allclose(pattern.sum(-1)[rows], 1.0, rtol=1e-5)
        assert np.all(pattern.sum(-1)[~rows] == 0.0)  # a query alone in its bucket attends nowhere
    assert not np.array_equal(trace["blocks.0.attn.hook_q_bucket"], other["blocks.0.attn.hook_q_bucket"])


def test_content_masks_change_the_output_and_top_k_with_every_key_is_full_attention():
    model = _model()
    ids = torch.randint(0, 40, (1, 10), generator=torch.Generator().manual_seed(8))
    plain = model(ids)
    everything = model(ids, allowed=MaskSpec(top_k=10).model_mask(10))
    torch.testing.assert_close(everything, plain, rtol=1e-5, atol=1e-5)
    assert not torch.allclose(model(ids, allowed=MaskSpec(top_k=1).model_mask(10)), plain, atol=1e-4)
