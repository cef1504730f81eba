"""Each mask kind against a matrix built by hand, their combination, padding, and the model running with them."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from lmscope.backend.capture import capture
from lmscope.backend.errors import BadInputError
from lmscope.backend.attention.masks import (
    MaskSpec, block_mask, causal_mask, custom_mask, dilated_mask, global_mask, pad_batch, padding_mask, random_mask,
    window_mask,
)
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
