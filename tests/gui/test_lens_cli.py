"""`lmscope lens` and `lmscope patch` as users script them: the issue's JSON shapes, numbers that agree with the demo
model's own forward pass, and one sentence on stderr with exit 2 for what cannot be run."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from lmscope.backend.demo import load_demo
from lmscope.gui.cli import main

CLEAN, CORRUPT = "我们一起来学习", "你们一起来学习"  # one character apart: position 0


@pytest.fixture(scope="module")
def demo():
    return load_demo()


def run_json(capsys, *args: str) -> dict:
    assert main([*args, "--json"]) == 0
    out, _ = capsys.readouterr()
    assert out.count("\n") == 1  # exactly one JSON object on stdout
    return json.loads(out)


def test_lens_json(capsys, demo):
    result = run_json(capsys, "lens", "--model", "demo", "--text", "大语言模型", "--top", "3")
    assert list(result) == ["tokens", "layers"] and result["tokens"] == list("大语言模型")
    assert [layer["name"] for layer in result["layers"]] == [f"blocks.{i}.hook_resid_pre" for i in range(4)] + [
        "blocks.3.hook_resid_post"]
    for layer in result["layers"]:
        assert list(layer) == ["name", "top_ids", "top_logprobs", "top_tokens"]
        assert np.asarray(layer["top_ids"]).shape == (5, 3)
        lp = np.asarray(layer["top_logprobs"])
        assert np.all(np.diff(lp, axis=1) <= 0) and np.all(lp <= 0)
        assert layer["top_tokens"] == [[demo.tokenizer.tokens[i] for i in row] for row in layer["top_ids"]]
    with torch.no_grad():
        logp = torch.log_softmax(demo.model(torch.tensor([demo.tokenizer.encode("大语言模型")]))[0], -1)
    values, ids = logp.topk(3, -1)
    assert result["layers"][-1]["top_ids"] == ids.tolist()
    np.testing.assert_allclose(result["layers"][-1]["top_logprobs"], values.numpy(), atol=1e-5)


def test_lens_text(capsys):
    assert main(["lens", "--text", "模型"]) == 0
    out, err = capsys.readouterr()
    assert "blocks.3.hook_resid_post" in out and "'模'" in out


def test_patch_json(capsys, demo):
    target, distractor = demo.tokenizer.encode("的")[0], demo.tokenizer.encode("。")[0]
    result = run_json(capsys, "patch", "--clean", CLEAN, "--corrupt", CORRUPT, "--target", "的",
                      "--distractor", f"#{distractor}")
    assert list(result) == ["clean_diff", "corrupt_diff", "resid_pre", "attn_out", "mlp_out", "heads"]
    with torch.no_grad():
        for text, key in ((CLEAN, "clean_diff"), (CORRUPT, "corrupt_diff")):
            logits = demo.model(torch.tensor([demo.tokenizer.encode(text)]))[0, -1]
            assert result[key] == pytest.approx(float(logits[target] - logits[distractor]), abs=1e-5)
    resid = np.asarray(result["resid_pre"])
    assert resid.shape == (4, 7) and np.asarray(result["attn_out"]).shape == (4, 7)
    assert np.asarray(result["mlp_out"]).shape == (4, 7) and np.asarray(result["heads"]).shape == (4, 4)
    # The prompts differ only at position 0: the first residual there carries everything, elsewhere nothing.
    # The two logit diffs are 0.01 apart on the demo, so float32 rounding shows up as ~1e-4 in the effects.
    assert resid[0, 0] == pytest.approx(1.0, abs=1e-3)
    np.testing.assert_allclose(resid[0, 1:], 0.0, atol=1e-3)


@pytest.mark.parametrize(("args", "words"), [
    (["--target", "的是", "--distractor", "。"], "is 2 tokens"),
    (["--target", "#x", "--distractor", "。"], "neither one token nor #ID"),
    (["--target", "#100000", "--distractor", "。"], "not a token id"),
    (["--target", "的", "--distractor", "的"], "same token"),
    (["--target", "的", "--distractor", "。", "--corrupt", "你们一起学习"], "same token length"),
])
def test_patch_refusals_are_one_sentence_and_exit_2(capsys, args, words):
    argv = ["patch", "--clean", CLEAN, "--corrupt", CORRUPT, *args]
    if "--corrupt" in args:
        argv = ["patch", "--clean", CLEAN, *args]
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and words in err and err.count("\n") == 1 and err.startswith("lmscope: ")


def test_lens_refusals(capsys):
    assert main(["lens", "--text", ""]) == 2
    assert "empty" in capsys.readouterr().err
    assert main(["lens", "--text", "模型", "--top", "0"]) == 2
    assert "Top-k" in capsys.readouterr().err
    assert main(["lens", "--model", "/nonexistent/folder", "--text", "模型"]) == 2
    assert "/nonexistent/folder does not exist" in capsys.readouterr().err


@pytest.fixture(scope="module")
def gpt2_folder(tmp_path_factory):
    from lmscope.backend.models.hf_tiny import make_tiny_checkpoint

    return make_tiny_checkpoint(tmp_path_factory.mktemp("hf") / "gpt2", "gpt2", seed=4)


def test_lens_and_patch_on_a_hugging_face_folder(capsys, gpt2_folder):
    from transformers import AutoModelForCausalLM

    from lmscope.backend.models.checkpoint import load_model

    tokenizer = load_model(gpt2_folder).tokenizer
    text = "The quick fox"
    ids = tokenizer.encode(text)
    result = run_json(capsys, "lens", "--model", str(gpt2_folder), "--text", text, "--top", "2")
    assert result["tokens"] == tokenizer.token_strings(ids)
    assert [layer["name"] for layer in result["layers"]] == ["blocks.0.hook_resid_pre", "blocks.1.hook_resid_pre",
                                                             "blocks.1.hook_resid_post"]
    peer = AutoModelForCausalLM.from_pretrained(gpt2_folder, attn_implementation="eager").eval()
    corrupt = next(t for t in (text[:-1] + c for c in "xgrtnw")
                   if len(tokenizer.encode(t)) == len(ids) and tokenizer.encode(t) != ids)
    with torch.no_grad():
        logp = torch.log_softmax(peer(torch.tensor([ids])).logits[0], -1)
        corrupt_logits = peer(torch.tensor([tokenizer.encode(corrupt)])).logits[0, -1]
    values, top = logp.topk(2, -1)
    assert result["layers"][-1]["top_ids"] == top.tolist()
    np.testing.assert_allclose(result["layers"][-1]["top_logprobs"], values.numpy(), atol=1e-5)

    target = tokenizer.token_strings([int(top[-1, 0])])[0]  # a token as text: it must encode to itself
    if tokenizer.encode(target) != [int(top[-1, 0])]:
        target = f"#{int(top[-1, 0])}"
    distractor = int(corrupt_logits.argmax()) if int(corrupt_logits.argmax()) != int(top[-1, 0]) else int(top[-1, 1])
    result = run_json(capsys, "patch", "--model", str(gpt2_folder), "--clean", text, "--corrupt", corrupt,
                      "--target", target, "--distractor", f"#{distractor}")
    clean = logp[-1]  # log-softmax shifts every logit equally: differences are the logits' own
    assert result["clean_diff"] == pytest.approx(float(clean[int(top[-1, 0])] - clean[distractor]), abs=1e-4)
    assert result["corrupt_diff"] == pytest.approx(
        float(corrupt_logits[int(top[-1, 0])] - corrupt_logits[distractor]), abs=1e-4)
    assert np.asarray(result["resid_pre"]).shape == (2, len(ids)) and np.asarray(result["heads"]).shape == (2, 4)


def test_an_encoder_folder_is_refused_with_exit_2(capsys, tmp_path):
    from lmscope.backend.models.hf_tiny import make_tiny_checkpoint

    folder = make_tiny_checkpoint(tmp_path / "bert", "bert", seed=4)
    assert main(["lens", "--model", str(folder), "--text", "the fox"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "encoder" in err and err.count("\n") == 1
