"""What a session leaves out of a long capture (issue 16): residual points stored as exact sums of stored ones, and
full logits kept only while cheap — read back bit for bit, and a hostile recipe refused in one sentence."""
from __future__ import annotations

import json

import h5py
import numpy as np
import pytest

from lmscope.backend.capture import capture
from lmscope.backend.models.checkpoint import load_model
from lmscope.backend.trace import Trace
from lmscope.sessions import SavedTrace, Session, SessionFormatError, describe, open_session, save_session
from lmscope.sessions import writer
from lmscope.sessions.derived import candidates
from lmscope.sessions.hdf5 import chunk_shape, write_text

PROMPT = "The model predicts the next token. "


@pytest.fixture(scope="module")
def demo_trace() -> Trace:
    loaded = load_model("demo")
    return capture(loaded.model, loaded.tokenizer.encode(PROMPT * 3))


@pytest.fixture(scope="module")
def gpt2_trace(tmp_path_factory) -> Trace:
    from lmscope.backend.models.hf_tiny import make_tiny_checkpoint

    folder = make_tiny_checkpoint(tmp_path_factory.mktemp("gpt2") / "m", "gpt2", seed=1)
    loaded = load_model(folder)
    return capture(loaded.model, loaded.tokenizer.encode(PROMPT * 2))


def save(trace: Trace, path, **kwargs):
    return save_session(Session(traces=[SavedTrace(trace)], current_trace=0), path, include_weights=False, **kwargs)


def reopened(path):
    session = open_session(path)
    return session, session.traces[0].trace


@pytest.mark.parametrize("which", ["demo_trace", "gpt2_trace"])
def test_residual_points_are_stored_as_sums_and_read_back_bit_for_bit(which, request, tmp_path):
    trace = request.getfixturevalue(which)
    path = save(trace, tmp_path / "s.h5")
    with h5py.File(path, "r") as f:
        stored = set(f["traces/0/tensors"].keys())
    session, back = reopened(path)
    try:
        derived = back.tensors.derived
        n_layer = trace.n_layer
        assert set(derived) == {f"blocks.{layer}.hook_resid_{p}" for layer in range(n_layer) for p in ("mid", "post")}
        assert not set(derived) & stored  # not in the file…
        assert list(back.tensors) == list(trace.tensors)  # …but listed where the capture had them
        for name in trace.tensors:
            assert np.array_equal(back[name], trace[name]), name  # sums read back exactly, the rest as stored
        assert derived["blocks.0.hook_resid_post"] == ["blocks.1.hook_resid_pre"]
        last = n_layer - 1
        assert derived[f"blocks.{last}.hook_resid_post"] == [f"blocks.{last}.hook_resid_{s}" if s == "pre" else
                                                              f"blocks.{last}.hook_{s}_out" for s in ("pre", "attn",
                                                                                                      "mlp")]
        info = describe(session)["traces"][0]["tensors"]
        assert info["blocks.0.hook_resid_mid"]["sum_of"] == ["blocks.0.hook_resid_pre", "blocks.0.hook_attn_out"]
        assert info["blocks.0.hook_resid_mid"]["shape"] == list(trace["blocks.0.hook_resid_mid"].shape)
    finally:
        session.close()


def test_a_sum_that_does_not_hold_exactly_is_stored(demo_trace, tmp_path):
    tensors = dict(demo_trace.tensors)
    off = tensors["blocks.1.hook_resid_mid"].copy()
    off.flat[7] = np.nextafter(off.flat[7], np.float32(np.inf))  # one ulp: no longer the model's sum
    tensors["blocks.1.hook_resid_mid"] = off
    trace = Trace(demo_trace.tokens, demo_trace.token_strings, tensors, demo_trace.model_config)
    session, back = reopened(save(trace, tmp_path / "s.h5"))
    try:
        assert "blocks.1.hook_resid_mid" not in back.tensors.derived
        assert "blocks.0.hook_resid_mid" in back.tensors.derived
        assert np.array_equal(back["blocks.1.hook_resid_mid"], off)
    finally:
        session.close()


def test_float16_sessions_keep_only_aliases(demo_trace, tmp_path):
    session, back = reopened(save(demo_trace, tmp_path / "s.h5", float16=True))
    try:
        assert all(len(sources) == 1 for sources in back.tensors.derived.values())
        assert len(back.tensors.derived) == demo_trace.n_layer - 1  # resid_post = the next block's resid_pre
        assert np.array_equal(back["blocks.0.hook_resid_post"], back["blocks.1.hook_resid_pre"])
    finally:
        session.close()


def test_a_resaved_session_derives_again(demo_trace, tmp_path):
    session, back = reopened(save(demo_trace, tmp_path / "a.h5"))
    try:
        save(back, tmp_path / "b.h5")
        first = dict(back.tensors.derived)
    finally:
        session.close()
    session, again = reopened(tmp_path / "b.h5")
    try:
        assert again.tensors.derived == first and len(first) == 2 * demo_trace.n_layer
        for name in demo_trace.tensors:
            assert np.array_equal(again[name], demo_trace[name])
    finally:
        session.close()


def test_candidates_need_every_source():
    names = ["blocks.0.hook_resid_pre", "blocks.0.hook_attn_out", "blocks.0.hook_resid_mid",
             "blocks.0.hook_resid_post"]  # no mlp_out and no next block: resid_post has no recipe
    assert candidates(names) == {"blocks.0.hook_resid_mid": ["blocks.0.hook_resid_pre", "blocks.0.hook_attn_out"]}


