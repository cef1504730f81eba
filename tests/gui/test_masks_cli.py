"""`lmscope capture --mask SPEC`: the session holds the masked model's patterns; a bad SPEC is one sentence, exit 2."""
from __future__ import annotations

import json

import numpy as np
import pytest

from lmscope.backend.attention.masks import MaskSpec, allowed_from_scores, prefix_lm_mask
from lmscope.gui.cli import main
from lmscope.sessions import open_session

TEXT = "the model predicts the next token"


def capture_with(capsys, tmp_path, spec: str) -> dict:
    out_file = tmp_path / f"{spec.replace(':', '_').replace('+', '_')}.h5"
    assert main(["capture", "--text", TEXT, "--mask", spec, "--names", "blocks.*.attn.hook_*", "--no-weights",
                 "-o", str(out_file), "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["output"] == str(out_file)
    session = open_session(out_file)
    try:
        trace = session.traces[0].trace
        return {"meta": dict(trace.meta), **{name: np.asarray(trace.tensors[name]) for name in trace.tensors
                                             if name.endswith(("pattern", "attn_scores", "bucket"))}}
    finally:
        session.close()


def test_prefix_lm_capture(capsys, tmp_path):
    captured = capture_with(capsys, tmp_path, "prefix:6")
    assert captured["meta"]["mask"] == "causal prefix=6"
    pattern = captured["blocks.0.attn.hook_pattern"][0]
    T = pattern.shape[-1]
    allowed = prefix_lm_mask(T, 6)
    assert np.all(pattern[:, ~allowed] == 0.0) and np.all(pattern[:, :6, :6] > 0)
    np.testing.assert_allclose(pattern.sum(-1), 1.0, rtol=1e-5)


def test_top_k_capture_keeps_k_keys_per_row(capsys, tmp_path):
    captured = capture_with(capsys, tmp_path, "causal+window:6+topk:2")
    assert MaskSpec.parse(captured["meta"]["mask"]) == MaskSpec(window=6, top_k=2)
    for layer in range(4):
        kept = allowed_from_scores(captured[f"blocks.{layer}.attn.hook_attn_scores"][0])
        T = kept.shape[-1]
        assert np.array_equal(kept.sum(-1), np.broadcast_to(np.minimum(2, np.arange(1, T + 1)), kept.shape[:2]))


def test_lsh_capture_records_buckets(capsys, tmp_path):
    captured = capture_with(capsys, tmp_path, "lsh:4:1")
    q_bucket, k_bucket = captured["blocks.2.attn.hook_q_bucket"][0], captured["blocks.2.attn.hook_k_bucket"][0]
    kept = allowed_from_scores(captured["blocks.2.attn.hook_attn_scores"][0])
    T = kept.shape[-1]
    np.testing.assert_array_equal(kept, (q_bucket[:, :, None] == k_bucket[:, None, :]) & np.tri(T, dtype=bool))


@pytest.mark.parametrize("spec, words", [
    ("sideways", "not a mask word"), ("window:x", "window:W"), ("lsh:5:0", "even"), ("", "empty"),
])
def test_bad_spec_is_one_sentence_and_exit_2(capsys, tmp_path, spec, words):
    assert main(["capture", "--mask", spec, "-o", str(tmp_path / "x.h5")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and words in err and err.count("\n") == 1
    assert not (tmp_path / "x.h5").exists()


def test_hugging_face_models_take_position_masks_and_refuse_content_ones(capsys, tmp_path):
    from lmscope.backend.models.hf_tiny import make_tiny_checkpoint

    folder = tmp_path / "llama"
    make_tiny_checkpoint(folder, "llama")
    out_file = tmp_path / "hf.h5"
    assert main(["capture", "--model", str(folder), "--text", "The model predicts the next token", "--mask",
                 "prefix:3", "--names", "blocks.0.attn.hook_*", "-o", str(out_file), "--json"]) == 0
    capsys.readouterr()
    session = open_session(out_file)
    try:
        trace = session.traces[0].trace
        pattern = np.asarray(trace.tensors["blocks.0.attn.hook_pattern"])[0]
        kept = allowed_from_scores(np.asarray(trace.tensors["blocks.0.attn.hook_attn_scores"])[0])
    finally:
        session.close()
    allowed = prefix_lm_mask(pattern.shape[-1], 3)
    assert np.all(pattern[:, ~allowed] == 0) and np.all(pattern[:, :3, :3] > 0)
    np.testing.assert_array_equal(kept, np.broadcast_to(allowed, kept.shape))  # HF masks with the dtype's minimum
    assert main(["capture", "--model", str(folder), "--mask", "topk:2", "-o", str(tmp_path / "no.h5")]) == 2
    assert "Hugging Face" in capsys.readouterr().err and not (tmp_path / "no.h5").exists()
