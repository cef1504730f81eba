"""`lmscope capture --model DIR` on Hugging Face folders, as a user scripts it: a session that records where the
model came from without its weights, exit code 2 and one sentence for a bad folder, and --device-map."""
from __future__ import annotations

import json

import pytest

import transformers  # noqa: F401 - a test dependency (pyproject "test" extra): missing is a failure, not a skip

from lmscope.backend.models.hf_tiny import make_tiny_checkpoint  # noqa: E402
from lmscope.gui.cli import main  # noqa: E402
from lmscope.sessions import open_session  # noqa: E402


@pytest.fixture(scope="module")
def qwen2(tmp_path_factory):
    return make_tiny_checkpoint(tmp_path_factory.mktemp("qwen2"), "qwen2", seed=0)


def run_json(capsys, *argv: str) -> dict:
    assert main([*argv, "--json"]) == 0
    out, _ = capsys.readouterr()
    return json.loads(out)


def test_capture_records_the_source_not_the_weights(qwen2, tmp_path, capsys):
    out = tmp_path / "s.h5"
    result = run_json(capsys, "capture", "--model", str(qwen2), "--text", "The model predicts 我们", "-o", str(out))
    assert result["model"] == "Qwen2ForCausalLM" and result["weights"] is False and result["dtype"] == "float32"
    session = open_session(out)
    try:
        part = session.model
        assert part.weights is None and part.source == str(qwen2.resolve())
        assert part.config["architecture"] == "Qwen2ForCausalLM" and part.config["n_kv_head"] == 1
        assert part.config["source"]["hf_config"]["model_type"] == "qwen2"
        assert "tokenizer.json" in part.config["source"]["tokenizer_files"]
        assert json.loads(part.tokenizer_json)["kind"] == "hf"
        trace = session.traces[0].trace
        assert trace.meta["n_kv_head"] == 1 and trace["blocks.0.attn.hook_k"].shape[2] == 1
        assert trace.token_strings[:2] == ["The", " model"]
    finally:
        session.close()
    info = run_json(capsys, "info", str(out))
    assert info["model"]["source"] == str(qwen2.resolve())


def test_capture_with_a_device_map(qwen2, tmp_path, capsys):
    out = tmp_path / "s.h5"
    result = run_json(capsys, "capture", "--model", str(qwen2), "--device-map", "auto", "--max-memory", "cpu=1GiB",
                      "--names", "blocks.*.attn.hook_pattern", "-o", str(out))
    assert result["tensors"] == 2


@pytest.mark.parametrize("problem", ["file", "missing", "remote", "flag"])
def test_bad_input_exits_2_with_one_sentence(qwen2, tmp_path, capsys, problem):
    argv = ["capture", "--model", str(qwen2), "-o", str(tmp_path / "s.h5")]
    if problem == "file":
        argv[2] = str(qwen2 / "config.json")
    elif problem == "missing":
        argv[2] = str(tmp_path / "nothing")
    elif problem == "remote":
        folder = tmp_path / "remote"
        folder.mkdir()
        (folder / "config.json").write_text(json.dumps({"model_type": "qwen2", "auto_map": {"AutoModel": "x.Y"}}))
        argv[2] = str(folder)
    else:
        argv += ["--max-memory", "lots"]
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("lmscope: ") and err.count("\n") == 1
    assert not (tmp_path / "s.h5").exists()