@pytest.mark.parametrize("recipes, match", [
    ("[1, 2]", "malformed derived"),
    ({"blocks.0.hook_resid_mid": "blocks.0.hook_resid_pre"}, "malformed recipe"),
    ({"blocks.0.hook_resid_mid": ["blocks.0.hook_resid_pre"] * 4}, "malformed recipe"),
    ({"blocks.0.hook_resid_mid": [3]}, "malformed recipe"),
    ({"blocks.0.hook_resid_mid": ["blocks.0.hook_resid_post"]}, "does not store"),  # a chain / a cycle
    ({"blocks.0.hook_resid_mid": ["blocks.0.hook_resid_mid"]}, "does not store"),
    ({"blocks.0.hook_resid_mid": ["/etc/passwd"]}, "does not store"),
    ({"blocks.0.hook_resid_pre": ["blocks.0.hook_attn_out"]}, "also stores"),
    ({"no.such.tensor": ["blocks.0.hook_attn_out"]}, "does not list"),
])
def test_hostile_recipes_are_refused_in_one_sentence(demo_trace, tmp_path, recipes, match):
    path = save(demo_trace, tmp_path / "s.h5")
    with h5py.File(path, "a") as f:
        group = f["traces/0"]
        del group["derived"]
        write_text(group, "derived", recipes if isinstance(recipes, str) else json.dumps(recipes))
    with pytest.raises(SessionFormatError, match=match) as caught:
        open_session(path)
    assert "\n" not in str(caught.value)


def test_a_recipe_over_tensors_of_different_shapes_fails_when_read(demo_trace, tmp_path):
    path = save(demo_trace, tmp_path / "s.h5")
    with h5py.File(path, "a") as f:
        group = f["traces/0"]
        recipes = json.loads(group["derived"][()].decode())
        recipes["blocks.0.hook_resid_mid"] = ["blocks.0.hook_resid_pre", "blocks.0.mlp.hook_pre"]
        del group["derived"]
        write_text(group, "derived", json.dumps(recipes))
    session = open_session(path)
    try:
        with pytest.raises(SessionFormatError, match="different shapes"):
            session.traces[0].trace["blocks.0.hook_resid_mid"]
    finally:
        session.close()


# --- logits ---------------------------------------------------------------------------------------------------------
def test_logits_are_kept_while_cheap_and_left_out_past_it(demo_trace, tmp_path, monkeypatch):
    session, back = reopened(save(demo_trace, tmp_path / "small.h5"))
    try:
        assert np.array_equal(back["logits"], demo_trace["logits"])
        assert "logits_left_out" not in back.meta
    finally:
        session.close()
    monkeypatch.setattr(writer, "STORE_LOGITS_BYTES", demo_trace["logits"].nbytes - 1)
    path = save(demo_trace, tmp_path / "long.h5")
    session, back = reopened(path)
    try:
        assert "logits" not in back.tensors
        assert back.meta["logits_left_out"] == list(demo_trace["logits"].shape)
        assert describe(session)["traces"][0]["logits_left_out"] == list(demo_trace["logits"].shape)
        assert "logits" in demo_trace.tensors  # the capture in memory keeps them
    finally:
        session.close()
    session, back = reopened(save(demo_trace, tmp_path / "asked.h5", store_logits=True))
    try:
        assert np.array_equal(back["logits"], demo_trace["logits"])
    finally:
        session.close()
    monkeypatch.setattr(writer, "STORE_LOGITS_BYTES", 2**40)
    session, back = reopened(save(demo_trace, tmp_path / "refused.h5", store_logits=False))
    try:
        assert "logits" not in back.tensors
    finally:
        session.close()


def test_chunks_are_evened_out():
    shape = (1, 4096, 768)
    chunks = chunk_shape(shape, 4)
    count = -(-4096 // chunks[1])
    assert count * chunks[1] - 4096 < count  # the last chunk is (nearly) full: < 1 row wasted per chunk
    assert chunks[1] * 768 * 4 <= 1 << 20
    assert chunk_shape((1, 5, 50257), 4) == (1, 5, 50257)
    assert chunk_shape((1, 7, 3), 4) == (1, 7, 3)


def test_the_version_2_golden_file_reads_its_sums_and_matches_its_own_model():
    """tests/data/session_v2.h5 (scripts/make_golden_session.py, once): every hook of a 2-layer TinyGPT, residual
    points as sums, logits left out. Its own weights, rebuilt, capture the same tensors again."""
    from pathlib import Path

    from lmscope.sessions import loaded_from_part

    golden = Path(__file__).parents[1] / "data" / "session_v2.h5"
    session = open_session(golden)
    try:
        assert session.meta["format_version"] == 2
        trace = session.traces[0].trace
        assert len(trace.tensors.derived) == 2 * trace.n_layer and "logits" not in trace.tensors
        assert trace.meta["logits_left_out"] == [1, trace.n_pos, trace.model_config["vocab_size"]]
        loaded = loaded_from_part(session.model)
        again = capture(loaded.model, trace.tokens[0].tolist())
        assert set(again.tensors) == set(trace.tensors) | {"logits"}
        for name in trace.tensors:
            np.testing.assert_allclose(trace[name], again[name], rtol=1e-5, atol=1e-6, err_msg=name)
        for name, sources in trace.tensors.derived.items():
            total = trace[sources[0]].copy()
            for source in sources[1:]:
                total += trace[source]
            assert np.array_equal(trace[name], total)
    finally:
        session.close()
